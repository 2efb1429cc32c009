/**
 * Synthetic shifts of uint8 FER datasets, for testing drift monitoring: brightness, blur, class mix,
 * and a seeded, label-stratified split into halves.
 */
import { subset, type FerDataset } from '../data/dataset.js';
import { Rng } from '../random.js';

const S = 48;
const N = S * S;

function withPixels(ds: FerDataset, pixels: Uint8Array, tag: string): FerDataset {
  return { ...ds, pixels, source: `${ds.source} [${tag}]` };
}

/** Adds `delta` grey levels to every pixel (clamped to 0..255). */
export function shiftBrightness(ds: FerDataset, delta: number): FerDataset {
  const px = new Uint8Array(ds.pixels.length);
  for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, Math.round(ds.pixels[i]! + delta)));
  return withPixels(ds, px, `brightness ${delta > 0 ? '+' : ''}${delta}`);
}

/** Box blur of (2·radius+1)² pixels, edges clamped, rounded to uint8. */
export function blur(ds: FerDataset, radius = 1): FerDataset {
  if (!Number.isInteger(radius) || radius < 1) throw new RangeError(`blur: radius must be a positive integer, got ${radius}`);
  const px = new Uint8Array(ds.pixels.length);
  for (let img = 0; img < ds.length; img++) {
    const o = img * N;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        let s = 0;
        for (let dy = -radius; dy <= radius; dy++) {
          const yy = Math.min(S - 1, Math.max(0, y + dy));
          for (let dx = -radius; dx <= radius; dx++) s += ds.pixels[o + yy * S + Math.min(S - 1, Math.max(0, x + dx))]!;
        }
        px[o + y * S + x] = Math.round(s / (2 * radius + 1) ** 2);
      }
    }
  }
  return withPixels(ds, px, `blur r=${radius}`);
}

/**
 * Resamples `n` images (without replacement where possible) so class `c` has share `weights[c]`
 * (normalised). Seeded.
 */
export function resampleClasses(ds: FerDataset, weights: readonly number[], n: number, seed: number): FerDataset {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError('resampleClasses: weights must have a positive sum');
  const rng = new Rng(seed);
  const byClass: number[][] = weights.map(() => []);
  for (let i = 0; i < ds.length; i++) byClass[ds.labels[i]!]?.push(i);
  const out: number[] = [];
  weights.forEach((w, c) => {
    const want = Math.round((n * w) / total);
    const pool = rng.shuffle([...byClass[c]!]) as number[];
    if (want > 0 && pool.length === 0) throw new RangeError(`resampleClasses: class ${c} has no images to draw from`);
    for (let k = 0; k < want; k++) out.push(pool[k % pool.length]!);
  });
  const picked = subset(ds, rng.shuffle(out) as number[]);
  return { ...picked, source: `${ds.source} [class mix]` };
}

/**
 * Two disjoint random halves of a dataset (seeded), stratified by label: each class is split in
 * half (an odd image goes to alternate halves), so the class mix matches up to one image per class.
 */
export function randomHalves(ds: FerDataset, seed: number): [FerDataset, FerDataset] {
  const rng = new Rng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < ds.length; i++) {
    const list = byClass.get(ds.labels[i]!) ?? [];
    list.push(i);
    byClass.set(ds.labels[i]!, list);
  }
  const halves: [number[], number[]] = [[], []];
  let odd = 0;
  for (const list of byClass.values()) {
    rng.shuffle(list);
    let h = Math.floor(list.length / 2);
    if (list.length % 2 === 1 && odd++ % 2 === 1) h++;
    halves[0].push(...list.slice(0, h));
    halves[1].push(...list.slice(h));
  }
  return [
    { ...subset(ds, rng.shuffle(halves[0]) as number[]), source: `${ds.source} [half A]` },
    { ...subset(ds, rng.shuffle(halves[1]) as number[]), source: `${ds.source} [half B]` },
  ];
}
