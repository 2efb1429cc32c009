/**
 * Stochastic gradient descent with momentum, as torch.optim.SGD.
 */
import { f32, grid1d } from '../../gpu/device.js';
import type { Tensor } from '../../tensor.js';
import { Optimizer } from '../optimizer.js';
import type { SgdOptions } from './reference.js';
import { sgdKernel } from './wgsl.js';

export type { SgdOptions } from './reference.js';

/**
 * SGD with PyTorch's exact update rule (torch.optim.SGD):
 * ```
 * d = maximize ? -grad : grad
 * if weightDecay != 0: d += weightDecay * p
 * if momentum != 0:
 *   buf = first step ? d : momentum * buf + (1 - dampening) * d
 *   d = nesterov ? d + momentum * buf : buf
 * p -= lr * d
 * ```
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class SGD extends Optimizer<SgdOptions> {
  protected readonly stateNames = ['momentumBuffer'] as const;

  constructor(params: readonly Tensor[], options: Partial<SgdOptions> & { lr: number }) {
    const o: SgdOptions = {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    };
    if (!(o.lr >= 0)) throw new Error(`SGD: invalid learning rate ${o.lr}`);
    if (!(o.momentum >= 0)) throw new Error(`SGD: invalid momentum ${o.momentum}`);
    if (!(o.weightDecay >= 0)) throw new Error(`SGD: invalid weightDecay ${o.weightDecay}`);
    if (!Number.isFinite(o.dampening)) throw new Error(`SGD: invalid dampening ${o.dampening}`);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
    super('SGD', params, o);
  }

  step(): void {
    const o = this.paramGroups[0];
    const kernel = sgdKernel({ momentum: o.momentum !== 0, nesterov: o.nesterov, weightDecay: o.weightDecay !== 0 });
    for (const { param, grad } of this.withGrads()) {
      let state = this.state.get(param);
      if (!state) this.state.set(param, (state = { step: 0, buffers: {} }));
      const buffers = [param.buffer, grad.buffer];
      let first = 0;
      if (o.momentum !== 0) {
        let buf = state.buffers.momentumBuffer;
        if (!buf) {
          // Filled by the kernel's first-step branch (buf = d), as PyTorch's clone.
          state.buffers.momentumBuffer = buf = this.keep(this.device.empty(param.shape));
          first = 1;
        }
        buffers.push(buf.buffer);
      }
      state.step++;
      this.device.dispatch(kernel, {
        params: [param.size, 0, f32(o.lr), f32(o.maximize ? -1 : 1), f32(o.weightDecay), f32(o.momentum), f32(1 - o.dampening), first],
        buffers,
        workgroups: grid1d(param.size, 256),
      });
    }
  }
}
