import { describe, expect, it } from 'vitest';
import {
  DatasetBuilder,
  FER_SPLITS,
  datasetMeanStd,
  holdout,
  splitId,
  splitIndices,
  subset,
  type FerDataset,
} from '../../src/data/dataset.js';

/** `perClass[c]` Training images of class c, pixel values derived from the index. */
function synthetic(perClass: number[], extra: { split: string; n: number } = { split: 'PublicTest', n: 0 }): FerDataset {
  const b = new DatasetBuilder(4);
  let k = 0;
  perClass.forEach((n, c) => {
    for (let j = 0; j < n; j++, k++) b.push(c, splitId('Training'), `img${k}`).fill(k % 256);
  });
  for (let j = 0; j < extra.n; j++, k++) b.push(0, splitId(extra.split), `img${k}`).fill(1);
  return b.build('synthetic', []);
}

describe('holdout', () => {
  const ds = synthetic([100, 10, 41, 0, 7, 60, 33], { split: 'PublicTest', n: 20 });
  it('moves round(fraction * count) Training images of each class, nothing else', () => {
    const h = holdout(ds, { fraction: 0.2, seed: 1 });
    const held = splitIndices(h, 'Holdout');
    const perClass = new Array(7).fill(0);
    for (const i of held) perClass[h.labels[i]!]++;
    expect(perClass).toEqual([20, 2, 8, 0, 1, 12, 7]);
    for (const i of held) expect(FER_SPLITS[ds.splits[i]!]).toBe('Training');
    expect(splitIndices(h, 'PublicTest')).toEqual(splitIndices(ds, 'PublicTest'));
    expect(h.pixels).toBe(ds.pixels); // shared, not copied
    expect(splitIndices(ds, 'Holdout')).toEqual([]); // input untouched
  });
  it('is reproducible per seed and differs across seeds', () => {
    const a = splitIndices(holdout(ds, { fraction: 0.3, seed: 42 }), 'Holdout');
    expect(splitIndices(holdout(ds, { fraction: 0.3, seed: 42 }), 'Holdout')).toEqual(a);
    expect(splitIndices(holdout(ds, { fraction: 0.3, seed: 43 }), 'Holdout')).not.toEqual(a);
  });
  it('rejects bad fractions and datasets without Training', () => {
    expect(() => holdout(ds, { fraction: 0, seed: 1 })).toThrow(/fraction/);
    expect(() => holdout(ds, { fraction: 1, seed: 1 })).toThrow(/fraction/);
    expect(() => holdout(subset(ds, splitIndices(ds, 'PublicTest')), { fraction: 0.5, seed: 1 })).toThrow(/no Training images/);
  });
});

describe('datasetMeanStd', () => {
  it('equals a direct two-pass computation of x/255', () => {
    const ds = synthetic([3, 5, 0, 0, 0, 0, 2], { split: 'PublicTest', n: 4 });
    ds.pixels[17] = 255;
    const x = Array.from(ds.pixels, (v) => v / 255);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    const got = datasetMeanStd(ds);
    expect(got.mean).toBeCloseTo(mean, 12);
    expect(got.std).toBeCloseTo(std, 12);
    // Only the PublicTest images: all pixels 1.
    expect(datasetMeanStd(ds, { split: 'PublicTest' })).toEqual({ mean: 1 / 255, std: 0 });
    expect(() => datasetMeanStd(ds, { split: 'Holdout' })).toThrow(/no images/);
  });
});

describe('subset', () => {
  it('copies the chosen images in order and checks indices', () => {
    const ds = synthetic([2, 2, 0, 0, 0, 0, 0]);
    const s = subset(ds, [3, 0]);
    expect(s.keys).toEqual(['img3', 'img0']);
    expect([s.pixels[0], s.pixels[2304]]).toEqual([3, 0]);
    expect(Array.from(s.labels)).toEqual([1, 0]);
    expect(() => subset(ds, [4])).toThrow(/index 4 out of range/);
  });
});
