/** CPU reference of one AdamW step (PyTorch's torch.optim.AdamW), in plain f64 loops. */
import type { CpuTensor } from '../../reference/tensor.js';

/** AdamW hyper-parameters (PyTorch's names in camelCase). */
export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** The reference's per-parameter state (PyTorch's step, exp_avg, exp_avg_sq, max_exp_avg_sq). */
export interface AdamWReferenceState {
  step: number;
  expAvg: Float64Array | null;
  expAvgSq: Float64Array | null;
  maxExpAvgSq: Float64Array | null;
}

/** A fresh reference state (before the first step). */
export function adamwState(): AdamWReferenceState {
  return { step: 0, expAvg: null, expAvgSq: null, maxExpAvgSq: null };
}

/** Updates `param` in place from `grad` and `state`. */
export function adamwStep(param: CpuTensor, grad: CpuTensor, state: AdamWReferenceState, o: AdamWOptions): void {
  const p = param.data;
  const g = grad.data;
  const n = p.length;
  if (g.length !== n) throw new Error(`adamwStep: grad has ${g.length} values, param ${n}`);
  const m = (state.expAvg ??= new Float64Array(n));
  const v = (state.expAvgSq ??= new Float64Array(n));
  const vmax = o.amsgrad ? (state.maxExpAvgSq ??= new Float64Array(n)) : null;
  const [beta1, beta2] = o.betas;
  state.step++;
  const bc1 = 1 - beta1 ** state.step;
  const bc2 = 1 - beta2 ** state.step;
  for (let i = 0; i < n; i++) {
    const gi = o.maximize ? -g[i]! : g[i]!;
    p[i] = p[i]! * (1 - o.lr * o.weightDecay);
    m[i] = beta1 * m[i]! + (1 - beta1) * gi;
    v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
    let vi = v[i]!;
    if (vmax) vi = vmax[i] = Math.max(vmax[i]!, vi);
    p[i] = p[i]! - (o.lr / bc1) * (m[i]! / (Math.sqrt(vi) / Math.sqrt(bc2) + o.eps));
  }
}
