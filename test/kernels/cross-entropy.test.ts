import { describe, expect, it } from 'vitest';
import goldens from '../goldens/bn-pool-ce.json';
import * as ref from '../../src/kernels/cross-entropy/reference.js';
import { crossEntropy, type CrossEntropyOptions } from '../../src/kernels/cross-entropy/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import { Rng } from '../../src/random.js';
import { expectClose, numericGrad, randn, toGpu, useDevice } from '../helpers.js';

// f32 GPU against the f64 reference. The loss is O(1) and, for 'mean'/'sum', a sum of up to
// 4,096 rows added in 256 partial sums: rtol 1e-5. Gradients are softmax probabilities (relative
// error ~1e-6) minus one-hot targets, divided by N for 'mean': atol 1e-6 scaled by that 1/N.
/** Options both the GPU op and the reference take (weights as an array). */
type Opts = Omit<CrossEntropyOptions, 'weight'> & { weight?: number[] | null };

const LOSS_TOL = { atol: 1e-5, rtol: 1e-5 };
const gradTol = (o: Opts, n: number) => ({ atol: 1e-6 / ((o.reduction ?? 'mean') === 'mean' ? n : 1), rtol: 1e-4 });

function classIds(n: number, k: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.int(k));
}

const WEIGHT7 = [0.5, 2, 1, 3, 0.25, 1.5, 1];
const OPTIONS: Opts[] = [];
for (const reduction of ['mean', 'sum', 'none'] as const) {
  for (const labelSmoothing of [0, 0.1]) {
    for (const weight of [null, WEIGHT7]) OPTIONS.push({ reduction, labelSmoothing, weight });
  }
}

describe('crossEntropy', () => {
  const device = useDevice();

  for (const [N, K] of [
    [1, 7],
    [13, 7],
    [4096, 7],
  ] as const) {
    it(`forward and backward on [${N}, ${K}], every reduction, label smoothing and weights`, async () => {
      const d = device();
      const z = randn([N, K], N, 3);
      const targets = classIds(N, K, N + 1);
      const logits = toGpu(d, z, true);
      for (const opts of OPTIONS) {
        const what = JSON.stringify(opts);
        logits.grad?.dispose();
        logits.grad = null;
        const loss = crossEntropy(logits, targets, opts);
        const lossRef = ref.crossEntropy(z, targets, opts);
        expect(loss.shape, what).toEqual(lossRef.shape);
        expectClose(await loss.toArray(), lossRef, { ...LOSS_TOL, what: `loss ${what}` });
        // An upstream gradient other than 1 checks that the backward scales by it on the GPU.
        const gy = lossRef.shape.length === 0 ? CpuTensor.from([0.7], []) : randn([N], 5);
        loss.backward(toGpu(d, gy));
        const gRef = ref.crossEntropyBackward(gy, z, targets, opts);
        expectClose(await logits.grad!.toArray(), gRef, { ...gradTol(opts, N), what: `grad ${what}` });
      }
    });
  }

  it('many classes, targets as Int32Array and i32 tensor, weights as a tensor, loss.backward()', async () => {
    const d = device();
    const [N, K] = [3, 300];
    const z = randn([N, K], 10, 2);
    const targets = Int32Array.from([299, 0, 150]);
    const weight = randn([K], 11).map((v) => 1 + Math.abs(v));
    const opts = { labelSmoothing: 0.2, weight: weight.data };
    const expected = ref.crossEntropy(z, targets, opts).data[0]!;
    const fromArray = crossEntropy(toGpu(d, z), targets, opts);
    const logits = toGpu(d, z, true);
    const fromTensor = crossEntropy(logits, d.tensor(targets, [N]), { ...opts, weight: toGpu(d, weight) });
    expect(await fromArray.item()).toBeCloseTo(expected, 5);
    expect(await fromTensor.item()).toBeCloseTo(expected, 5);
    fromTensor.backward(); // seeded with 1, as PyTorch
    const gRef = ref.crossEntropyBackward(CpuTensor.from([1], []), z, targets, opts);
    expectClose(await logits.grad!.toArray(), gRef, { atol: 1e-6 / N, rtol: 1e-4, what: 'grad' });
  });

  it('is stable for huge logits (max subtraction)', async () => {
    const d = device();
    const z = CpuTensor.from([1e4, -1e4, 0, 5e3, 5e3 + 1, -3e4], [2, 3]);
    const loss = crossEntropy(toGpu(d, z, true), [1, 2], { reduction: 'none' });
    expectClose(await loss.toArray(), ref.crossEntropy(z, [1, 2], { reduction: 'none' }), { atol: 1e-3, rtol: 1e-6 });
  });

  it('an out-of-range id in an i32 tensor gives NaN for its row, not an out-of-bounds read', async () => {
    const d = device();
    const logits = toGpu(d, randn([3, 4], 20), true);
    const t = d.tensor(Int32Array.from([1, 4, -1]), [3]);
    const none = await crossEntropy(logits, t, { reduction: 'none' }).toArray();
    expect(Number.isFinite(none[0]!)).toBe(true);
    expect(Number.isNaN(none[1]!) && Number.isNaN(none[2]!)).toBe(true);
    expect(Number.isNaN(await crossEntropy(logits, t).item())).toBe(true);
  });

  it('matches PyTorch (F.cross_entropy goldens: every reduction, label smoothing, weights)', async () => {
    const d = device();
    const golden = goldens.crossEntropy as any; // read loosely, as JSON.parse gave it
    const [N] = golden.shape as [number, number];
    const z = CpuTensor.from(golden.logits, golden.shape);
    for (const c of golden.cases) {
      const opts: Opts = { reduction: c.reduction, labelSmoothing: c.labelSmoothing, weight: c.weighted ? golden.weight : null };
      const what = JSON.stringify(opts);
      const gy = CpuTensor.from(c.gy, c.reduction === 'none' ? [N] : []);
      expectClose(ref.crossEntropy(z, golden.targets, opts).data, c.loss, { atol: 1e-12, rtol: 1e-12, what: `${what} reference` });
      expectClose(ref.crossEntropyBackward(gy, z, golden.targets, opts).data, c.grad, {
        atol: 1e-12,
        rtol: 1e-12,
        what: `${what} reference grad`,
      });
      const logits = toGpu(d, z, true);
      const loss = crossEntropy(logits, golden.targets, opts);
      expectClose(await loss.toArray(), c.loss, { ...LOSS_TOL, what });
      loss.backward(toGpu(d, gy));
      expectClose(await logits.grad!.toArray(), c.grad, { ...gradTol(opts, N), what: `${what} grad` });
    }
  });

  it('frees its saved gradient after backward, or at once without grad', async () => {
    const d = device();
    const logits = d.zeros([5, 7], { requiresGrad: true });
    const before = d.memory().bytesInUse;
    d.noGrad(() => crossEntropy(logits, [0, 1, 2, 3, 4])).dispose();
    expect(d.memory().bytesInUse).toBe(before);
    const loss = crossEntropy(logits, [0, 1, 2, 3, 4], { weight: WEIGHT7 });
    loss.backward();
    for (const t of [loss, logits.grad!]) t.dispose();
    expect(d.memory().bytesInUse).toBe(before);
  });

  it('backward reference agrees with finite differences', () => {
    const z = randn([4, 5], 30, 2);
    const targets = [0, 4, 2, 2];
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const opts of [{ reduction }, { reduction, labelSmoothing: 0.3, weight: [1, 2, 0.5, 3, 1.5] }]) {
        const gy = reduction === 'none' ? randn([4], 31) : CpuTensor.from([1.3], []);
        const gNum = numericGrad((x) => ref.crossEntropy(x, targets, opts), z, gy);
        expectClose(ref.crossEntropyBackward(gy, z, targets, opts).data, gNum, { atol: 1e-7, rtol: 1e-6, what: JSON.stringify(opts) });
      }
    }
  });

  it('rejects bad inputs at the call, naming the argument and the shapes', () => {
    const d = device();
    const logits = d.zeros([2, 3]);
    expect(() => crossEntropy(d.zeros([2, 3, 1]), [0, 1])).toThrow(/logits must be 2-D \[N, K\], got shape \[2, 3, 1\]/);
    expect(() => crossEntropy(logits, [0])).toThrow(/1 targets for logits \[2, 3\]/);
    expect(() => crossEntropy(logits, [0, 3])).toThrow(/target 3 at index 1 is not a class id in \[0, 3\)/);
    expect(() => crossEntropy(logits, [0, 1.5])).toThrow(/target 1.5 at index 1/);
    expect(() => crossEntropy(logits, [0, -1])).toThrow(/target -1/);
    expect(() => crossEntropy(logits, d.zeros([2]))).toThrow(/targets must be an i32 tensor of shape \[2\], got f32 \[2\]/);
    expect(() => crossEntropy(logits, d.tensor(Int32Array.from([0, 1, 2]), [3]))).toThrow(/shape \[2\], got i32 \[3\]/);
    expect(() => crossEntropy(logits, [0, 1], { weight: [1, 2] })).toThrow(/weight has 2 entries for 3 classes/);
    expect(() => crossEntropy(logits, [0, 1], { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\]/);
    expect(() => crossEntropy(logits, [0, 1], { reduction: 'avg' as 'mean' })).toThrow(/reduction must be/);
  });
});
