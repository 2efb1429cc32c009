import { describe, expect, it } from 'vitest';
import * as ref from '../../src/kernels/conv2d/reference.js';
import {
  conv2d,
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dFused,
  packConv2dWeight,
  setConvUnrollLimit,
} from '../../src/kernels/conv2d/index.js';
import { setTiling, type Tiling } from '../../src/kernels/gemm/tiling.js';
import type { Conv2dOptions } from '../../src/kernels/conv2d/shape.js';
import { expectClose, numericGrad, randn, toGpu, useDevice } from '../helpers.js';

interface Case {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  opts: Conv2dOptions;
  bias: boolean;
}

const CASES: Case[] = [
  { name: 'batch 1, 7x5, 3x3 pad 1, C=3 K=5', x: [1, 3, 7, 5], w: [5, 3, 3, 3], opts: { padding: 1 }, bias: true },
  { name: 'stride 2 pad 0, 3x3, C=5 K=7, 9x7', x: [2, 5, 9, 7], w: [7, 5, 3, 3], opts: { stride: 2 }, bias: false },
  { name: 'stride 2 pad 1, 3x3, C=7 K=3, 8x8', x: [2, 7, 8, 8], w: [3, 7, 3, 3], opts: { stride: 2, padding: 1 }, bias: true },
  { name: '1x1, C=5 K=9, 5x5', x: [3, 5, 5, 5], w: [9, 5, 1, 1], opts: {}, bias: true },
  // the backward-input's stride phases then need a negative padding (phaseWeightKernel)
  { name: 'stride 2 pad 2, 3x3, C=3 K=4, 7x9', x: [2, 3, 7, 9], w: [4, 3, 3, 3], opts: { stride: 2, padding: 2 }, bias: false },
  {
    name: '3x2 kernel, stride [1, 2], padding [1, 0]',
    x: [2, 3, 6, 7],
    w: [4, 3, 3, 2],
    opts: { stride: [1, 2], padding: [1, 0] },
    bias: true,
  },
  { name: 'ResNet 3x3, N=8 C=K=32 24x24 pad 1', x: [8, 32, 24, 24], w: [32, 32, 3, 3], opts: { padding: 1 }, bias: true },
  { name: 'ResNet downsample 1x1 stride 2, C=32 K=64 24x24', x: [8, 32, 24, 24], w: [64, 32, 1, 1], opts: { stride: 2 }, bias: false },
  // 1x1 stride 2 on odd planes: the backward-input's one live phase zero-fills cells cut by the edge
  { name: '1x1 stride 2, odd 7x5, C=4 K=6', x: [2, 4, 7, 5], w: [6, 4, 1, 1], opts: { stride: 2 }, bias: false },
  { name: '1x1 stride [1, 2], C=3 K=5, 4x7', x: [2, 3, 4, 7], w: [5, 3, 1, 1], opts: { stride: [1, 2] }, bias: false },
  // the last stage's 6x6 rows: backward-weight lanes over (c, all kernel rows) on unaligned rows
  { name: 'ResNet last stage 3x3, N=4 C=K=24 6x6 pad 1', x: [4, 24, 6, 6], w: [24, 24, 3, 3], opts: { padding: 1 }, bias: false },
];

/**
 * Tolerance for f32 GPU sums against the f64 reference with unit-normal data: rounding errors of
 * a length-L sum grow like eps·L at worst, so atol = 1e-6·L (eps = 6e-8, with margin).
 */
const tol = (L: number): { atol: number; rtol: number } => ({ atol: 1e-6 * L + 1e-6, rtol: 1e-5 });

describe('conv2d', () => {
  const device = useDevice();

  for (const c of CASES) {
    it(`forward and every backward match the reference: ${c.name}`, async () => {
      const d = device();
      const x = randn(c.x, 1);
      const w = randn(c.w, 2);
      const b = c.bias ? randn([c.w[0]], 3) : null;
      const y = ref.conv2d(x, w, { ...c.opts, bias: b });
      const gy = randn(y.shape, 4);
      const [N, C] = c.x;
      const [K, , R, S] = c.w;
      const P = y.shape[2]!;
      const Q = y.shape[3]!;

      const gx = toGpu(d, x, true);
      const gw = toGpu(d, w, true);
      const gb = b ? toGpu(d, b, true) : null;
      const out = conv2d(gx, gw, { ...c.opts, bias: gb });
      expect(out.shape).toEqual(y.shape);
      expectClose(await out.toArray(), y, { ...tol(C * R * S), what: 'forward' });

      out.backward(toGpu(d, gy));
      expectClose(await gx.grad!.toArray(), ref.conv2dBackwardInput(gy, w, c.x, c.opts), { ...tol(K * R * S), what: 'x.grad' });
      expectClose(await gw.grad!.toArray(), ref.conv2dBackwardWeight(gy, x, c.w, c.opts), { ...tol(N * P * Q), what: 'weight.grad' });
      if (b) expectClose(await gb!.grad!.toArray(), ref.conv2dBackwardBias(gy), { ...tol(N * P * Q), what: 'bias.grad' });
    });
  }

  it('other register blocks and a split backward-weight reduction give the same results', async () => {
    const d = device();
    const c = CASES[2]!; // stride 2, pad 1, channels not a multiple of 4
    const x = randn(c.x, 5);
    const w = randn(c.w, 6);
    const gy = randn([2, 3, 4, 4], 7);
    const L = 2 * 4 * 4;
    try {
      // the last two: backward-weight lanes over (c, all kernel rows) with vec4 loads, and
      // without subgroups or vec4 loads
      for (const tiling of [
        { bm: 1, bn: 1, wg: 32 },
        { bm: 2, bn: 3, wg: 16, splits: 3 },
        { bm: 8, bn: 2, splits: 8 },
        { bm: 8, bn: 4, wg: 8, sg: 8, vec: 4, kr: 3, splits: 2 },
        { bm: 3, bn: 5, wg: 16, sg: 0, vec: 0, kr: 2 },
      ]) {
        setTiling(d, 'conv2d', tiling);
        setTiling(d, 'conv2dBackwardInput', tiling);
        setTiling(d, 'conv2dBackwardWeight', tiling);
        const what = JSON.stringify(tiling);
        expectClose(await conv2d(toGpu(d, x), toGpu(d, w), c.opts).toArray(), ref.conv2d(x, w, c.opts), { ...tol(63), what });
        const gx = conv2dBackwardInput(toGpu(d, gy), toGpu(d, w), c.x, c.opts);
        expectClose(await gx.toArray(), ref.conv2dBackwardInput(gy, w, c.x, c.opts), { ...tol(27), what });
        const gw = conv2dBackwardWeight(toGpu(d, gy), toGpu(d, x), c.w, c.opts);
        expectClose(await gw.toArray(), ref.conv2dBackwardWeight(gy, x, c.w, c.opts), { ...tol(L), what });
      }
    } finally {
      setTiling(d, 'conv2d', null);
      setTiling(d, 'conv2dBackwardInput', null);
      setTiling(d, 'conv2dBackwardWeight', null);
    }
  });

  it('backward-weight with lanes over several kernel rows (carried rows, 1x1 channel groups) matches the reference', async () => {
    const d = device();
    // every kernel row per lane: the input rows the next output row shares are carried to it
    // (3x3 pad 1 and pad 0, a 5x3 kernel with padding 2 whose first rows lie above the plane, a
    // column stride of 2, row stride 2 with padding 0 and 2); 1x1 layers read as 4 kernel rows H
    // input rows apart over groups of 4 channels (index.ts), every group row per lane (kr 4) or
    // half of them (kr 2); with vec4 loads and subgroups and without
    const cases: Case[] = [
      CASES[0]!,
      CASES[1]!,
      CASES[4]!,
      CASES[5]!,
      { name: '3x3 pad 0, C=5 K=3, 6x8', x: [2, 5, 6, 8], w: [3, 5, 3, 3], opts: {}, bias: false },
      { name: '5x3 pad [2, 1], C=3 K=4, 7x6', x: [2, 3, 7, 6], w: [4, 3, 5, 3], opts: { padding: [2, 1] }, bias: false },
      CASES.find((c) => c.name.startsWith('1x1 stride 2, odd'))!,
      { name: '1x1, C=8 K=5, 5x6', x: [2, 8, 5, 6], w: [5, 8, 1, 1], opts: {}, bias: false },
    ];
    try {
      for (const c of cases) {
        const x = randn(c.x, 8);
        const w = randn(c.w, 9);
        const gy = randn(ref.conv2d(x, w, c.opts).shape, 10);
        const rows = c.w[2] > 1 ? [c.w[2], c.w[2]] : [4, 2];
        const L = gy.shape[0]! * gy.shape[2]! * gy.shape[3]!;
        for (const tiling of [
          { bm: 8, bn: 4, wg: 8, sg: 8, vec: 4, kr: rows[0], splits: 2 },
          { bm: 2, bn: 3, wg: 16, sg: 0, vec: 0, kr: rows[1] },
        ]) {
          setTiling(d, 'conv2dBackwardWeight', tiling);
          const gw = conv2dBackwardWeight(toGpu(d, gy), toGpu(d, x), c.w, c.opts);
          const what = `${c.name} ${JSON.stringify(tiling)}`;
          expectClose(await gw.toArray(), ref.conv2dBackwardWeight(gy, x, c.w, c.opts), { ...tol(L), what });
        }
      }
    } finally {
      setTiling(d, 'conv2dBackwardWeight', null);
    }
  });

  it('backward-input of strided convolutions with every stride phase in one pass (packed weights) matches the reference', async () => {
    const d = device();
    // the strided CASES (odd planes, padding 0 and 2, a 3x2 kernel with stride [1, 2]), with
    // packed-weight tilings with and without subgroups; rows are (channel, phase) pairs
    const strided = CASES.filter((c) => c.opts.stride !== undefined && c.w[2] * c.w[3] > 1);
    expect(strided.length).toBeGreaterThanOrEqual(4);
    try {
      for (const tiling of [
        { bm: 8, bn: 3, wg: 16, sg: 0, vec: 4 },
        { bm: 16, bn: 4, wg: 16, sg: 8, vec: 4 },
      ]) {
        setTiling(d, 'conv2dBackwardInput', tiling);
        for (const c of strided) {
          const w = randn(c.w, 40);
          const y = ref.conv2d(randn(c.x, 41), w, c.opts);
          const gy = randn(y.shape, 42);
          const gx = conv2dBackwardInput(toGpu(d, gy), toGpu(d, w), c.x, c.opts);
          const L = c.w[0] * c.w[2] * c.w[3];
          expectClose(await gx.toArray(), ref.conv2dBackwardInput(gy, w, c.x, c.opts), {
            ...tol(L),
            what: `${c.name} ${JSON.stringify(tiling)}`,
          });
        }
      }
    } finally {
      setTiling(d, 'conv2dBackwardInput', null);
    }
  });

  it('conv2dFused (bias, residual, ReLU epilogues) matches the reference on fer-resnet18 shapes', async () => {
    const d = device();
    // stem (C = 1), 12x12 rows (6-pixel blocks), 6x6 (one block per row, 32 rows per workgroup),
    // a 1x1 stride-2 downsample, and an odd row (7) with channels not a multiple of 8; one
    // epilogue each (every variant is a kernel compile, seconds on a busy software adapter)
    const cases: Array<[number[], number[], Conv2dOptions, 'bias' | 'relu' | 'residual']> = [
      [[2, 1, 48, 48], [16, 1, 3, 3], { padding: 1 }, 'relu'],
      [[2, 8, 12, 12], [20, 8, 3, 3], { padding: 1 }, 'residual'],
      [[3, 16, 6, 6], [40, 16, 3, 3], { padding: 1 }, 'residual'],
      [[2, 8, 12, 12], [32, 8, 1, 1], { stride: 2 }, 'bias'],
      [[1, 5, 7, 7], [9, 5, 3, 3], { stride: 2, padding: 1 }, 'residual'],
    ];
    let seed = 20;
    for (const [xs, ws, opts, tail] of cases) {
      const x = randn(xs, seed++);
      const w = randn(ws, seed++);
      const b = randn([ws[0]!], seed++);
      const y = ref.conv2d(x, w, { ...opts, bias: b });
      const res = randn(y.shape, seed++);
      const L = ws[1]! * ws[2]! * ws[3]!;
      const want = y.data.map((v, i) => (tail === 'bias' ? v : tail === 'relu' ? Math.max(v, 0) : Math.max(v + res.data[i]!, 0)));
      const out = conv2dFused(toGpu(d, x), toGpu(d, w), {
        ...opts,
        bias: toGpu(d, b),
        relu: tail !== 'bias',
        residual: tail === 'residual' ? toGpu(d, res) : null,
      });
      expectClose(await out.toArray(), want, { ...tol(L), what: `x ${JSON.stringify(xs)} w ${JSON.stringify(ws)} ${tail}` });
      expect((want.some((v) => v === 0) && want.some((v) => v > 0)) || tail === 'bias').toBe(true); // ReLU both clamps and passes
    }
  });

  it('vec4 forward variants (packed weight, vec4 input rows, kernel-row loop, with and without subgroups) match the reference', async () => {
    const d = device();
    // K = 7 (packed to 8 with a zero column), rows of 8 (vec4-aligned), C = 6
    const x = randn([2, 6, 8, 8], 30);
    const w = randn([7, 6, 3, 3], 31);
    const b = randn([7], 32);
    const gx = toGpu(d, x);
    const gw = toGpu(d, w);
    const packed = packConv2dWeight(gw);
    expect(packed.shape).toEqual([54, 8]);
    const p = await packed.toArray();
    for (let k = 0; k < 8; k++)
      for (let crs = 0; crs < 54; crs++) expect(p[crs * 8 + k]).toBe(k < 7 ? Math.fround(w.data[k * 54 + crs]!) : 0);
    const old = setConvUnrollLimit(0); // every 3x3 block loops over kernel rows
    try {
      for (const [tiling, opts] of [
        [{ bm: 8, bn: 4, wg: 16, sg: 8, vec: 4 }, { padding: 1 }], // vec4 rows, window offset 3
        [
          { bm: 8, bn: 2, wg: 16, sg: 8, vec: 4 },
          { padding: 1, stride: 2 },
        ], // stride 2
        [{ bm: 4, bn: 4, wg: 16, sg: 0, vec: 4 }, { padding: 0 }], // no subgroups, offset 0
        [{ bm: 8, bn: 3, wg: 16, sg: 8, vec: 4 }, { padding: 1 }], // unaligned blocks: scalar rows
      ] as Array<[Partial<Tiling>, Conv2dOptions]>) {
        setTiling(d, 'conv2d', tiling);
        const want = ref.conv2d(x, w, { ...opts, bias: b });
        const what = `${JSON.stringify(tiling)} ${JSON.stringify(opts)}`;
        expectClose(await conv2d(gx, gw, { ...opts, bias: toGpu(d, b) }).toArray(), want, { ...tol(54), what });
        const fused = d.noGrad(() => conv2dFused(gx, gw, { ...opts, bias: toGpu(d, b), packedWeight: packed, relu: true }));
        expectClose(
          await fused.toArray(),
          want.data.map((v) => Math.max(v, 0)),
          { ...tol(54), what: `fused ${what}` },
        );
      }
      expect(() => conv2dFused(gx, gw, { padding: 1, packedWeight: d.zeros([54, 7]) })).toThrow(
        /conv2dFused: packedWeight must have shape \[54, 8\]/,
      );
    } finally {
      setTiling(d, 'conv2d', null);
      setConvUnrollLimit(old);
    }
  });

  it('conv2dFused rejects a residual of the wrong shape and inputs that require gradients', () => {
    const d = device();
    const x = d.zeros([2, 3, 5, 5]);
    const w = d.zeros([4, 3, 3, 3]);
    expect(() => conv2dFused(x, w, { residual: d.zeros([2, 4, 5, 5]) })).toThrow(
      /conv2dFused: residual must have shape \[2, 4, 3, 3\], got \[2, 4, 5, 5\]/,
    );
    const wg = toGpu(d, randn([4, 3, 3, 3], 1), true);
    expect(() => conv2dFused(x, wg)).toThrow(/conv2dFused: records no gradients/);
    expect(() => d.noGrad(() => conv2dFused(x, wg))).not.toThrow();
  });

  it('backward references agree with central finite differences', () => {
    for (const [xs, ws, opts] of [
      [[2, 3, 5, 4], [4, 3, 3, 2], { stride: [2, 1], padding: [1, 1] }],
      [[1, 2, 6, 6], [3, 2, 3, 3], { stride: 2 }],
      [[2, 3, 3, 3], [2, 3, 1, 1], { padding: 1 }],
    ] as Array<[number[], number[], Conv2dOptions]>) {
      const x = randn(xs, 8);
      const w = randn(ws, 9);
      const b = randn([ws[0]!], 10);
      const gy = randn(ref.conv2d(x, w, opts).shape, 11);
      const TOL = { atol: 1e-7, rtol: 1e-6 }; // conv is linear in each argument: FD is exact but for rounding
      expectClose(
        ref.conv2dBackwardInput(gy, w, xs, opts).data,
        numericGrad((v) => ref.conv2d(v, w, opts), x, gy),
        { ...TOL, what: 'gx' },
      );
      expectClose(
        ref.conv2dBackwardWeight(gy, x, ws, opts).data,
        numericGrad((v) => ref.conv2d(x, v, opts), w, gy),
        { ...TOL, what: 'gw' },
      );
      expectClose(
        ref.conv2dBackwardBias(gy).data,
        numericGrad((v) => ref.conv2d(x, w, { ...opts, bias: v }), b, gy),
        { ...TOL, what: 'gb' },
      );
    }
  });

  it('computes only the gradients that are needed', async () => {
    const d = device();
    const x = toGpu(d, randn([1, 2, 4, 4], 12)); // no grad
    const w = toGpu(d, randn([3, 2, 3, 3], 13), true);
    const y = conv2d(x, w, { padding: 1 });
    const seed = d.full(y.shape, 1);
    const before = d.dispatches;
    y.backward(seed);
    expect(d.dispatches - before).toBe(2); // the seed copy and backward-weight only
    expect(w.grad).not.toBeNull();
    expect(x.grad).toBeNull();
  });

  it('rejects bad input, naming the op and the shapes', () => {
    const d = device();
    const x = d.zeros([2, 3, 5, 5]);
    const w = d.zeros([4, 3, 3, 3]);
    expect(() => conv2d(d.zeros([3, 5, 5]), w)).toThrow(/conv2d: input must be 4-D \[N, C, H, W\], got \[3, 5, 5\]/);
    expect(() => conv2d(x, d.zeros([4, 3, 3]))).toThrow(/conv2d: weight must be 4-D \[K, C, R, S\], got \[4, 3, 3\]/);
    expect(() => conv2d(x, d.zeros([4, 2, 3, 3]))).toThrow(
      /conv2d: input \[2, 3, 5, 5\] has 3 channels but weight \[4, 2, 3, 3\] expects 2/,
    );
    expect(() => conv2d(x, d.zeros([4, 3, 7, 3]))).toThrow(
      /conv2d: kernel 7x3 of weight \[4, 3, 7, 3\] is larger than the padded input 5x5/,
    );
    expect(() => conv2d(x, d.zeros([4, 3, 7, 3]), { padding: 1 })).not.toThrow();
    expect(() => conv2d(x, w, { stride: 0 })).toThrow(/conv2d: stride must be a positive integer/);
    expect(() => conv2d(x, w, { stride: [1, -2] })).toThrow(/conv2d: stride must be a positive integer/);
    expect(() => conv2d(x, w, { padding: -1 })).toThrow(/conv2d: padding must be a non-negative integer/);
    expect(() => conv2d(x, w, { bias: d.zeros([3]) })).toThrow(/conv2d: bias must have shape \[4\].*got \[3\]/);
    expect(() => conv2d(d.zeros([2, 3, 5, 5], { dtype: 'i32' }), w)).toThrow(/conv2d: input \[2, 3, 5, 5\] must be f32, got i32/);
    expect(() => conv2dBackwardInput(d.zeros([2, 4, 4, 4]), w, x.shape)).toThrow(
      /conv2dBackwardInput: output gradient must have shape \[2, 4, 3, 3\], got \[2, 4, 4, 4\]/,
    );
    expect(() => conv2dBackwardWeight(d.zeros([2, 4, 3, 3]), x, [4, 3, 3, 3], { stride: 0 })).toThrow(/conv2dBackwardWeight: stride/);
    expect(() => conv2dBackwardBias(d.zeros([4, 3]))).toThrow(/conv2dBackwardBias: output gradient must be 4-D/);
    expect(() => ref.conv2d(randn([1, 2, 3, 3], 1), randn([1, 3, 1, 1], 1))).toThrow(/conv2d: input \[1, 2, 3, 3\] has 2 channels/);
  });
});
