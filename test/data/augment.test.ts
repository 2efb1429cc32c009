import { describe, expect, it } from 'vitest';
import {
  GpuImages,
  augmentBatch,
  augmentReference,
  drawAugmentParams,
  identityParams,
  imageMean,
  tenCropParams,
  PARAMS_PER_IMAGE,
} from '../../src/data/augment/index.js';
import { Rng } from '../../src/random.js';
import { expectClose, useDevice } from '../helpers.js';

const S = 48;

function randomImages(n: number, seed: number): Uint8Array {
  // smooth-ish images (gradients + blobs) so bilinear sampling is exercised, plus noise
  const rng = new Rng(seed);
  const px = new Uint8Array(n * S * S);
  for (let i = 0; i < n; i++) {
    const cx = rng.uniform(10, 38);
    const cy = rng.uniform(10, 38);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const v = 40 + 3 * x + 120 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 60) + rng.uniform(0, 20);
        px[i * S * S + y * S + x] = Math.min(255, Math.round(v));
      }
    }
  }
  return px;
}

describe('GPU augmentation', () => {
  const device = useDevice();

  it('identity parameters give plain normalisation (x/255 - mean)/std', async () => {
    const px = randomImages(3, 1);
    const imgs = new GpuImages(device(), px);
    const params = new Float32Array(3 * PARAMS_PER_IMAGE);
    for (let i = 0; i < 3; i++) identityParams(params, i * PARAMS_PER_IMAGE, imageMean(px, i * S * S));
    const out = await augmentBatch(imgs, Int32Array.of(2, 0, 1), params, { mean: 0.4, std: 0.3 }).toArray();
    const expected = new Float32Array(3 * S * S);
    [2, 0, 1].forEach((src, i) => {
      for (let k = 0; k < S * S; k++) expected[i * S * S + k] = (px[src * S * S + k]! / 255 - 0.4) / 0.3;
    });
    expectClose(out, expected, { atol: 1e-5, what: 'normalised' });
    imgs.dispose();
  });

  it('random augmentation (flip, crop, rotation, scale, jitter, erasing) matches the CPU reference', async () => {
    const n = 16;
    const px = randomImages(n, 2);
    const imgs = new GpuImages(device(), px);
    const means = Array.from({ length: n }, (_, i) => imageMean(px, i * S * S));
    const params = drawAugmentParams(new Rng(7), means, { erasing: 0.5, translate: 0.05 });
    const sources = Int32Array.from({ length: n }, (_, i) => (i * 5) % n);
    const srcMeans = Array.from(sources, (s) => means[s]!);
    const p2 = drawAugmentParams(new Rng(7), srcMeans, { erasing: 0.5, translate: 0.05 });
    const gpu = await augmentBatch(imgs, sources, p2, {}).toArray();
    const cpu = augmentReference(px, sources, p2, 0.5, 0.5);
    expectClose(gpu, cpu, { atol: 2e-4, what: 'augmented' });
    // the augmentation did something: not equal to the plain image
    let changed = 0;
    for (let k = 0; k < gpu.length; k++)
      if (Math.abs(gpu[k]! - (px[sources[Math.floor(k / (S * S))]! * S * S + (k % (S * S))]! / 255 - 0.5) / 0.5) > 0.05) changed++;
    expect(changed).toBeGreaterThan(gpu.length / 4);
    // seeded: the same seed draws the same parameters, another seed others
    expect(Array.from(drawAugmentParams(new Rng(7), means))).toEqual(Array.from(drawAugmentParams(new Rng(7), means)));
    expect(Array.from(drawAugmentParams(new Rng(8), means))).not.toEqual(Array.from(drawAugmentParams(new Rng(7), means)));
    void params;
    imgs.dispose();
  });

  it('horizontal flip alone mirrors the image exactly', () => {
    const px = randomImages(1, 3);
    const p = drawAugmentParams(new Rng(1), [imageMean(px, 0)], {
      hflip: 1,
      cropPadding: 0,
      rotation: 0,
      scale: [1, 1],
      brightness: 0,
      contrast: 0,
      erasing: 0,
    });
    const out = augmentReference(px, [0], p, 0, 1);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) expect(out[y * S + x]).toBeCloseTo(px[y * S + (S - 1 - x)]! / 255, 5);
  });

  it('ten-crop: centre crop of 48 is the identity, corners and flips as torchvision', async () => {
    const px = randomImages(1, 4);
    const full = tenCropParams([imageMean(px, 0)], 48);
    const imgs = new GpuImages(device(), px);
    const out = await augmentBatch(imgs, new Int32Array(10), full, { mean: 0, std: 1 }).toArray();
    for (let k = 0; k < S * S; k++) expect(out[4 * S * S + k]).toBeCloseTo(px[k]! / 255, 5); // centre
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) expect(out[9 * S * S + y * S + x]).toBeCloseTo(px[y * S + S - 1 - x]! / 255, 5); // flipped centre
    const crops = tenCropParams([imageMean(px, 0)], 44);
    const c = await augmentBatch(imgs, new Int32Array(10), crops, { mean: 0, std: 1 }).toArray();
    expectClose(c, augmentReference(px, new Int32Array(10), crops, 0, 1), { atol: 1e-5, what: 'ten-crop' });
    imgs.dispose();
  });
});
