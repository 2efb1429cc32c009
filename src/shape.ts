/** Shape helpers shared by tensors and ops (no imports, so any module may use them). */

/** True when two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Formats a shape for error messages. */
export function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** The number of elements of a shape; throws, naming `op`, unless it is an array of integers >= 0. */
export function checkShape(shape: readonly number[], op: string): number {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of integers`);
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape [${shape.join(', ')}]`);
    size *= d;
  }
  return size;
}
