import { describe, expect, it } from 'vitest';
import * as ref from '../../src/kernels/matmul/reference.js';
import { linear, linearBackward, matmul, matmulBackward } from '../../src/kernels/matmul/index.js';
import { chooseTiling, setTiling } from '../../src/kernels/gemm/tiling.js';
import { autotune, setTuneStore, type TuneCache, type TuneStore } from '../../src/kernels/autotune.js';
import { expectClose, numericGrad, randn, toGpu, useDevice } from '../helpers.js';

/** f32 sums of L unit-normal products against f64: rounding grows like eps·L at worst (eps = 6e-8). */
const tol = (L: number): { atol: number; rtol: number } => ({ atol: 1e-6 * L + 1e-6, rtol: 1e-5 });

// [M, K, N]: a single element, odd sizes, sizes around the block edges, the FER head (512 -> 7),
// and two products big enough (>= 2^18 multiply-adds) to run as 1x1 convolutions where the
// adapter's forward kernel is the faster one (matmulAsConv): N a multiple of 8 (vec4 columns), and
// N odd with M % 4 != 0 (scalar columns; the transposed-A gradient falls back to the GEMM kernel)
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 5, 7],
  [13, 17, 9],
  [33, 64, 70],
  [64, 512, 7],
  [40, 96, 80],
  [45, 90, 75],
];

describe('matmul and linear', () => {
  const device = useDevice();

  for (const [M, K, N] of SHAPES) {
    it(`matmul [${M}, ${K}] x [${K}, ${N}] forward and backward match the reference`, async () => {
      const d = device();
      const a = randn([M, K], 1);
      const b = randn([K, N], 2);
      const gy = randn([M, N], 3);
      const ga = toGpu(d, a, true);
      const gb = toGpu(d, b, true);
      const y = matmul(ga, gb);
      expect(y.shape).toEqual([M, N]);
      expectClose(await y.toArray(), ref.matmul(a, b), { ...tol(K), what: 'forward' });
      y.backward(toGpu(d, gy));
      const r = ref.matmulBackward(gy, a, b);
      expectClose(await ga.grad!.toArray(), r.ga, { ...tol(N), what: 'a.grad' });
      expectClose(await gb.grad!.toArray(), r.gb, { ...tol(M), what: 'b.grad' });
    });

    it(`linear x [${M}, ${K}], weight [${N}, ${K}] with bias forward and backward match the reference`, async () => {
      const d = device();
      const x = randn([M, K], 4);
      const w = randn([N, K], 5);
      const bias = randn([N], 6);
      const gy = randn([M, N], 7);
      const [gx, gw, gbias] = [toGpu(d, x, true), toGpu(d, w, true), toGpu(d, bias, true)];
      const y = linear(gx, gw, gbias);
      expectClose(await y.toArray(), ref.linear(x, w, bias), { ...tol(K), what: 'forward' });
      y.backward(toGpu(d, gy));
      const r = ref.linearBackward(gy, x, w);
      expectClose(await gx.grad!.toArray(), r.gx, { ...tol(N), what: 'x.grad' });
      expectClose(await gw.grad!.toArray(), r.gweight, { ...tol(M), what: 'weight.grad' });
      expectClose(await gbias.grad!.toArray(), r.gbias, { ...tol(M), what: 'bias.grad' });
    });
  }

  it('linear without bias, and other register blocks, give the same results', async () => {
    const d = device();
    const x = randn([11, 6], 8);
    const w = randn([5, 6], 9);
    const gy = randn([11, 5], 10);
    const expected = ref.linearBackward(gy, x, w);
    try {
      for (const tiling of [
        { bm: 1, bn: 1, wg: 8 },
        { bm: 3, bn: 2, wg: 4 },
      ]) {
        setTiling(d, 'matmul', tiling);
        const what = JSON.stringify(tiling);
        expectClose(await linear(toGpu(d, x), toGpu(d, w)).toArray(), ref.linear(x, w), { ...tol(6), what });
        const r = linearBackward(toGpu(d, gy), toGpu(d, x), toGpu(d, w));
        expectClose(await r.gx!.toArray(), expected.gx, { ...tol(5), what });
        expectClose(await r.gweight!.toArray(), expected.gweight, { ...tol(11), what });
        const m = matmulBackward(toGpu(d, gy), toGpu(d, x), toGpu(d, randn([6, 5], 11)));
        expect(m.ga!.shape).toEqual([11, 6]);
        expect(m.gb!.shape).toEqual([6, 5]);
      }
    } finally {
      setTiling(d, 'matmul', null);
    }
  });

  it('backward references agree with central finite differences', () => {
    const a = randn([4, 3], 12);
    const b = randn([3, 5], 13);
    const bias = randn([5], 14);
    const gy = randn([4, 5], 15);
    const TOL = { atol: 1e-7, rtol: 1e-6 }; // linear in each argument: FD is exact but for rounding
    const m = ref.matmulBackward(gy, a, b);
    expectClose(
      m.ga.data,
      numericGrad((v) => ref.matmul(v, b), a, gy),
      { ...TOL, what: 'matmul ga' },
    );
    expectClose(
      m.gb.data,
      numericGrad((v) => ref.matmul(a, v), b, gy),
      { ...TOL, what: 'matmul gb' },
    );
    const w = randn([5, 3], 16);
    const l = ref.linearBackward(gy, a, w);
    expectClose(
      l.gx.data,
      numericGrad((v) => ref.linear(v, w, bias), a, gy),
      { ...TOL, what: 'linear gx' },
    );
    expectClose(
      l.gweight.data,
      numericGrad((v) => ref.linear(a, v, bias), w, gy),
      { ...TOL, what: 'linear gweight' },
    );
    expectClose(
      l.gbias.data,
      numericGrad((v) => ref.linear(a, w, v), bias, gy),
      { ...TOL, what: 'linear gbias' },
    );
  });

  it('rejects bad input, naming the op and the shapes', () => {
    const d = device();
    expect(() => matmul(d.zeros([2, 3]), d.zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: \[2, 3\] x \[4, 5\]/);
    expect(() => matmul(d.zeros([2, 3, 1]), d.zeros([3, 5]))).toThrow(/matmul: both operands must be 2-D, got \[2, 3, 1\] and \[3, 5\]/);
    expect(() => matmul(d.zeros([2, 3], { dtype: 'i32' }), d.zeros([3, 5]))).toThrow(/matmul: a \[2, 3\] must be f32, got i32/);
    expect(() => linear(d.zeros([2, 3]), d.zeros([4, 5]))).toThrow(/linear: input \[2, 3\] has 3 features but weight \[4, 5\] expects 5/);
    expect(() => linear(d.zeros([2, 3, 1]), d.zeros([4, 3]))).toThrow(/linear: input must be 2-D \[N, in_features\], got \[2, 3, 1\]/);
    expect(() => linear(d.zeros([2, 3]), d.zeros([4, 3]), d.zeros([3]))).toThrow(/linear: bias must have shape \[4\].*got \[3\]/);
    expect(() => linearBackward(d.zeros([2, 5]), d.zeros([2, 3]), d.zeros([4, 3]))).toThrow(
      /linearBackward: output gradient must have shape \[2, 4\], got \[2, 5\]/,
    );
    expect(() => ref.matmul(randn([2, 3], 1), randn([2, 3], 1))).toThrow(/matmul: inner dimensions differ/);
  });

  it('a tiling wider than the device allows is narrowed to its limit, and still computes the product', async () => {
    const d = device();
    const limit = Math.min(d.gpu.limits.maxComputeInvocationsPerWorkgroup, d.gpu.limits.maxComputeWorkgroupSizeX);
    setTiling(d, 'matmul', { wg: limit * 2 });
    try {
      expect(chooseTiling(d, 'matmul', { rows: 40, cols: 600, depth: 9 }).wg).toBe(limit);
      const a = randn([40, 9], 19);
      const b = randn([9, 600], 20);
      expectClose(await matmul(toGpu(d, a), toGpu(d, b)).toArray(), ref.matmul(a, b), { ...tol(9), what: `wg ${limit}` });
    } finally {
      setTiling(d, 'matmul', null);
    }
  });

  it('autotune keeps a working tiling, stores it per adapter and chooseTiling uses it; a store that fails does not make it fail', async () => {
    const d = device();
    const saved: TuneCache[] = [];
    const recording: TuneStore = { load: () => ({}), save: (c) => void saved.push(structuredClone(c)) };
    setTuneStore(recording);
    try {
      const dims = { rows: 24, cols: 40, depth: 8 };
      const won = await autotune(d, 'matmul', { M: 24, K: 8, N: 40 }, 1);
      expect(chooseTiling(d, 'matmul', dims)).toEqual(won);
      expect(Object.values(saved.at(-1)!).map((e) => e.matmul)).toContainEqual(won);
      // the tuned kernel still computes the product
      const a = randn([24, 8], 17);
      const b = randn([8, 40], 18);
      expectClose(await matmul(toGpu(d, a), toGpu(d, b)).toArray(), ref.matmul(a, b), { ...tol(8), what: JSON.stringify(won) });
      // the winner respects the device's limits (SwiftShader: 256 invocations per workgroup)
      expect(won.wg).toBeLessThanOrEqual(d.gpu.limits.maxComputeInvocationsPerWorkgroup);
      // a store that cannot write (or read) does not make tuning fail
      setTuneStore({ load: () => ({}), save: () => {} });
      await expect(autotune(d, 'matmul', { M: 8, K: 4, N: 8 }, 1)).resolves.toHaveProperty('bm');
    } finally {
      setTuneStore({ load: () => ({}), save: () => {} });
    }
  });
});
