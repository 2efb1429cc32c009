import { describe, expect, it } from 'vitest';
import { computeImageFeatures, imageFeaturesReference, IMAGE_FEATURE_NAMES } from '../../src/drift/features/index.js';
import { Rng } from '../../src/random.js';
import { expectClose, useDevice } from '../helpers.js';

/** Random images of varied kinds: noise, smooth gradients, constant, clipped, and a half-blank one. */
function images(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const px = new Uint8Array(n * 2304);
  for (let i = 0; i < n; i++) {
    const kind = i % 5;
    for (let k = 0; k < 2304; k++) {
      const x = k % 48;
      const y = Math.floor(k / 48);
      let v: number;
      if (kind === 0) v = rng.int(256);
      else if (kind === 1) v = Math.round((x * 255) / 47);
      else if (kind === 2) v = 200;
      else if (kind === 3) v = rng.next() < 0.3 ? 255 : rng.next() < 0.3 ? 0 : 90 + rng.int(20);
      else v = y < 24 ? 128 + rng.int(2) : 128 + rng.int(2);
      px[i * 2304 + k] = v;
    }
  }
  return px;
}

describe('image features', () => {
  const device = useDevice();

  it('reference: known values on hand-made images', () => {
    const px = new Uint8Array(2 * 2304);
    px.fill(100, 0, 2304); // constant: mean 100, std 0, no edges, entropy 0, blank
    for (let k = 0; k < 2304; k++) px[2304 + k] = k % 2 === 0 ? 0 : 255; // vertical stripes, all clipped
    const f = imageFeaturesReference(px);
    expect([...f.subarray(0, 6)]).toEqual([100, 0, 0, 0, 0, 1]);
    expect(f[6]).toBe(127.5);
    expect(f[7]).toBe(127.5);
    expect(f[8]).toBe(510 * 510); // stripes: Laplacian 2·255 at 0-pixels, -2·255 at 255-pixels, mean 0
    expect(f[9]).toBe(1);
    expect(f[10]).toBe(1);
    expect(f[11]).toBe(0);
  });

  it('GPU matches the CPU reference (batches of 7, 37 images)', async () => {
    const px = images(37, 3);
    const want = imageFeaturesReference(px);
    const got = await computeImageFeatures(px, device(), { batchSize: 7 });
    // f32 results of exact integer sums: relative 1e-5 (entropy sums 256 f32 logs: 1e-5 absolute).
    expectClose(got, want, { atol: 1e-5, rtol: 1e-5, what: `features (${IMAGE_FEATURE_NAMES.join(',')})` });
    expect(got.filter((_, i) => i % 6 === 5)).toEqual(Float32Array.from(want.filter((_, i) => i % 6 === 5)));
  });

  it('rejects a partial image', async () => {
    await expect(computeImageFeatures(new Uint8Array(100), device())).rejects.toThrow(/48x48/);
  });
});
