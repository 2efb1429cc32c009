import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { embeddingDrift, type EmbeddingDriftOptions } from '../../src/drift/embedding-drift.js';
import { percentile } from '../../src/drift/matrix.js';
import { rocAuc } from '../../src/drift/domain-classifier.js';
import { pairwiseSqDistGpu, rbfRowSumsGpu, rbfRowSumsReference, sqDistReference } from '../../src/drift/pairwise/index.js';
import { Rng } from '../../src/random.js';
import { expectClose, useDevice } from '../helpers.js';

interface GoldenCase {
  name: string;
  pcaComponents: number | null;
  ref: number[][];
  cur: number[][];
  results: Record<string, { score: number; drifted: boolean; threshold: number }>;
}
const golden = JSON.parse(readFileSync(new URL('../goldens/drift_embeddings.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };

function optionsFor(key: string): EmbeddingDriftOptions {
  const bootstrap = key.endsWith('_bootstrap');
  const [method, dist] = key.replace('_bootstrap', '').split('_') as ['mmd' | 'ratio' | 'distance', string?];
  return { method, bootstrap: method === 'ratio' ? undefined : bootstrap, distance: dist as EmbeddingDriftOptions['distance'] };
}

describe('embedding drift goldens (scripts/goldens/drift_embeddings.py, Evidently formulas with sklearn/scipy)', () => {
  for (const c of golden.cases) {
    for (const [key, want] of Object.entries(c.results)) {
      it(`${c.name}: ${key} within 1e-6, same threshold and verdict`, async () => {
        const got = await embeddingDrift(c.ref, c.cur, { ...optionsFor(key), pcaComponents: c.pcaComponents ?? undefined });
        expect(Math.abs(got.driftScore - want.score)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want.score)));
        expect(Math.abs(got.threshold - want.threshold)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want.threshold)));
        expect(got.driftDetected).toBe(want.drifted);
      });
    }
  }
});

/** Seeded Gaussian embeddings [n, d] with a mean shift on the first `shifted` columns. */
function gaussian(n: number, d: number, seed: number, shift = 0, shifted = d): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) out[i * d + k] = rng.normal() + (k < shifted ? shift : 0);
  return out;
}

describe('embedding drift: known drift and no drift per method', () => {
  const d = 16;
  const ref = gaussian(1200, d, 1);
  const same = gaussian(1000, d, 2);
  const shifted = gaussian(1000, d, 3, 0.6);
  const cases: [string, EmbeddingDriftOptions][] = [
    ['model', { method: 'model' }],
    ['model with bootstrap', { method: 'model', bootstrap: true }],
    ['mmd', { method: 'mmd' }],
    ['ratio', { method: 'ratio' }],
    ['distance (euclidean, bootstrap)', { method: 'distance', bootstrap: true }],
  ];
  // Subsample for the O(N²) CPU MMD so the file stays fast.
  const small = (a: Float32Array, n: number) => a.subarray(0, n * d);
  for (const [name, opts] of cases) {
    it(name, async () => {
      const n = opts.method === 'mmd' ? 300 : undefined;
      const r = n ? small(ref, n) : ref;
      const noDrift = await embeddingDrift(r, n ? small(same, n) : same, { ...opts, dim: d });
      const drift = await embeddingDrift(r, n ? small(shifted, n) : shifted, { ...opts, dim: d });
      expect(noDrift.driftDetected, `no drift: score ${noDrift.driftScore} vs ${noDrift.threshold}`).toBe(false);
      expect(drift.driftDetected, `drift: score ${drift.driftScore} vs ${drift.threshold}`).toBe(true);
      expect(drift.driftScore).toBeGreaterThan(noDrift.driftScore);
    });
  }

  it('distance (cosine): mean direction changes', async () => {
    // Cosine compares mean directions, so the data need a non-zero mean: +1 on every column.
    const offset = (a: Float32Array, k0: number, k1: number, by: number) => a.map((v, i) => (i % d >= k0 && i % d < k1 ? v + by : v));
    const r = offset(ref, 0, d, 1);
    const noDrift = await embeddingDrift(r, offset(same, 0, d, 1), { method: 'distance', distance: 'cosine', dim: d });
    const drift = await embeddingDrift(r, offset(same, 0, d / 2, 3), { method: 'distance', distance: 'cosine', dim: d });
    expect(noDrift.driftDetected, `score ${noDrift.driftScore}`).toBe(false);
    expect(drift.driftDetected, `score ${drift.driftScore}`).toBe(true);
  });

  it('cosine distance: identical directions give 0 even with different lengths', async () => {
    const a = [
      [1, 2],
      [3, 4],
    ];
    const b = [
      [2, 4],
      [6, 8],
    ];
    expect((await embeddingDrift(a, b, { method: 'distance', distance: 'cosine' })).driftScore).toBeCloseTo(0, 12);
  });

  it('model defaults to bootstrap below 1000 reference rows, as Evidently', async () => {
    expect((await embeddingDrift(small(ref, 200), small(same, 200), { dim: d })).bootstrap).toBe(true);
    expect((await embeddingDrift(ref, same, { dim: d })).bootstrap).toBe(false);
  });

  it('validates shapes and values', async () => {
    await expect(embeddingDrift(new Float32Array(10), new Float32Array(10))).rejects.toThrow(/options\.dim/);
    await expect(
      embeddingDrift(
        [[1, 2], [3]],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    ).rejects.toThrow(/row 1 has 1 values/);
    await expect(
      embeddingDrift(
        [
          [1, 2],
          [3, 4],
        ],
        [[1], [2]],
      ),
    ).rejects.toThrow(/2 columns, current has 1/);
    await expect(
      embeddingDrift(
        [
          [1, NaN],
          [3, 4],
        ],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    ).rejects.toThrow(/reference\[0\]\[1\] is NaN/);
  });

  it('rocAuc and percentile match hand values', () => {
    expect(rocAuc([1, 0, 1, 0], [0.9, 0.1, 0.4, 0.4])).toBe(0.875); // one tie between classes counts 1/2
    expect(percentile([1, 2, 3, 4], 0.95)).toBeCloseTo(3.85, 12);
  });
});

describe('embedding drift kernels: GPU vs CPU reference', () => {
  const device = useDevice();

  it('pairwise squared distances (odd shapes: 37 x 45, d = 19)', async () => {
    const a = gaussian(37, 19, 5);
    const b = gaussian(45, 19, 6, 0.3);
    const got = await pairwiseSqDistGpu(device(), a, b, 37, 45, 19);
    // f32 sums of 19 squares of O(1) values: rtol 1e-5.
    expectClose(got, sqDistReference(a, b, 37, 45, 19), { atol: 1e-5, rtol: 1e-5, what: 'sqdist' });
  });

  it('RBF row sums across column chunks (N = 1100 > one 512 chunk, d = 7)', async () => {
    const z = gaussian(1100, 7, 8);
    const got = await rbfRowSumsGpu(device(), z, 1100, 7, 600, 0.1);
    expectClose(got, rbfRowSumsReference(z, 1100, 7, 600, 0.1), { atol: 1e-4, rtol: 1e-5, what: 'rbf row sums' });
  });

  it('mmd on the GPU matches the CPU path (with bootstrap)', async () => {
    const x = gaussian(150, 8, 9);
    const y = gaussian(120, 8, 10, 0.2);
    const cpu = await embeddingDrift(x, y, { method: 'mmd', dim: 8, bootstrap: true });
    const gpu = await embeddingDrift(x, y, { method: 'mmd', dim: 8, bootstrap: true, device: device() });
    // MMD² is a difference of O(1) kernel means; f32 distances give ~1e-6 absolute error.
    expect(Math.abs(gpu.driftScore - cpu.driftScore)).toBeLessThan(1e-5);
    expect(Math.abs(gpu.threshold - cpu.threshold)).toBeLessThan(1e-5);
    expect(gpu.driftDetected).toBe(cpu.driftDetected);
  });
});
