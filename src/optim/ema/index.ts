/**
 * Exponential moving average of weights: the GPU update of one shadow tensor (the model-level
 * averaging lives in train/averaging.ts).
 */
import { f32, grid1d } from '../../gpu/device.js';
import { fmtShape, sameShape, type Tensor } from '../../tensor.js';
import { checkTensors } from '../../kernels/check.js';
import { EMA_KERNEL } from './wgsl.js';

/**
 * Moves `shadow` towards `param` in place on the GPU: a copy when `first`, else
 * `shadow += (1 − decay) · (param − shadow)` (as `torch.lerp_(shadow, param, 1 − decay)`).
 * Recorded, not read back.
 * @example ema.emaUpdate(shadow, param, 0.999, step === 0);
 */
export function emaUpdate(shadow: Tensor, param: Tensor, decay: number, first: boolean): void {
  if (!(decay >= 0 && decay <= 1)) throw new Error(`emaUpdate: decay must be in [0, 1], got ${decay}`);
  if (!sameShape(shadow.shape, param.shape))
    throw new Error(`emaUpdate: shadow ${fmtShape(shadow.shape)} and param ${fmtShape(param.shape)} differ in shape`);
  checkTensors('emaUpdate', [
    ['shadow', shadow],
    ['param', param],
  ]);
  if (shadow.size === 0) return;
  shadow.device.dispatch(EMA_KERNEL, {
    params: [shadow.size, first ? 1 : 0, f32(1 - decay), 0],
    buffers: [shadow.buffer, param.buffer],
    workgroups: grid1d(shadow.size, 256),
  });
}
