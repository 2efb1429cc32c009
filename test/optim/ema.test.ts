import { describe, expect, it } from 'vitest';
import { emaUpdate, reference as ref } from '../../src/optim/index.js';
import { expectClose, randn, toGpu, useDevice } from '../helpers.js';

const SIZES = [1, 7, 1000, 4097, 70_000];

describe('emaUpdate (shadow weights)', () => {
  const device = useDevice();

  it('matches the CPU reference over several updates, for several decays and odd sizes', async () => {
    const d = device();
    for (const decay of [0, 0.5, 0.9, 0.999]) {
      for (const [k, n] of SIZES.entries()) {
        const shadowCpu = randn([n], 10 * k + 1); // overwritten by the first update
        const shadow = toGpu(d, shadowCpu);
        for (let step = 0; step < 4; step++) {
          const paramCpu = randn([n], 100 * k + step + 7, 1 + step);
          const param = toGpu(d, paramCpu);
          ref.emaStep(shadowCpu, paramCpu, decay, step === 0);
          emaUpdate(shadow, param, decay, step === 0);
          if (step === 0) expect(Array.from(await shadow.toArray())).toEqual(Array.from(Float32Array.from(paramCpu.data)));
          param.dispose();
        }
        expectClose(await shadow.toArray(), shadowCpu, { atol: 1e-6, rtol: 1e-6, what: `decay ${decay}, size ${n}` });
        shadow.dispose();
      }
    }
  });

  it('follows the closed form of a constant target: avg − target shrinks by decay each update', async () => {
    const d = device();
    const shadow = d.tensor([0, 10], [2]);
    const target = d.tensor([1, -1], [2]);
    emaUpdate(shadow, d.tensor([0, 10], [2]), 0.9, true);
    for (let i = 0; i < 5; i++) emaUpdate(shadow, target, 0.9, false);
    expectClose(await shadow.toArray(), [1 - 0.9 ** 5, -1 + 11 * 0.9 ** 5], { atol: 1e-6, rtol: 1e-6 });
  });

  it('rejects mismatched shapes and decays outside [0, 1]', () => {
    const d = device();
    const a = d.zeros([3]);
    expect(() => emaUpdate(a, d.zeros([4]), 0.9, false)).toThrow(/shadow \[3\] and param \[4\]/);
    expect(() => emaUpdate(a, d.zeros([3]), 1.5, false)).toThrow(/decay must be in \[0, 1\]/);
  });
});
