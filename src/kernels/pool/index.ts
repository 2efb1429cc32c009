/**
 * Pooling: maxPool2d, avgPool2d (PyTorch semantics: ceil_mode=False, count_include_pad=True)
 * and globalAvgPool2d ([N, C, H, W] -> [N, C], PyTorch's adaptive_avg_pool2d(x, 1).flatten(1)).
 * maxPool2d saves the argmax of each window (an i32 tensor) for its backward.
 */
import { grid1d } from '../../gpu/device.js';
import { record } from '../../autograd.js';
import { fmtShape, type Tensor } from '../../tensor.js';
import { checkTensors } from '../check.js';
import { poolGeometry, type PoolGeometry, type Pool2dOptions } from './shape.js';
import {
  AVG_POOL,
  AVG_POOL_BACKWARD,
  GLOBAL_AVG_POOL,
  GLOBAL_AVG_POOL_F16,
  GLOBAL_AVG_POOL_BACKWARD,
  MAX_POOL,
  MAX_POOL_BACKWARD,
} from './wgsl.js';
import type { Device, Kernel } from '../../gpu/device.js';

export type { Pool2dOptions, Size2 } from './shape.js';

function checkInput(op: string, x: Tensor, options: Pool2dOptions): PoolGeometry {
  checkTensors(op, [['input', x]]);
  return poolGeometry(op, x.shape, options);
}

/** Runs a windowed kernel over n invocations. */
function runWindowed(kernel: Kernel, g: PoolGeometry, n: number, buffers: GPUBuffer[], device: Device): void {
  device.dispatch(kernel, {
    params: [n, g.H, g.W, g.OH, g.OW, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw],
    buffers,
    workgroups: grid1d(n, 256),
  });
}

/**
 * 2-D max pooling over x [N, C, H, W] -> [N, C, OH, OW], OH = floor((H + 2·padding − kernelSize) / stride) + 1.
 * Padding counts as −inf. The gradient goes to the first maximum of each window (PyTorch's CPU rule).
 * @example maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }) // the ResNet stem
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const g = checkInput('maxPool2d', x, options);
  const d = x.device;
  const y = d.empty([g.N, g.C, g.OH, g.OW]);
  const argmax = d.empty(y.shape, { dtype: 'i32' });
  runWindowed(MAX_POOL, g, y.size, [x.buffer, y.buffer, argmax.buffer], d);
  record(y, 'maxPool2d', [x], (gy) => {
    const gx = d.empty(x.shape);
    runWindowed(MAX_POOL_BACKWARD, g, gx.size, [gy.buffer, argmax.buffer, gx.buffer], d);
    argmax.dispose();
    return [gx];
  });
  if (!y.requiresGrad) argmax.dispose();
  return y;
}

/**
 * 2-D average pooling over x [N, C, H, W] -> [N, C, OH, OW]. Padded zeros count in the divisor
 * (every window divides by kernelSize², PyTorch's count_include_pad=True).
 */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const g = checkInput('avgPool2d', x, options);
  const d = x.device;
  const y = d.empty([g.N, g.C, g.OH, g.OW]);
  runWindowed(AVG_POOL, g, y.size, [x.buffer, y.buffer], d);
  return record(y, 'avgPool2d', [x], (gy) => {
    const gx = d.empty(x.shape);
    runWindowed(AVG_POOL_BACKWARD, g, gx.size, [gy.buffer, gx.buffer], d);
    return [gx];
  });
}

/**
 * Mean over the spatial dimensions: x [N, C, H, W] -> [N, C] (the pooling before a ResNet's
 * classifier). An f16 input (f16 inference) gives an f32 output, without gradients.
 */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (x.ndim !== 4) throw new Error(`globalAvgPool2d: input must be 4-D [N, C, H, W], got shape ${fmtShape(x.shape)}`);
  checkTensors('globalAvgPool2d', [['input', x]], ['f32', 'f16']);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const d = x.device;
  const y = d.empty([N, C]);
  if (x.dtype === 'f16') {
    d.requireF16('globalAvgPool2d');
    d.dispatch(GLOBAL_AVG_POOL_F16, { params: [y.size, H * W], buffers: [x.buffer, y.buffer], workgroups: grid1d(y.size, 256) });
    return y;
  }
  d.dispatch(GLOBAL_AVG_POOL, { params: [y.size, H * W], buffers: [x.buffer, y.buffer], workgroups: grid1d(y.size, 256) });
  return record(y, 'globalAvgPool2d', [x], (gy) => {
    const gx = d.empty(x.shape);
    d.dispatch(GLOBAL_AVG_POOL_BACKWARD, {
      params: [gx.size, H * W],
      buffers: [gy.buffer, gx.buffer],
      workgroups: grid1d(gx.size, 256),
    });
    return [gx];
  });
}
