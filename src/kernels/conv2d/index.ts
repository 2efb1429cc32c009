/**
 * conv2d on the GPU with autograd (PyTorch's `F.conv2d` without dilation and groups), and its
 * three backward kernels, exported on their own for benchmarking. All are implicit GEMMs
 * (wgsl.ts) whose register blocking comes from chooseTiling (../gemm/tiling.ts).
 * Over 400 lines on purpose: the op and its three kernels' dispatch (packing, stride phases, split
 * sums) read together; each backward is one function.
 */
import { record } from '../../autograd.js';
import { grid1d, i32, type Param } from '../../gpu/device.js';
import type { Device } from '../../gpu/device.js';
import { fmtShape, type Tensor } from '../../tensor.js';
import { checkNoGrad, checkTensors } from '../check.js';
import { channelSum, splitSum } from '../gemm/index.js';
import { chooseTiling, type GemmOp, type Tiling } from '../gemm/tiling.js';
import { checkBias, checkGradOut, conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from './shape.js';
import {
  conv2dBackwardWeightKernel,
  conv2dForwardKernel,
  packWeightKernel,
  phaseWeightKernel,
  phaseWeightsInterleavedKernel,
  type ConvTypes,
  type PhaseAxis,
} from './wgsl.js';

export type { Conv2dOptions } from './shape.js';

/** Options of conv2d: stride, padding and an optional bias [K]. */
export interface Conv2dOpOptions extends Conv2dOptions {
  bias?: Tensor | null;
  /**
   * packConv2dWeight(weight), computed once and reused (inference); used where the adapter's
   * forward kernel reads packed weights, ignored elsewhere. It must be the packing of `weight`.
   */
  packedWeight?: Tensor | null;
}

/** Where a forward kernel stores its output: densely, or as one phase of a bigger plane (ConvForwardGeometry.store). */
interface OutputPlacement {
  H: number;
  W: number;
  a: number;
  b: number;
  sh: number;
  sw: number;
  /** Also store 0 at the cell's other pixels (ConvForwardGeometry.store). */
  zeroFill?: boolean;
  /** Rows are (channel, phase) pairs, the phases' tap ranges per axis (ConvForwardGeometry.store). */
  interleaved?: { rows: PhaseAxis; cols: PhaseAxis };
}

/** The Params block of the conv kernels (see wgsl.ts); padding may be negative (i32). */
function params(g: Conv2dGeometry, splitLen = 0, out?: OutputPlacement): Param[] {
  return [
    g.N,
    g.C,
    g.H,
    g.W,
    g.K,
    g.P,
    g.Q,
    g.R,
    g.S,
    g.strideH,
    g.strideW,
    i32(g.padH),
    i32(g.padW),
    splitLen,
    Math.ceil(g.K / 4),
    out?.H ?? g.P,
    out?.W ?? g.Q,
    out?.a ?? 0,
    out?.b ?? 0,
  ];
}

/**
 * The weight [K, C, R, S] repacked for the vec4 forward kernels: [C·R·S, ⌈K/4⌉·4], output
 * channels innermost (zero-padded to a multiple of 4), so one vec4 load reads one tap of 4
 * channels. conv2d and conv2dFused pack on the fly when the adapter's tiling wants it; pass the
 * result as `packedWeight` to reuse it across calls with the same weight (inference). With
 * dtype 'f16' (adapters with 'shader-f16'), the packed weight is half precision: conv2dFused then
 * reads f16 weights (f32 sums).
 */
export function packConv2dWeight(weight: Tensor, dtype: 'f32' | 'f16' = 'f32'): Tensor {
  if (weight.shape.length !== 4) throw new Error(`packConv2dWeight: weight must be 4-D [K, C, R, S], got ${fmtShape(weight.shape)}`);
  checkTensors('packConv2dWeight', [['weight', weight]]);
  if (dtype === 'f16') weight.device.requireF16('packConv2dWeight');
  const K = weight.shape[0]!;
  const CRS = weight.size / K;
  const K4 = Math.ceil(K / 4) * 4;
  const out = weight.device.empty([CRS, K4], { dtype });
  weight.device.dispatch(packWeightKernel(dtype), {
    params: [K, CRS, K4],
    buffers: [weight.buffer, out.buffer],
    workgroups: grid1d(CRS * K4, 256),
  });
  return out;
}

/**
 * FMAs per channel above which the forward kernel loops over kernel rows rather than unrolling
 * every tap: on lavapipe the smaller loop body runs faster (32 x 6 3x3 blocks: ~1.3x) and
 * compiles faster (bench/lab/conv2d.ts v11).
 */
let unrollLimit = 1024;

/** @internal the kernel lab's knob (bench/lab): sets unrollLimit, returns the old value. */
export function setConvUnrollLimit(limit: number): number {
  const old = unrollLimit;
  unrollLimit = limit;
  return old;
}

/**
 * Runs the forward kernel: y = epilogue(conv(x, weight)), no autograd. Each invocation covers
 * tiling.bn consecutive pixels of one output row (see conv2dForwardKernel).
 */
function forward(
  op: string,
  x: Tensor,
  weight: Tensor,
  opts: Conv2dOpOptions,
  fuse: { residual?: Tensor | null; relu?: boolean; outputDtype?: 'f32' | 'f16' } = {},
): { y: Tensor; g: Conv2dGeometry } {
  const g = conv2dGeometry(op, x.shape, weight.shape, opts);
  const bias = opts.bias ?? null;
  const residual = fuse.residual ?? null;
  const packed = opts.packedWeight ?? null;
  const outType = fuse.outputDtype ?? 'f32';
  if (bias) checkBias(op, bias.shape, g.K, weight.shape);
  if (residual) checkGradOut(op, residual.shape, g, 'residual');
  const K4 = Math.ceil(g.K / 4) * 4;
  if (packed && (packed.shape.length !== 2 || packed.shape[0] !== g.C * g.R * g.S || packed.shape[1] !== K4)) {
    throw new Error(
      `${op}: packedWeight must have shape [${g.C * g.R * g.S}, ${K4}] (packConv2dWeight of weight ${fmtShape(weight.shape)}), got ${fmtShape(packed.shape)}`,
    );
  }
  // f16 (conv2dFused only): input, packed weight, output and residual may be f16
  checkTensors(op, [
    ['weight', weight],
    ['bias', bias],
  ]);
  checkTensors(
    op,
    [
      ['weight', weight],
      ['input', x],
      ['residual', residual],
      ['packedWeight', packed],
    ],
    ['f32', 'f16'],
  );
  if (residual && residual.dtype !== outType) {
    throw new Error(`${op}: residual ${fmtShape(residual.shape)} must be ${outType} like the output, got ${residual.dtype}`);
  }
  const types: ConvTypes = { x: x.dtype === 'f16' ? 'f16' : 'f32', w: packed?.dtype === 'f16' ? 'f16' : 'f32', out: outType };
  const half = types.x === 'f16' || types.w === 'f16' || types.out === 'f16';
  const device = x.device;
  if (half) device.requireF16(op);
  const y = device.empty([g.N, g.K, g.P, g.Q], { dtype: outType });
  runForward(device, 'conv2d', g, x, (vec) => (vec ? (packed ?? packConv2dWeight(weight)) : weight), y, {
    bias,
    residual,
    relu: !!fuse.relu,
    types,
    keep: packed ? [weight, packed] : [weight],
  });
  return { y, g };
}

/**
 * Records the forward kernel for geometry g: y = epilogue(conv(x, w)). `weightFor(vec)` gives
 * the weight the kernel reads, packed (packConv2dWeight's layout) when vec; a tensor it returns
 * that is not one of the op's inputs is disposed after the dispatch. `tilingOp` names the
 * op whose tiling applies (conv2dBackwardInput runs this kernel too), `out` a strided placement.
 */
function runForward(
  device: Device,
  tilingOp: GemmOp,
  g: Conv2dGeometry,
  x: Tensor,
  weightFor: (vec: boolean) => Tensor,
  y: Tensor,
  e: {
    bias?: Tensor | null;
    residual?: Tensor | null;
    relu?: boolean;
    types?: ConvTypes;
    out?: OutputPlacement;
    keep?: Tensor[];
    /** Replaces fields of the chosen tiling. */
    tiling?: Partial<Tiling>;
  },
): void {
  const types = e.types ?? { x: 'f32', w: 'f32', out: 'f32' };
  const half = types.x === 'f16' || types.w === 'f16' || types.out === 'f16';
  let t = { ...chooseTiling(device, tilingOp, { rows: g.K, cols: g.N * g.P * g.Q, depth: g.C * g.R * g.S, rowLength: g.Q }), ...e.tiling };
  // f16 always reads packed weights (vec4 loads of 4 output channels)
  if (half) t = { ...t, vec: 4, bm: Math.ceil(t.bm / 4) * 4 };
  const cols = g.N * g.P * Math.ceil(g.Q / t.bn);
  const epi = { bias: !!e.bias, residual: !!e.residual, relu: !!e.relu };
  const vec = t.vec === 4 && t.bm % 4 === 0;
  const w = weightFor(vec);
  // aligned vec4 input windows: rows of a multiple of 4 and blocks that start on a vec4 boundary
  const vecInput = vec && g.W % 4 === 0 && (t.bn * g.strideW) % 4 === 0 && g.padW >= 0;
  // blocks of more than unrollLimit FMAs per channel loop over the kernel rows
  const rowLoop = t.bm * t.bn * g.R * g.S > unrollLimit;
  const store = e.out ? { sh: e.out.sh, sw: e.out.sw, zeroFill: !!e.out.zeroFill, interleaved: e.out.interleaved } : undefined;
  const kernel = conv2dForwardKernel(t, { R: g.R, S: g.S, sh: g.strideH, sw: g.strideW, pw: g.padW, vecInput, rowLoop, store }, epi, types);
  // named after the op it serves, for profiles (pipelines are cached by code, not name)
  device.dispatch(tilingOp === 'conv2d' ? kernel : { ...kernel, name: tilingOp }, {
    params: params(g, 0, e.out),
    buffers: [x, w, e.bias, e.residual, y].filter((b): b is Tensor => !!b).map((b) => b.buffer),
    workgroups: [Math.ceil(cols / t.wg), Math.ceil(g.K / t.bm)],
  });
  if (!e.keep?.includes(w)) w.dispose();
}

/**
 * @internal C [M, N] = op(A) B, with op(A) [M, K] (A stored [K, M] when transA) and B [K, N], run
 * by the forward kernel as a 1x1 convolution: op(A) is the weight [M, K, 1, 1] and B the input
 * [1, K, H, W] with H·W = N. Where the adapter's forward reads packed vec4 weights (lavapipe) that
 * is ~2.3x the GEMM kernel's rate on 1024³ (bench/lab/matmul-lab.ts v8); elsewhere, or for
 * transA with M % 4 != 0, it returns null and the caller runs the GEMM kernel.
 */
export function matmulAsConv(a: Tensor, b: Tensor, dims: { M: number; K: number; N: number }, transA: boolean): Tensor | null {
  const { M, K, N } = dims;
  const device = a.device;
  // pixels as rows of W (a multiple of 4 where N allows: aligned vec4 input loads)
  const W = [64, 32, 16, 8, 4].find((w) => N % w === 0) ?? N;
  const g: Conv2dGeometry = { N: 1, C: K, H: N / W, W, K: M, R: 1, S: 1, P: N / W, Q: W, strideH: 1, strideW: 1, padH: 0, padW: 0 };
  const t = chooseTiling(device, 'conv2d', { rows: M, cols: N, depth: K, rowLength: W });
  if (!(t.vec === 4 && t.bm % 4 === 0) || (transA && M % 4 !== 0)) return null;
  const y = device.empty([M, N]);
  // A stored [K, M] is already the packed layout [K, ⌈M/4⌉·4] when M % 4 == 0
  const packed = (): Tensor => {
    const weight = device.noGrad(() => a.reshape([M, K, 1, 1]));
    const p = packConv2dWeight(weight);
    weight.dispose();
    return p;
  };
  // 8 columns per invocation (a whole aligned pair of vec4s): bench/lab/matmul-lab.ts v8
  runForward(device, 'conv2d', g, b, () => (transA ? a : packed()), y, { keep: [a], tiling: W % 8 === 0 ? { bn: 8 } : {} });
  return y;
}

/**
 * 2-D convolution: x [N, C, H, W] with weight [K, C, R, S] -> [N, K, P, Q], where
 * P = floor((H + 2·padding - R) / stride) + 1 (Q likewise), plus bias [K] if given.
 * Records gradients for x, weight and bias.
 * @example const y = ops.conv2d(x, w, { bias: b, stride: 1, padding: 1 });
 */
export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOpOptions = {}): Tensor {
  // autograd is f32 only (f16 inference: conv2dFused)
  checkTensors('conv2d', [['input', x], ...(opts.packedWeight ? [['packedWeight', opts.packedWeight] as [string, Tensor]] : [])]);
  const { y, g } = forward('conv2d', x, weight, opts);
  const bias = opts.bias ?? null;
  const geometry = { stride: [g.strideH, g.strideW], padding: [g.padH, g.padW] } as const;
  return record(y, 'conv2d', bias ? [x, weight, bias] : [x, weight], (gy) => [
    x.requiresGrad ? conv2dBackwardInput(gy, weight, x.shape, geometry) : null,
    weight.requiresGrad ? conv2dBackwardWeight(gy, x, weight.shape, geometry) : null,
    bias?.requiresGrad ? conv2dBackwardBias(gy) : null,
  ]);
}

/** Options of conv2dFused: conv2d's, plus a residual to add and a ReLU, both after the bias. */
export interface Conv2dFusedOptions extends Conv2dOpOptions {
  /** Added to the convolution (+ bias): same shape as the output [N, K, P, Q]. */
  residual?: Tensor | null;
  /** Clamp the result at zero, last. */
  relu?: boolean;
  /**
   * 'f16' stores the output in half precision (then a residual must be f16 too); the input may
   * be f16 as well, and packedWeight f16. Sums are f32. Needs 'shader-f16'. Default 'f32'.
   */
  outputDtype?: 'f32' | 'f16';
}

/**
 * relu(conv2d(x, weight, { bias }) + residual) in one kernel, for inference (a ResNet block's
 * tail with batch norm folded into the convolution); residual and relu are optional. Records no
 * gradients: it throws if gradient recording is on and any input requires a gradient.
 * @example const y = conv2dFused(x, w, { bias: b, padding: 1, residual: shortcut, relu: true });
 */
export function conv2dFused(x: Tensor, weight: Tensor, opts: Conv2dFusedOptions = {}): Tensor {
  checkNoGrad('conv2dFused', [x, weight, opts.bias, opts.residual, opts.packedWeight]);
  return forward('conv2dFused', x, weight, opts, opts).y;
}

/**
 * Gradient of conv2d with respect to its input (of shape xShape), no autograd: a transposed
 * convolution, run as stride-1 forward convolutions over gy (the forward's kernel and tiling,
 * bench/lab/conv-backward.ts v2). With stride (sh, sw), input pixel (h, w) only meets kernel rows r with
 * r ≡ h + padH (mod sh) (columns likewise), so each of the sh·sw phases (h mod sh, w mod sw) is
 * its own forward with the taps of that phase, flipped, stored every sh-th row and sw-th column;
 * with packed weights all phases run as one forward (fusedPhases, lab v4), and a 1x1 stride-s
 * layer's one live phase stores the zeros of the others (lab v3).
 */
export function conv2dBackwardInput(gy: Tensor, weight: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackwardInput';
  const g = conv2dGeometry(op, xShape, weight.shape, opts);
  checkGradOut(op, gy.shape, g);
  checkTensors(op, [
    ['output gradient', gy],
    ['weight', weight],
  ]);
  const device = gy.device;
  const gx = device.empty(xShape);
  const { strideH: sh, strideW: sw } = g;
  const phases = transposedPhases(g);
  // pixels no tap reaches: zeros stored by the one phase that has taps when that is phase (0, 0)
  // (a 1x1 stride-s layer, bench/lab/conv-backward.ts v3), else a fill first
  const live = phases.filter((ph) => ph.taps > 0);
  const zeroFill = backwardInputPaths.zeroFill && live.length === 1 && phases.length > 1 && live[0]!.a === 0 && live[0]!.b === 0;
  if (live.length === phases.length && phases.length > 1 && fusedPhases(device, gy, weight, g, phases, gx)) return gx;
  if (live.length < phases.length && !zeroFill) device.fill(gx, 0);
  for (const ph of phases) {
    if (ph.taps === 0) continue;
    // the phase as a forward: gy [N, K, P, Q] -> [N, C, Pa, Qb], weight [C, K, Ta, Tb]
    const pg: Conv2dGeometry = {
      N: g.N,
      C: g.K,
      H: g.P,
      W: g.Q,
      K: g.C,
      R: ph.Ta,
      S: ph.Tb,
      P: ph.rows,
      Q: ph.cols,
      strideH: 1,
      strideW: 1,
      padH: ph.padH,
      padW: ph.padW,
    };
    const out = sh * sw > 1 ? { H: g.H, W: g.W, a: ph.a, b: ph.b, sh, sw, zeroFill } : undefined;
    runForward(device, op, pg, gy, (vec) => phaseWeight(weight, g, ph, vec), gx, { out });
  }
  return gx;
}

/**
 * conv2dBackwardInput's stride phases as one forward over gy (bench/lab/conv-backward.ts
 * backward-input v4): its rows are (input channel, phase) pairs, phase innermost, over the
 * window of taps common to all phases (TSa x TSb: 2x2 for 3x3 stride 2), each phase's weight
 * zero at the taps it lacks (phaseWeightsInterleavedKernel), stored interleaved into gx. One
 * dispatch and one input window for all phases instead of sh·sw. Only with packed (vec4)
 * weights and bm a multiple of sh·sw; returns false (nothing done) otherwise.
 */
function fusedPhases(device: Device, gy: Tensor, weight: Tensor, g: Conv2dGeometry, phases: Phase[], gx: Tensor): boolean {
  if (!backwardInputPaths.fusePhases) return false;
  const PH = g.strideH * g.strideW;
  // an axis's common window starts at its largest padding; each phase's taps sit off[a] into it
  const axis = (T: number[], pad: number[], r0: number[]): PhaseAxis & { pad: number } => {
    const padS = Math.max(...pad);
    const off = pad.map((p) => padS - p);
    return { r0, T, off, TS: Math.max(...T.map((t, a) => off[a]! + t)), pad: padS };
  };
  const rowsOf = phases.filter((ph) => ph.b === 0);
  const colsOf = phases.filter((ph) => ph.a === 0);
  if (rowsOf.length !== g.strideH || colsOf.length !== g.strideW) return false; // a plane smaller than the stride
  const h = axis(
    rowsOf.map((ph) => ph.Ta),
    rowsOf.map((ph) => ph.padH),
    rowsOf.map((ph) => ph.r0),
  );
  const w = axis(
    colsOf.map((ph) => ph.Tb),
    colsOf.map((ph) => ph.padW),
    colsOf.map((ph) => ph.s0),
  );
  const pg: Conv2dGeometry = {
    ...{ N: g.N, C: g.K, H: g.P, W: g.Q, K: g.C * PH, R: h.TS, S: w.TS },
    ...{ P: phases[0]!.rows, Q: phases[0]!.cols, strideH: 1, strideW: 1, padH: h.pad, padW: w.pad },
  };
  const t = chooseTiling(device, 'conv2dBackwardInput', {
    rows: pg.K,
    cols: pg.N * pg.P * pg.Q,
    depth: pg.C * pg.R * pg.S,
    rowLength: pg.Q,
  });
  if (!(t.vec === 4 && t.bm % 4 === 0 && t.bm % PH === 0)) return false;
  const axes = { rows: h, cols: w };
  const C4 = Math.ceil((g.C * PH) / 4) * 4;
  const packed = (): Tensor => {
    const out = device.empty([g.K * h.TS * w.TS, C4]);
    device.dispatch(phaseWeightsInterleavedKernel(axes.rows, axes.cols), {
      params: [g.K, g.C, g.R, g.S, C4],
      buffers: [weight.buffer, out.buffer],
      workgroups: grid1d(out.size, 256),
    });
    return out;
  };
  const out = { H: g.H, W: g.W, a: 0, b: 0, sh: g.strideH, sw: g.strideW, interleaved: axes };
  runForward(device, 'conv2dBackwardInput', pg, gy, packed, gx, { out });
  return true;
}

/**
 * conv2dBackwardInput's paths, both on by default: a 1x1 stride-s layer's one live phase stores
 * the zeros of the others (zeroFill, lab v3), all phases in one forward (fusePhases, lab v4).
 */
const backwardInputPaths = { zeroFill: true, fusePhases: true };

/** @internal the kernel lab's knob (bench/lab/conv-backward.ts). */
export const setConvBackwardInputPaths = labKnob(backwardInputPaths);

/** One stride phase of conv2dBackwardInput: input rows a, a + sh, … and columns b, b + sw, …. */
interface Phase {
  a: number;
  b: number;
  /** Its first kernel row and column (r0 ≡ a + padH mod sh), and its taps per row/column. */
  r0: number;
  s0: number;
  Ta: number;
  Tb: number;
  taps: number;
  /** Output rows and columns of the phase, and the padding of its forward over gy (may be < 0). */
  rows: number;
  cols: number;
  padH: number;
  padW: number;
}

/** The sh·sw phases of a transposed convolution (one for stride 1). */
export function transposedPhases(g: Conv2dGeometry): Phase[] {
  const axis = (a: number, stride: number, pad: number, R: number, size: number) => {
    const r0 = (a + pad) % stride;
    const T = Math.max(0, Math.ceil((R - r0) / stride));
    // output row oh = i + d - (T - 1) + t' for flipped tap t': the forward's padding is T - 1 - d
    const d = (a + pad - r0) / stride;
    return { r0, T, pad: T - 1 - d, n: Math.ceil((size - a) / stride) };
  };
  const out: Phase[] = [];
  for (let a = 0; a < Math.min(g.strideH, g.H); a++) {
    for (let b = 0; b < Math.min(g.strideW, g.W); b++) {
      const h = axis(a, g.strideH, g.padH, g.R, g.H);
      const w = axis(b, g.strideW, g.padW, g.S, g.W);
      out.push({ a, b, r0: h.r0, s0: w.r0, Ta: h.T, Tb: w.T, taps: h.T * w.T, rows: h.n, cols: w.n, padH: h.pad, padW: w.pad });
    }
  }
  return out;
}

/** The weight of a phase (phaseWeightKernel): packed [K·Ta·Tb, C4] for vec4 kernels, else [C, K, Ta, Tb]. */
function phaseWeight(weight: Tensor, g: Conv2dGeometry, ph: Phase, packed: boolean): Tensor {
  const C4 = Math.ceil(g.C / 4) * 4;
  const T = ph.Ta * ph.Tb;
  const out = weight.device.empty(packed ? [g.K * T, C4] : [g.C, g.K, ph.Ta, ph.Tb]);
  weight.device.dispatch(phaseWeightKernel(packed), {
    params: [g.K, g.C, g.R, g.S, ph.Ta, ph.Tb, ph.r0, ph.s0, g.strideH, g.strideW, C4],
    buffers: [weight.buffer, out.buffer],
    workgroups: grid1d(out.size, 256),
  });
  return out;
}

/**
 * conv2dBackwardWeight's paths: where lanes own every kernel row, the input rows that the next
 * output row shares carried to it, sh rows loaded per step instead of R (slideRows,
 * bench/lab/conv-backward.ts backward-weight v7); 1x1 layers over groups of groupChannels
 * channels, lanes owning a group (lab v8).
 */
const backwardWeightPaths = { slideRows: true, groupChannels: 4 };

/** @internal the kernel lab's knob (bench/lab/conv-backward.ts). */
export const setConvBackwardWeightPaths = labKnob(backwardWeightPaths);

/** A setter of some of `paths`' fields that returns their previous settings (to put back). */
function labKnob<T extends object>(paths: T): (next: Partial<T>) => T {
  return (next) => {
    const old = { ...paths };
    Object.assign(paths, next);
    return old;
  };
}

/**
 * Gradient of conv2d with respect to its weight (of shape wShape), no autograd. The reduction
 * over N·P·Q is split over workgroups (by blocks of output columns and ranges of images), whose
 * partial sums a second pass adds (conv2dBackwardWeightKernel).
 */
export function conv2dBackwardWeight(gy: Tensor, x: Tensor, wShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackwardWeight';
  const g = conv2dGeometry(op, x.shape, wShape, opts);
  checkGradOut(op, gy.shape, g);
  checkTensors(op, [
    ['output gradient', gy],
    ['input', x],
  ]);
  const device = gy.device;
  // a 1x1 layer as a layer of R = cg kernel rows over channel groups: x [N, C, H, W] read as
  // [N, C/cg, cg·H, W] with kernel rows H input rows apart (dh), the same gw layout; lanes then
  // own cg channels, so each gy value taken feeds cg FMAs instead of one (groupChannels)
  const cg = backwardWeightPaths.groupChannels;
  const grouped = cg > 1 && g.R === 1 && g.S === 1 && g.padH === 0 && g.C % cg === 0;
  const gg: Conv2dGeometry = grouped ? { ...g, C: g.C / cg, H: g.H * cg, R: cg } : g;
  const t = chooseTiling(device, op, { rows: gg.K, cols: gg.C * gg.R, depth: gg.N, rowLength: gg.Q, kernelRows: gg.R, stride: gg.strideH });
  const lanes = gg.C * Math.ceil(gg.R / (t.kr ?? 1));
  const splitLen = Math.ceil(g.N / Math.min(t.splits, g.N));
  const parts = Math.ceil(g.Q / t.bn) * Math.ceil(g.N / splitLen);
  const vec = t.vec === 4;
  const kernel = conv2dBackwardWeightKernel(t, {
    S: g.S,
    sh: g.strideH,
    sw: g.strideW,
    pw: g.padW,
    vecX: vec && g.W % 4 === 0 && (t.bn * g.strideW) % 4 === 0 && g.padW >= 0,
    vecG: vec && g.Q % 4 === 0 && t.bn % 4 === 0,
    slide: backwardWeightPaths.slideRows && (t.kr ?? 1) === gg.R,
    dh: grouped ? g.H : 1,
  });
  const part = device.empty(parts > 1 ? [parts, ...wShape] : wShape);
  device.dispatch(kernel, {
    params: params(gg, splitLen),
    buffers: [gy.buffer, x.buffer, part.buffer],
    workgroups: [Math.ceil(lanes / t.wg), Math.ceil(g.K / t.bm), parts],
  });
  return parts > 1 ? splitSum(part, parts, wShape) : part;
}

/** Gradient of conv2d with respect to its bias: gy [N, K, P, Q] summed over N, P, Q; no autograd. */
export function conv2dBackwardBias(gy: Tensor): Tensor {
  if (gy.shape.length !== 4) {
    throw new Error(`conv2dBackwardBias: output gradient must be 4-D [N, K, P, Q], got ${fmtShape(gy.shape)}`);
  }
  checkTensors('conv2dBackwardBias', [['output gradient', gy]]);
  const [N, K, P, Q] = gy.shape as [number, number, number, number];
  return channelSum(gy, N, K, P * Q);
}
