/**
 * depthwiseConv2d on the GPU: a convolution with one R x S filter per channel (PyTorch's conv2d
 * with groups = C; TensorFlow's depthwise_conv2d with channel multiplier 1), for inference
 * (BlazeFace). Stride, asymmetric or TensorFlow 'same' padding, bias and a fused ReLU. No autograd.
 */
import { grid1d } from '../../gpu/device.js';
import type { Tensor } from '../../tensor.js';
import { checkNoGrad, checkTensors } from '../check.js';
import { checkDepthwiseBias, depthwiseGeometry, type DepthwiseConv2dOptions } from './shape.js';
import { depthwiseKernel } from './wgsl.js';

export { samePadding, type DepthwiseConv2dOptions, type DepthwisePadding } from './shape.js';

/** Options of depthwiseConv2d: geometry, an optional bias [C] and a fused ReLU. */
export interface DepthwiseConv2dOpOptions extends DepthwiseConv2dOptions {
  bias?: Tensor | null;
  /** Clamp the result at zero, last. */
  relu?: boolean;
}

/**
 * x [N, C, H, W] with weight [C, 1, R, S] -> [N, C, P, Q], P = floor((H + top + bottom − R) / stride) + 1.
 * Records no gradients: it throws if gradient recording is on and an input requires a gradient.
 * @example const y = depthwiseConv2d(x, w, { bias: b, stride: 2, padding: 'same', relu: true });
 */
export function depthwiseConv2d(x: Tensor, weight: Tensor, opts: DepthwiseConv2dOpOptions = {}): Tensor {
  const op = 'depthwiseConv2d';
  const g = depthwiseGeometry(op, x.shape, weight.shape, opts);
  const bias = opts.bias ?? null;
  if (bias) checkDepthwiseBias(op, bias.shape, g.C);
  checkTensors(op, [
    ['input', x],
    ['weight', weight],
    ['bias', bias],
  ]);
  checkNoGrad(op, [x, weight, bias]);
  const y = x.device.empty([g.N, g.C, g.P, g.Q]);
  x.device.dispatch(depthwiseKernel(g.R, g.S, !!bias, !!opts.relu), {
    params: [y.size, g.C, g.H, g.W, g.P, g.Q, g.strideH, g.strideW, g.padTop, g.padLeft],
    buffers: [x, weight, bias, y].filter((t): t is Tensor => !!t).map((t) => t.buffer),
    workgroups: grid1d(y.size, 256),
  });
  return y;
}
