/** Per-kernel profiles (gpu/profile.ts, bench/profile.ts): every dispatch timed and classified, by both methods. */
import { describe, expect, it } from 'vitest';
import { profileWork, type WorkProfile } from '../../src/gpu/profile.js';
import { formatProfile, kernelClass, profileStep } from '../../src/bench/profile.js';
import { conv2d } from '../../src/kernels/conv2d/index.js';
import { useDevice } from '../helpers.js';

describe('profiles', () => {
  const device = useDevice();

  const work = (): (() => void) => {
    const d = device();
    const x = d.tensor(
      Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.sin(i)),
      [2, 4, 8, 8],
      { requiresGrad: true },
    );
    const w = d.tensor(
      Float32Array.from({ length: 8 * 4 * 9 }, (_, i) => Math.cos(i)),
      [8, 4, 3, 3],
      { requiresGrad: true },
    );
    return () => d.tidy(() => conv2d(x, w, { padding: 1, stride: 2 }).backward(d.full([2, 8, 4, 4], 1)));
  };

  it('times every dispatch of the work, by timestamp queries where the adapter has them and by isolation', async () => {
    const d = device();
    const step = work();
    step(); // compile
    const methods: Array<WorkProfile['method']> = ['isolation'];
    if (d.info.features.includes('timestamp-query')) methods.push('timestamp-query');
    for (const method of methods) {
      const before = d.dispatches;
      const p = await profileWork(d, step, { method });
      expect(p.method).toBe(method);
      expect(p.dispatchCount).toBe(p.dispatches.length);
      expect(p.dispatchCount).toBeGreaterThanOrEqual(3);
      expect(p.submits).toBe(1);
      for (const t of p.dispatches) expect(t.ms, `${method} ${t.kernel}`).toBeGreaterThanOrEqual(0);
      // the kernels of a strided conv's forward and both backwards are all there
      const names = new Set(p.dispatches.map((t) => t.kernel));
      for (const k of ['conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight']) expect(names).toContain(k);
      expect(d.profiler).toBeNull();
      if (method === 'isolation') expect(d.dispatches - before).toBe(4 * p.dispatchCount); // once recorded, then 3 re-runs each
    }
  });

  it('groups a step by kernel class and prints a table', async () => {
    const d = device();
    const p = await profileStep(d, work());
    expect(p.classes.reduce((a, c) => a + c.dispatches, 0)).toBe(p.dispatches);
    expect(p.kernels.reduce((a, k) => a + k.ms, 0)).toBeCloseTo(p.gpuMs, 6);
    expect(p.classes.map((c) => c.name)).toEqual(expect.arrayContaining(['conv forward', 'conv backward-input', 'conv backward-weight']));
    const text = formatProfile('profile', p);
    expect(text).toContain(`${p.dispatches} dispatches, 1 submit`);
    expect(text).toMatch(/\| conv forward \| \d+\.\d \| \d+\.\d% \| \d+ \|/);
    expect(kernelClass('batchNormStatsUpdateVec4')).toBe('batchnorm');
    expect(kernelClass('sgd_momentum_wd')).toBe('optimizer');
    expect(kernelClass('somethingNew')).toBe('other');
  });
});
