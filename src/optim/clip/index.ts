/**
 * Gradient clipping by total norm, as torch.nn.utils.clip_grad_norm_, without reading back.
 */
import { f32, grid1d } from '../../gpu/device.js';
import { Tensor } from '../../tensor.js';
import { normPartialsKernel, normTotalKernel, SCALE_BY, type NormKind } from './wgsl.js';

/** Invocations per gradient in the partial-sum pass: at least 16 elements each, at most 16 workgroups. */
function threadsFor(n: number): number {
  return 256 * Math.min(16, Math.max(1, Math.ceil(n / (256 * 16))));
}

/**
 * Clips the gradients of `params` in place so that their total `normType`-norm (over all of
 * them together, as one vector) is at most `maxNorm`: every grad is multiplied by
 * min(1, maxNorm / (total + 1e-6)). Params without a grad are ignored. The norm is computed on
 * the GPU and nothing is read back; the total norm (before clipping) is returned as a
 * one-element tensor (`await total.item()` reads it).
 * @param normType a p > 0, or Infinity for the max-norm (default 2).
 */
export function clipGradNorm(params: Tensor | readonly Tensor[], maxNorm: number, normType = 2): Tensor {
  const list = params instanceof Tensor ? [params] : params;
  if (!Array.isArray(list)) throw new Error('clipGradNorm: params must be a tensor or an array of tensors');
  if (!Number.isFinite(maxNorm)) throw new Error(`clipGradNorm: maxNorm must be a finite number, got ${maxNorm}`);
  if (!(normType > 0)) throw new Error(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  const grads = list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) {
    if (list.length === 0) throw new Error('clipGradNorm: params is empty');
    return list[0]!.device.zeros([]);
  }
  const device = grads[0]!.device;
  grads.forEach((g, i) => {
    if (g.device !== device) throw new Error(`clipGradNorm: grad ${i} lives on another device`);
    if (g.dtype !== 'f32') throw new Error(`clipGradNorm: grad ${i} is ${g.dtype}`);
  });
  const kind: NormKind = normType === 2 ? 'l2' : normType === 1 ? 'l1' : normType === Infinity ? 'inf' : 'lp';
  const pParam = f32(Number.isFinite(normType) ? normType : 1);

  const slots = grads.map((g) => threadsFor(g.size));
  const partials = device.empty([slots.reduce((a, b) => a + b, 0)]);
  const total = device.empty([]);
  const coef = device.empty([1]);
  const partialsKernel = normPartialsKernel(kind);
  let slot = 0;
  grads.forEach((g, i) => {
    const threads = slots[i]!;
    device.dispatch(partialsKernel, {
      params: [g.size, 0, threads, slot, pParam],
      buffers: [g.buffer, partials.buffer],
      workgroups: grid1d(threads, 256),
    });
    slot += threads;
  });
  device.dispatch(normTotalKernel(kind), {
    params: [slot, pParam, f32(maxNorm)],
    buffers: [partials.buffer, total.buffer, coef.buffer],
    workgroups: [1],
  });
  for (const g of grads) {
    device.dispatch(SCALE_BY, { params: [g.size, 0], buffers: [coef.buffer, g.buffer], workgroups: grid1d(g.size, 256) });
  }
  partials.dispose();
  coef.dispose();
  return total;
}
