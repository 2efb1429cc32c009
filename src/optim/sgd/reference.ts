/** CPU reference of one SGD step (PyTorch's torch.optim.SGD), in plain f64 loops. */
import type { CpuTensor } from '../../reference/tensor.js';

/** SGD hyper-parameters (PyTorch's names in camelCase). */
export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** The reference's per-parameter state: the momentum buffer, null before the first step. */
export interface SgdReferenceState {
  momentumBuffer: Float64Array | null;
}

/** Updates `param` in place from `grad` and `state` (created by the first step when momentum is on). */
export function sgdStep(param: CpuTensor, grad: CpuTensor, state: SgdReferenceState, o: SgdOptions): void {
  const p = param.data;
  const g = grad.data;
  if (g.length !== p.length) throw new Error(`sgdStep: grad has ${g.length} values, param ${p.length}`);
  const first = state.momentumBuffer === null;
  if (o.momentum !== 0 && first) state.momentumBuffer = new Float64Array(p.length);
  const buf = state.momentumBuffer;
  for (let i = 0; i < p.length; i++) {
    let d = o.maximize ? -g[i]! : g[i]!;
    if (o.weightDecay !== 0) d += o.weightDecay * p[i]!;
    if (o.momentum !== 0) {
      const b = first ? d : o.momentum * buf![i]! + (1 - o.dampening) * d;
      buf![i] = b;
      d = o.nesterov ? d + o.momentum * b : b;
    }
    p[i] = p[i]! - o.lr * d;
  }
}
