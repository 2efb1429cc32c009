/**
 * pad on the GPU: zeros added before and after the channel, height and width axes of an NCHW f32
 * tensor (TensorFlow's tf.pad in NHWC; BlazeFace's channel padding of residuals and its
 * asymmetric 'same' padding before a strided convolution). No autograd.
 */
import { grid1d } from '../../gpu/device.js';
import type { Tensor } from '../../tensor.js';
import { checkNoGrad, checkTensors } from '../check.js';
import { padGeometry, type PadOptions } from './shape.js';
import { PAD } from './wgsl.js';

export type { PadOptions } from './shape.js';

/**
 * x [N, C, H, W] -> [N, C + c0 + c1, H + h0 + h1, W + w0 + w1], zeros outside x.
 * @example pad(x, { channels: [0, 16] }) // 32 -> 48 channels, the new ones zero
 */
export function pad(x: Tensor, opts: PadOptions): Tensor {
  const g = padGeometry('pad', x.shape, opts);
  checkTensors('pad', [['input', x]]);
  checkNoGrad('pad', [x]);
  const y = x.device.empty([g.N, g.OC, g.OH, g.OW]);
  x.device.dispatch(PAD, {
    params: [y.size, g.C, g.H, g.W, g.OC, g.OH, g.OW, g.c0, g.h0, g.w0],
    buffers: [x.buffer, y.buffer],
    workgroups: grid1d(y.size, 256),
  });
  return y;
}
