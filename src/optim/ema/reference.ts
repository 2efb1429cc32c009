/** CPU reference of one exponential-moving-average update of shadow weights, in plain f64 loops. */
import type { CpuTensor } from '../../reference/tensor.js';

/**
 * Updates `shadow` in place towards `param`: on the first update a copy, then
 * `shadow += (1 − decay) · (param − shadow)` (PyTorch's `torch.lerp(shadow, param, 1 − decay)`,
 * as torch.optim.swa_utils.get_ema_multi_avg_fn and timm's ModelEmaV3 do).
 */
export function emaStep(shadow: CpuTensor, param: CpuTensor, decay: number, first: boolean): void {
  const s = shadow.data;
  const p = param.data;
  if (s.length !== p.length) throw new Error(`emaStep: shadow has ${s.length} values, param ${p.length}`);
  const w = 1 - decay;
  for (let i = 0; i < s.length; i++) s[i] = first ? p[i]! : s[i]! + w * (p[i]! - s[i]!);
}
