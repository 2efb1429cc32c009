/** CPU reference of torch.nn.utils.clip_grad_norm_, in plain f64 loops. */
import type { CpuTensor } from '../../reference/tensor.js';

/**
 * Scales `grads` in place by min(1, maxNorm / (total + 1e-6)) where total is the normType-norm of
 * all gradients together; returns total.
 */
export function clipGradNorm(grads: readonly CpuTensor[], maxNorm: number, normType = 2): number {
  let acc = 0;
  for (const g of grads) {
    for (const x of g.data) {
      const a = Math.abs(x);
      acc = normType === Infinity ? Math.max(acc, a) : acc + a ** normType;
    }
  }
  const total = normType === Infinity ? acc : acc ** (1 / normType);
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  for (const g of grads) for (let i = 0; i < g.size; i++) g.data[i] = g.data[i]! * coef;
  return total;
}
