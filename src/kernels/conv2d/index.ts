/**
 * conv2d on the GPU with autograd (PyTorch's `F.conv2d` without dilation and groups), and its
 * three backward kernels, exported on their own for benchmarking. All are implicit GEMMs
 * (wgsl.ts) whose register blocking comes from chooseTiling (../matmul/tiling.ts).
 */
import { record } from '../../autograd.js';
import { grid1d } from '../../gpu/device.js';
import { fmtShape, type Tensor } from '../../tensor.js';
import { channelSum, checkTensors } from '../matmul/index.js';
import { chooseTiling } from '../matmul/tiling.js';
import { SPLIT_SUM } from '../matmul/wgsl.js';
import { checkBias, checkGradOut, conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from './shape.js';
import { conv2dBackwardInputKernel, conv2dBackwardWeightKernel, conv2dForwardKernel } from './wgsl.js';

export type { Conv2dOptions } from './shape.js';

/** Options of conv2d: stride, padding and an optional bias [K]. */
export interface Conv2dOpOptions extends Conv2dOptions {
  bias?: Tensor | null;
}

/** The Params block of the conv kernels (see wgsl.ts). */
function params(g: Conv2dGeometry, splitLen = 0): number[] {
  return [g.N, g.C, g.H, g.W, g.K, g.P, g.Q, g.R, g.S, g.strideH, g.strideW, g.padH, g.padW, splitLen];
}

/**
 * Runs the forward kernel: y = epilogue(conv(x, weight)), no autograd. Each invocation covers
 * tiling.bn consecutive pixels of one output row (see conv2dForwardKernel).
 */
function forward(op: string, x: Tensor, weight: Tensor, opts: Conv2dOpOptions, fuse: { residual?: Tensor | null; relu?: boolean } = {}): { y: Tensor; g: Conv2dGeometry } {
  const g = conv2dGeometry(op, x.shape, weight.shape, opts);
  const bias = opts.bias ?? null;
  const residual = fuse.residual ?? null;
  if (bias) checkBias(op, bias.shape, g.K, weight.shape);
  if (residual) checkGradOut(op, residual.shape, g, 'residual');
  const named: Array<[string, Tensor]> = [['input', x], ['weight', weight]];
  if (bias) named.push(['bias', bias]);
  if (residual) named.push(['residual', residual]);
  checkTensors(op, named);
  const device = x.device;
  const y = device.empty([g.N, g.K, g.P, g.Q]);
  const t = chooseTiling(device, 'conv2d', { rows: g.K, cols: g.N * g.P * g.Q, depth: g.C * g.R * g.S, rowLength: g.Q });
  const cols = g.N * g.P * Math.ceil(g.Q / t.bn);
  const epi = { bias: !!bias, residual: !!residual, relu: !!fuse.relu };
  device.dispatch(conv2dForwardKernel(t, { R: g.R, S: g.S, sh: g.strideH, sw: g.strideW }, epi), {
    params: params(g),
    buffers: [x, weight, bias, residual, y].filter((b): b is Tensor => !!b).map((b) => b.buffer),
    workgroups: [Math.ceil(cols / t.wg), Math.ceil(g.K / t.bm)],
  });
  return { y, g };
}

/**
 * 2-D convolution: x [N, C, H, W] with weight [K, C, R, S] -> [N, K, P, Q], where
 * P = floor((H + 2·padding - R) / stride) + 1 (Q likewise), plus bias [K] if given.
 * Records gradients for x, weight and bias.
 * @example const y = ops.conv2d(x, w, { bias: b, stride: 1, padding: 1 });
 */
export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOpOptions = {}): Tensor {
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
}

/**
 * relu(conv2d(x, weight, { bias }) + residual) in one kernel, for inference (a ResNet block's
 * tail with batch norm folded into the convolution); residual and relu are optional. Records no
 * gradients: it throws if gradient recording is on and any input requires a gradient.
 * @example const y = conv2dFused(x, w, { bias: b, padding: 1, residual: shortcut, relu: true });
 */
export function conv2dFused(x: Tensor, weight: Tensor, opts: Conv2dFusedOptions = {}): Tensor {
  const inputs = [x, weight, opts.bias, opts.residual];
  if (x.device.grad.enabled && inputs.some((t) => t?.requiresGrad)) {
    throw new Error('conv2dFused: records no gradients; call it under device.noGrad() or on tensors that do not require grad');
  }
  return forward('conv2dFused', x, weight, opts, opts).y;
}

/** Gradient of conv2d with respect to its input (of shape xShape), no autograd. */
export function conv2dBackwardInput(gy: Tensor, weight: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackwardInput';
  const g = conv2dGeometry(op, xShape, weight.shape, opts);
  checkGradOut(op, gy.shape, g);
  checkTensors(op, [['output gradient', gy], ['weight', weight]]);
  const device = gy.device;
  const gx = device.empty(xShape);
  const cols = g.N * g.H * g.W;
  const t = chooseTiling(device, op, { rows: g.C, cols, depth: g.K * g.R * g.S });
  device.dispatch(conv2dBackwardInputKernel(t), {
    params: params(g),
    buffers: [gy.buffer, weight.buffer, gx.buffer],
    workgroups: [Math.ceil(cols / (t.wg * t.bn)), Math.ceil(g.C / t.bm)],
  });
  return gx;
}

/**
 * Gradient of conv2d with respect to its weight (of shape wShape), no autograd. The reduction
 * over N·P·Q may be split over workgroups, whose partial sums a second pass adds.
 */
export function conv2dBackwardWeight(gy: Tensor, x: Tensor, wShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackwardWeight';
  const g = conv2dGeometry(op, x.shape, wShape, opts);
  checkGradOut(op, gy.shape, g);
  checkTensors(op, [['output gradient', gy], ['input', x]]);
  const device = gy.device;
  const cols = g.C * g.R * g.S;
  const rows = g.N * g.P; // the reduction is split by whole output rows (n, oh)
  const t = chooseTiling(device, op, { rows: g.K, cols, depth: rows * g.Q });
  const splitLen = Math.ceil(rows / Math.min(t.splits, rows));
  const splits = Math.ceil(rows / splitLen);
  const gw = device.empty(wShape);
  const part = splits > 1 ? device.empty([splits, g.K, cols]) : gw;
  device.dispatch(conv2dBackwardWeightKernel(t), {
    params: params(g, splitLen),
    buffers: [gy.buffer, x.buffer, part.buffer],
    workgroups: [Math.ceil(cols / (t.wg * t.bn)), Math.ceil(g.K / t.bm), splits],
  });
  if (part !== gw) {
    device.dispatch(SPLIT_SUM, { params: [gw.size, splits], buffers: [part.buffer, gw.buffer], workgroups: grid1d(gw.size, 256) });
    part.dispose();
  }
  return gw;
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
