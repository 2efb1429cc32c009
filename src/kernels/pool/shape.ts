/** Argument checks and output sizes shared by the GPU pooling ops and their CPU references. */

/** A size for both spatial dimensions, or [height, width] (as PyTorch's int-or-tuple). */
export type Size2 = number | readonly [number, number];

/** Options of maxPool2d and avgPool2d (PyTorch's `ceil_mode=False`, `count_include_pad=True`). */
export interface Pool2dOptions {
  /** Window size. */
  kernelSize: Size2;
  /** Step between windows (default: kernelSize). */
  stride?: Size2;
  /** Implicit padding on each side (default 0): -inf for max pooling, 0 for average pooling. */
  padding?: Size2;
}

/** Everything a pooling kernel needs: input and output sizes, window, stride and padding. */
export interface PoolGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
}

function pair(op: string, name: string, v: Size2, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) ? [...v] : [];
  if (p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new Error(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

/** Checks x's shape [N, C, H, W] and the options, and computes the output size. */
export function poolGeometry(op: string, shape: readonly number[], options: Pool2dOptions): PoolGeometry {
  if (shape.length !== 4) {
    throw new Error(`${op}: input must be 4-D [N, C, H, W], got shape [${shape.join(', ')}]`);
  }
  const [N, C, H, W] = shape as [number, number, number, number];
  if (H < 1 || W < 1) throw new Error(`${op}: input [${shape.join(', ')}] has an empty spatial size`);
  const [kh, kw] = pair(op, 'kernelSize', options.kernelSize, 1);
  const [sh, sw] = pair(op, 'stride', options.stride ?? options.kernelSize, 1);
  const [ph, pw] = pair(op, 'padding', options.padding ?? 0, 0);
  if (2 * ph > kh || 2 * pw > kw) {
    throw new Error(`${op}: padding [${ph}, ${pw}] must be at most half of kernelSize [${kh}, ${kw}] (as PyTorch)`);
  }
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  if (OH < 1 || OW < 1) {
    throw new Error(`${op}: input [${shape.join(', ')}] is too small for kernelSize [${kh}, ${kw}] with padding [${ph}, ${pw}]`);
  }
  return { N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw };
}
