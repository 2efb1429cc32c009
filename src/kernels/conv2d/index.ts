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
 * 2-D convolution: x [N, C, H, W] with weight [K, C, R, S] -> [N, K, P, Q], where
 * P = floor((H + 2·padding - R) / stride) + 1 (Q likewise), plus bias [K] if given.
 * Records gradients for x, weight and bias.
 * @example const y = ops.conv2d(x, w, { bias: b, stride: 1, padding: 1 });
 */
export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOpOptions = {}): Tensor {
  const g = conv2dGeometry('conv2d', x.shape, weight.shape, opts);
  const bias = opts.bias ?? null;
  if (bias) checkBias('conv2d', bias.shape, g.K, weight.shape);
  checkTensors('conv2d', bias ? [['input', x], ['weight', weight], ['bias', bias]] : [['input', x], ['weight', weight]]);
  const device = x.device;
  const y = device.empty([g.N, g.K, g.P, g.Q]);
  const cols = g.N * g.P * g.Q;
  const t = chooseTiling(device, 'conv2d', { rows: g.K, cols, depth: g.C * g.R * g.S });
  device.dispatch(conv2dForwardKernel(t, !!bias), {
    params: params(g),
    buffers: bias ? [x.buffer, weight.buffer, bias.buffer, y.buffer] : [x.buffer, weight.buffer, y.buffer],
    workgroups: [Math.ceil(cols / (t.wg * t.bn)), Math.ceil(g.K / t.bm)],
  });
  const geometry = { stride: [g.strideH, g.strideW], padding: [g.padH, g.padW] } as const;
  return record(y, 'conv2d', bias ? [x, weight, bias] : [x, weight], (gy) => [
    x.requiresGrad ? conv2dBackwardInput(gy, weight, x.shape, geometry) : null,
    weight.requiresGrad ? conv2dBackwardWeight(gy, x, weight.shape, geometry) : null,
    bias?.requiresGrad ? conv2dBackwardBias(gy) : null,
  ]);
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
