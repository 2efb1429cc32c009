/**
 * resizeBilinear on the GPU: TensorFlow's resize_bilinear (align_corners=false, half-pixel
 * centres by default) over NCHW f32 tensors, for inference (BlazeFace's feature-pyramid
 * up-sampling). No autograd.
 */
import { grid1d } from '../../gpu/device.js';
import type { Tensor } from '../../tensor.js';
import { checkNoGrad, checkTensors } from '../check.js';
import { resizeGeometry, type ResizeBilinearOptions } from './shape.js';
import { RESIZE_BILINEAR } from './wgsl.js';

export type { ResizeBilinearOptions } from './shape.js';

/**
 * x [N, C, H, W] -> [N, C, size[0], size[1]], each output the bilinear blend of its four source
 * taps (see shape.ts). Records no gradients.
 * @example const up = resizeBilinear(x, [24, 24]); // 2x up-sampling of a 12x12 map
 */
export function resizeBilinear(x: Tensor, size: readonly [number, number], opts: ResizeBilinearOptions = {}): Tensor {
  const op = 'resizeBilinear';
  const g = resizeGeometry(op, x.shape, size);
  checkTensors(op, [['input', x]]);
  checkNoGrad(op, [x]);
  const y = x.device.empty([g.N, g.C, g.OH, g.OW]);
  x.device.dispatch(RESIZE_BILINEAR, {
    params: [y.size, g.H, g.W, g.OH, g.OW, (opts.halfPixelCenters ?? true) ? 1 : 0],
    buffers: [x.buffer, y.buffer],
    workgroups: grid1d(y.size, 256),
  });
  return y;
}
