/**
 * Adam with decoupled weight decay, as torch.optim.AdamW.
 */
import { f32, grid1d } from '../../gpu/device.js';
import type { Tensor } from '../../tensor.js';
import { Optimizer } from '../optimizer.js';
import type { AdamWOptions } from './reference.js';
import { adamwKernel } from './wgsl.js';

export type { AdamWOptions } from './reference.js';

/**
 * AdamW with PyTorch's exact update rule (torch.optim.AdamW), per parameter with step t:
 * ```
 * g = maximize ? -grad : grad
 * p *= 1 - lr * weightDecay
 * m = β1 m + (1 - β1) g;   v = β2 v + (1 - β2) g²
 * amsgrad: vmax = max(vmax, v) and use vmax for v below
 * p -= lr / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)
 * ```
 * Moments live on the GPU; the step count t is kept on the CPU (as PyTorch does), so the bias
 * corrections are computed in f64 on the host.
 * @example
 * const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 1e-2 });
 */
export class AdamW extends Optimizer<AdamWOptions> {
  protected readonly stateNames = ['expAvg', 'expAvgSq', 'maxExpAvgSq'] as const;

  constructor(params: readonly Tensor[], options: Partial<AdamWOptions> = {}) {
    const o: AdamWOptions = {
      lr: options.lr ?? 1e-3,
      betas: [...(options.betas ?? [0.9, 0.999])] as [number, number],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 1e-2,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    };
    if (!(o.lr >= 0)) throw new Error(`AdamW: invalid learning rate ${o.lr}`);
    if (!(o.eps >= 0)) throw new Error(`AdamW: invalid epsilon ${o.eps}`);
    o.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new Error(`AdamW: invalid beta parameter at index ${i}: ${b}`);
    });
    if (!(o.weightDecay >= 0)) throw new Error(`AdamW: invalid weightDecay ${o.weightDecay}`);
    super('AdamW', params, o);
  }

  step(): void {
    const o = this.paramGroups[0];
    const [beta1, beta2] = o.betas;
    const kernel = adamwKernel(o.amsgrad);
    for (const { param, grad } of this.withGrads()) {
      let state = this.state.get(param);
      if (!state) this.state.set(param, (state = { step: 0, buffers: {} }));
      const b = state.buffers;
      b.expAvg ??= this.keep(this.device.zeros(param.shape));
      b.expAvgSq ??= this.keep(this.device.zeros(param.shape));
      if (o.amsgrad) b.maxExpAvgSq ??= this.keep(this.device.zeros(param.shape));
      const t = ++state.step;
      const buffers = [param.buffer, grad.buffer, b.expAvg.buffer, b.expAvgSq.buffer];
      if (o.amsgrad) buffers.push(b.maxExpAvgSq!.buffer);
      this.device.dispatch(kernel, {
        params: [
          param.size,
          0,
          f32(o.maximize ? -1 : 1),
          f32(1 - o.lr * o.weightDecay),
          f32(beta1),
          f32(1 - beta1),
          f32(beta2),
          f32(1 - beta2),
          f32(o.lr / (1 - beta1 ** t)),
          f32(Math.sqrt(1 - beta2 ** t)),
          f32(o.eps),
        ],
        buffers,
        workgroups: grid1d(param.size, 256),
      });
    }
  }
}
