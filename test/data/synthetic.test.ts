import { describe, expect, it } from 'vitest';
import { FER_CLASSES } from '../../src/classes.js';
import { FER_PIXELS, FER_SPLITS, splitIndices, type FerDataset } from '../../src/data/dataset.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { Rng } from '../../src/random.js';

const K = FER_CLASSES.length;

function classCounts(ds: FerDataset, indices: readonly number[]): number[] {
  const counts = new Array(K).fill(0);
  for (const i of indices) counts[ds.labels[i]!]++;
  return counts;
}

/** 48x48 -> 16x16 by 3x3 averaging, scaled to [0, 1]. */
function downsample(ds: FerDataset, i: number): Float64Array {
  const img = ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
  const out = new Float64Array(256);
  for (let y = 0; y < 48; y++)
    for (let x = 0; x < 48; x++) out[Math.floor(y / 3) * 16 + Math.floor(x / 3)]! += img[y * 48 + x]! / (9 * 255);
  return out;
}

/**
 * Multinomial logistic regression on standardized 16x16 pixels, trained by SGD with a little L2;
 * returns the accuracy on the test images.
 */
function logisticRegressionAccuracy(ds: FerDataset, train: number[], test: number[]): number {
  const D = 256;
  const Xtr = train.map((i) => downsample(ds, i));
  const Xte = test.map((i) => downsample(ds, i));
  const mean = new Float64Array(D);
  const std = new Float64Array(D);
  for (const x of Xtr) for (let d = 0; d < D; d++) mean[d]! += x[d]! / Xtr.length;
  for (const x of Xtr) for (let d = 0; d < D; d++) std[d]! += (x[d]! - mean[d]!) ** 2 / Xtr.length;
  for (let d = 0; d < D; d++) std[d] = Math.sqrt(std[d]!) + 1e-6;
  for (const x of [...Xtr, ...Xte]) for (let d = 0; d < D; d++) x[d] = (x[d]! - mean[d]!) / std[d]!;

  const l2 = 1e-3;
  const W = new Float64Array(K * D);
  const b = new Float64Array(K);
  const logits = (x: Float64Array) => {
    const z = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let s = b[k]!;
      for (let d = 0; d < D; d++) s += W[k * D + d]! * x[d]!;
      z[k] = s;
    }
    return z;
  };
  // Plain SGD, one image at a time, in a seeded shuffled order each epoch.
  const rng = new Rng(0);
  const order = [...Xtr.keys()];
  const epochs = 30;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const lr = 0.02 * (1 - epoch / epochs) + 0.002;
    for (const n of rng.shuffle(order) as number[]) {
      const x = Xtr[n]!;
      const z = logits(x);
      const m = Math.max(...z);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += z[k] = Math.exp(z[k]! - m);
      for (let k = 0; k < K; k++) {
        const g = z[k]! / sum - (k === ds.labels[train[n]!] ? 1 : 0);
        b[k]! -= lr * g;
        for (let d = 0; d < D; d++) W[k * D + d]! -= lr * (g * x[d]! + l2 * W[k * D + d]!);
      }
    }
  }
  let correct = 0;
  Xte.forEach((x, n) => {
    const z = logits(x);
    if (z.indexOf(Math.max(...z)) === ds.labels[test[n]!]) correct++;
  });
  return correct / test.length;
}

describe('syntheticFaces', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    const a = syntheticFaces({ count: 70, seed: 3 });
    const b = syntheticFaces({ count: 70, seed: 3 });
    const c = syntheticFaces({ count: 70, seed: 4 });
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true);
    expect(a.labels).toEqual(b.labels);
    expect(a.splits).toEqual(b.splits);
    let same = 0;
    for (let i = 0; i < 70; i++) {
      const slice = (ds: FerDataset) => Buffer.from(ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS));
      if (slice(a).equals(slice(c))) same++;
    }
    expect(same).toBe(0);
  });

  it('image i depends only on the seed and i, not on the count', () => {
    const small = syntheticFaces({ count: 10, seed: 7 });
    const large = syntheticFaces({ count: 30, seed: 7 });
    expect(Buffer.from(large.pixels.subarray(0, 10 * FER_PIXELS)).equals(Buffer.from(small.pixels))).toBe(true);
  });

  it('has the dataset form of the real loaders, balanced classes and stratified 80/10/10 splits', () => {
    const ds = syntheticFaces({ perClass: 50, seed: 1 });
    expect(ds.length).toBe(350);
    expect(ds.pixels.length).toBe(350 * FER_PIXELS);
    expect(ds.labels.length).toBe(350);
    expect(new Set(ds.keys).size).toBe(350);
    expect(ds.issues).toEqual([]);
    expect(classCounts(ds, [...ds.labels.keys()])).toEqual(new Array(K).fill(50));
    expect(classCounts(ds, splitIndices(ds, 'Training'))).toEqual(new Array(K).fill(40));
    expect(classCounts(ds, splitIndices(ds, 'PublicTest'))).toEqual(new Array(K).fill(5));
    expect(classCounts(ds, splitIndices(ds, 'PrivateTest'))).toEqual(new Array(K).fill(5));

    const odd = syntheticFaces({ count: 100, seed: 1 }); // 100 = 7 * 14 + 2
    expect(classCounts(odd, [...odd.labels.keys()])).toEqual([15, 15, 14, 14, 14, 14, 14]);
  });

  it('puts everything in one split when asked, and honours split fractions', () => {
    const all = syntheticFaces({ count: 21, seed: 0, split: 'PrivateTest' });
    expect([...all.splits].every((s) => FER_SPLITS[s] === 'PrivateTest')).toBe(true);
    const half = syntheticFaces({ perClass: 10, seed: 0, split: [0.5, 0.5, 0] });
    expect(splitIndices(half, 'Training').length).toBe(35);
    expect(splitIndices(half, 'PublicTest').length).toBe(35);
    expect(splitIndices(half, 'PrivateTest').length).toBe(0);
  });

  it('rejects bad options with a clear message', () => {
    expect(() => syntheticFaces({ seed: 0 })).toThrow(/exactly one of count and perClass/);
    expect(() => syntheticFaces({ count: 7, perClass: 1 })).toThrow(/exactly one of count and perClass/);
    expect(() => syntheticFaces({ count: 0 })).toThrow(/count must be a positive integer, got 0/);
    expect(() => syntheticFaces({ perClass: 2.5 })).toThrow(/perClass must be a positive integer/);
    expect(() => syntheticFaces({ count: 7, seed: 0.5 })).toThrow(/seed must be an integer/);
    expect(() => syntheticFaces({ count: 7, split: [0.5, 0.2, 0.2] })).toThrow(/sum to 1/);
    expect(() => syntheticFaces({ count: 7, split: 'Nope' as never })).toThrow(/unknown split 'Nope'/);
  });

  it('draws real images: spread of gray levels, contrast inside each image, no duplicates', () => {
    const ds = syntheticFaces({ count: 140, seed: 2 });
    const means: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < ds.length; i++) {
      const img = ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
      let sum = 0;
      let sq = 0;
      for (const p of img) {
        sum += p;
        sq += p * p;
      }
      const mean = sum / FER_PIXELS;
      const std = Math.sqrt(sq / FER_PIXELS - mean * mean);
      expect(std, `image ${i} std`).toBeGreaterThan(12);
      means.push(mean);
      seen.add(Buffer.from(img).toString('base64'));
    }
    expect(seen.size).toBe(ds.length);
    const overall = means.reduce((a, b) => a + b, 0) / means.length;
    expect(overall).toBeGreaterThan(60);
    expect(overall).toBeLessThan(200);
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(60); // lighting and tones vary
  });

  it('is learnable: logistic regression on 16x16 pixels beats chance (14%) by far', () => {
    const ds = syntheticFaces({ count: 1050, seed: 11, split: [2 / 3, 1 / 3, 0] });
    const train = splitIndices(ds, 'Training');
    const test = splitIndices(ds, 'PublicTest');
    expect([train.length, test.length]).toEqual([700, 350]);
    const acc = logisticRegressionAccuracy(ds, train, test);
    console.log(`synthetic faces: logistic regression test accuracy ${(acc * 100).toFixed(1)}%`);
    expect(acc).toBeGreaterThanOrEqual(0.6);
  });
});
