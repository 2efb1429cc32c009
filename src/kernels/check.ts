/**
 * The argument check every op shares: tensors of the right dtype on one device, with one wording
 * everywhere (`op: name [shape] must be f32, got i32`, `op: name lives on another device than
 * input`). Shape checks stay with each op (they differ).
 */
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/**
 * Throws unless every named tensor has one of `dtypes` (default f32 only) and lives on the device
 * of the first. Absent (null/undefined) tensors are skipped.
 * @internal
 */
export function checkTensors(
  op: string,
  tensors: ReadonlyArray<readonly [string, Tensor | null | undefined]>,
  dtypes: ReadonlyArray<Tensor['dtype']> = ['f32'],
): void {
  const present = tensors.filter((e): e is readonly [string, Tensor] => !!e[1]);
  const first = present[0];
  if (!first) return;
  for (const [name, t] of present) {
    if (!dtypes.includes(t.dtype)) {
      throw new Error(`${op}: ${name} ${fmtShape(t.shape)} must be ${dtypes.join(' or ')}, got ${t.dtype}`);
    }
    if (t.device !== first[1].device) throw new Error(`${op}: ${name} lives on another device than ${first[0]}`);
  }
}

/**
 * Throws if gradient recording is on and any of `tensors` requires a gradient: for ops that
 * record none (inference kernels), with one wording everywhere.
 * @internal
 */
export function checkNoGrad(op: string, tensors: ReadonlyArray<Tensor | null | undefined>): void {
  const first = tensors.find((t) => !!t);
  if (first?.device.grad.enabled && tensors.some((t) => t?.requiresGrad)) {
    throw new Error(`${op}: records no gradients; call it under device.noGrad() or on tensors that do not require grad`);
  }
}
