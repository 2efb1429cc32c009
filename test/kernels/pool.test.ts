import { describe, expect, it } from 'vitest';
import goldens from '../goldens/bn-pool-ce.json';
import * as ref from '../../src/kernels/pool/reference.js';
import { avgPool2d, globalAvgPool2d, maxPool2d, type Pool2dOptions } from '../../src/kernels/pool/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import { expectClose, numericGrad, randn, toGpu, useDevice } from '../helpers.js';

// f32 GPU against the f64 reference: max pooling is exact; averages of <= 9 terms round a few ulps.
const TOL = { atol: 1e-5, rtol: 1e-5 };

const CASES: Array<{ shape: number[]; opts: Pool2dOptions }> = [
  { shape: [1, 1, 4, 4], opts: { kernelSize: 2 } },
  { shape: [2, 3, 7, 5], opts: { kernelSize: 3, stride: 2, padding: 1 } }, // odd sizes, overlapping windows
  { shape: [1, 5, 9, 9], opts: { kernelSize: 3, stride: 1, padding: 1 } }, // stride 1: each input in 9 windows
  { shape: [2, 2, 6, 7], opts: { kernelSize: [2, 3], stride: [2, 1], padding: [1, 0] } },
  { shape: [16, 64, 24, 24], opts: { kernelSize: 3, stride: 2, padding: 1 } }, // a ResNet stem shape
];

describe('pool', () => {
  const device = useDevice();

  for (const { shape, opts } of CASES) {
    it(`maxPool2d / avgPool2d forward and backward on [${shape}] ${JSON.stringify(opts)}`, async () => {
      const d = device();
      const x = randn(shape, 1);
      const gx = toGpu(d, x, true);
      for (const [name, gpuOp, cpuOp, cpuBack] of [
        ['maxPool2d', maxPool2d, ref.maxPool2d, ref.maxPool2dBackward],
        ['avgPool2d', avgPool2d, ref.avgPool2d, ref.avgPool2dBackward],
      ] as const) {
        gx.grad?.dispose();
        gx.grad = null;
        const y = gpuOp(gx, opts);
        const yRef = cpuOp(x, opts);
        expect(y.shape).toEqual(yRef.shape);
        expectClose(await y.toArray(), yRef, { ...TOL, what: `${name} forward` });
        const gy = randn(yRef.shape, 2);
        y.backward(toGpu(d, gy));
        expectClose(await gx.grad!.toArray(), cpuBack(gy, x, opts), { ...TOL, what: `${name} backward` });
      }
    });
  }

  it('globalAvgPool2d forward and backward (batch 1, odd sizes, a ResNet shape)', async () => {
    const d = device();
    for (const shape of [
      [1, 3, 1, 1],
      [2, 5, 3, 7],
      [16, 512, 3, 3],
    ]) {
      const x = randn(shape, 3);
      const gx = toGpu(d, x, true);
      const y = globalAvgPool2d(gx);
      expect(y.shape).toEqual([shape[0], shape[1]]);
      expectClose(await y.toArray(), ref.globalAvgPool2d(x), { ...TOL, what: 'globalAvgPool2d forward' });
      const gy = randn(y.shape, 4);
      y.backward(toGpu(d, gy));
      expectClose(await gx.grad!.toArray(), ref.globalAvgPool2dBackward(gy, x), { ...TOL, what: 'globalAvgPool2d backward' });
    }
  });

  it('maxPool2d: padding is -inf, ties go to the first maximum', async () => {
    const d = device();
    // All values negative: zero padding would win, -inf padding does not.
    const x = d.tensor([-1, -2, -3, -4], [1, 1, 2, 2], { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 });
    expect(Array.from(await y.toArray())).toEqual([-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    // A constant plane: every window ties; the gradient goes to each window's first element.
    const c = d.tensor(new Float32Array(9).fill(5), [1, 1, 3, 3], { requiresGrad: true });
    maxPool2d(c, { kernelSize: 2, stride: 1 }).backward(d.full([1, 1, 2, 2], 1));
    expect(Array.from(await c.grad!.toArray())).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
    const cRef = ref.maxPool2dBackward(CpuTensor.from([1, 1, 1, 1], [1, 1, 2, 2]), CpuTensor.from(new Array(9).fill(5), [1, 1, 3, 3]), {
      kernelSize: 2,
      stride: 1,
    });
    expect(Array.from(cRef.data)).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
  });

  it('avgPool2d counts padding in the divisor (count_include_pad=True)', async () => {
    const d = device();
    const x = d.tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const y = avgPool2d(x, { kernelSize: 2, stride: 2, padding: 1 });
    expect(Array.from(await y.toArray())).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it('matches PyTorch (F.max_pool2d / avg_pool2d / adaptive_avg_pool2d goldens, with ties)', async () => {
    const d = device();
    const golden = goldens.pool as any; // read loosely, as JSON.parse gave it
    const x = CpuTensor.from(golden.x, golden.shape);
    for (const c of golden.cases) {
      const what = `${c.op} ${JSON.stringify(c.options)}`;
      const gy = CpuTensor.from(c.gy, c.outShape);
      const [cpuOp, cpuBack, gpuOp] = {
        maxPool2d: [ref.maxPool2d, ref.maxPool2dBackward, maxPool2d],
        avgPool2d: [ref.avgPool2d, ref.avgPool2dBackward, avgPool2d],
        globalAvgPool2d: [ref.globalAvgPool2d, ref.globalAvgPool2dBackward, globalAvgPool2d],
      }[c.op as 'maxPool2d'] as [typeof ref.maxPool2d, typeof ref.maxPool2dBackward, typeof maxPool2d];
      expectClose(cpuOp(x, c.options).data, c.y, { atol: 1e-12, rtol: 1e-12, what: `${what} reference` });
      expectClose(cpuBack(gy, x, c.options).data, c.gx, { atol: 1e-12, rtol: 1e-12, what: `${what} reference backward` });
      const xg = toGpu(d, x, true);
      const y = gpuOp(xg, c.options);
      expectClose(await y.toArray(), c.y, { ...TOL, what });
      y.backward(toGpu(d, gy));
      expectClose(await xg.grad!.toArray(), c.gx, { ...TOL, what: `${what} backward` });
    }
  });

  it('maxPool2d frees its argmax after backward, or at once without grad', async () => {
    const d = device();
    const x = d.zeros([2, 3, 6, 6], { requiresGrad: true });
    const before = d.memory().bytesInUse;
    d.noGrad(() => maxPool2d(x, { kernelSize: 2 })).dispose();
    expect(d.memory().bytesInUse).toBe(before);
    const y = maxPool2d(x, { kernelSize: 2 });
    const gy = d.zeros(y.shape);
    y.backward(gy);
    for (const t of [y, gy, x.grad!]) t.dispose();
    expect(d.memory().bytesInUse).toBe(before);
  });

  it('backward references agree with finite differences', () => {
    for (const { shape, opts } of CASES.slice(0, 4)) {
      const x = randn(shape, 5);
      const y = ref.avgPool2d(x, opts);
      const gy = randn(y.shape, 6);
      const tol = { atol: 1e-6, rtol: 1e-6 };
      expectClose(
        ref.avgPool2dBackward(gy, x, opts).data,
        numericGrad((t) => ref.avgPool2d(t, opts), x, gy),
        { ...tol, what: 'avgPool2d' },
      );
      // Random normals have no ties, so max pooling is differentiable at x.
      expectClose(
        ref.maxPool2dBackward(gy, x, opts).data,
        numericGrad((t) => ref.maxPool2d(t, opts), x, gy),
        { ...tol, what: 'maxPool2d' },
      );
    }
    const x = randn([2, 3, 3, 5], 7);
    const gy = randn([2, 3], 8);
    expectClose(ref.globalAvgPool2dBackward(gy, x).data, numericGrad(ref.globalAvgPool2d, x, gy), { atol: 1e-6, rtol: 1e-6 });
  });

  it('rejects bad inputs, naming the op and the shapes', () => {
    const d = device();
    expect(() => maxPool2d(d.zeros([3, 8, 8]), { kernelSize: 2 })).toThrow(/maxPool2d: input must be 4-D .* \[3, 8, 8\]/);
    expect(() => avgPool2d(d.zeros([1, 1, 2, 2]), { kernelSize: 3 })).toThrow(/avgPool2d: input \[1, 1, 2, 2\] is too small/);
    expect(() => maxPool2d(d.zeros([1, 1, 8, 8]), { kernelSize: 2, padding: 2 })).toThrow(/at most half/);
    expect(() => maxPool2d(d.zeros([1, 1, 8, 8]), { kernelSize: 0 })).toThrow(/kernelSize must be an integer >= 1/);
    expect(() => avgPool2d(d.zeros([1, 1, 8, 8]), { kernelSize: 2, stride: 1.5 })).toThrow(/stride/);
    expect(() => globalAvgPool2d(d.zeros([2, 3]))).toThrow(/globalAvgPool2d: input must be 4-D/);
  });
});
