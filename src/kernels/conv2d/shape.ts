/**
 * Argument checking and output geometry of conv2d, shared by the GPU op and the CPU reference
 * so both reject the same inputs with the same messages.
 */
import { fmtShape } from '../../tensor.js';

/** Options of conv2d (PyTorch's `F.conv2d` without dilation and groups). */
export interface Conv2dOptions {
  /** Step of the window: a number or [h, w] (default 1). */
  stride?: number | readonly [number, number];
  /** Zero padding on each side: a number or [h, w] (default 0). */
  padding?: number | readonly [number, number];
}

/** Every size a conv2d kernel needs. */
export interface Conv2dGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  K: number;
  R: number;
  S: number;
  P: number;
  Q: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

function pair(op: string, name: string, v: number | readonly [number, number] | undefined, dflt: number, min: number): [number, number] {
  const [a, b] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  for (const x of [a, b]) {
    if (!Number.isInteger(x) || x < min) {
      throw new Error(
        `${op}: ${name} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or [h, w] pair of them, got ${JSON.stringify(v)}`,
      );
    }
  }
  return [a, b];
}

/**
 * Validates x [N, C, H, W] and weight [K, C, R, S] and returns the geometry, with
 * P = floor((H + 2 padH - R) / strideH) + 1 and Q likewise.
 */
export function conv2dGeometry(op: string, xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): Conv2dGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: input must be 4-D [N, C, H, W], got ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new Error(`${op}: weight must be 4-D [K, C, R, S], got ${fmtShape(wShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [K, Cw, R, S] = wShape as [number, number, number, number];
  if (C !== Cw) {
    throw new Error(`${op}: input ${fmtShape(xShape)} has ${C} channels but weight ${fmtShape(wShape)} expects ${Cw}`);
  }
  const [strideH, strideW] = pair(op, 'stride', opts.stride, 1, 1);
  const [padH, padW] = pair(op, 'padding', opts.padding, 0, 0);
  if (R > H + 2 * padH || S > W + 2 * padW) {
    throw new Error(
      `${op}: kernel ${R}x${S} of weight ${fmtShape(wShape)} is larger than the padded input ${H + 2 * padH}x${W + 2 * padW} of ${fmtShape(xShape)} (padding ${padH}, ${padW})`,
    );
  }
  if ([N, C, H, W, K, R, S].some((d) => d === 0)) {
    throw new Error(`${op}: empty input ${fmtShape(xShape)} or weight ${fmtShape(wShape)}`);
  }
  const P = Math.floor((H + 2 * padH - R) / strideH) + 1;
  const Q = Math.floor((W + 2 * padW - S) / strideW) + 1;
  return { N, C, H, W, K, R, S, P, Q, strideH, strideW, padH, padW };
}

/** Checks that a bias has shape [K]. */
export function checkBias(op: string, biasShape: readonly number[], K: number, wShape: readonly number[]): void {
  if (biasShape.length !== 1 || biasShape[0] !== K) {
    throw new Error(
      `${op}: bias must have shape [${K}] (one per output channel of weight ${fmtShape(wShape)}), got ${fmtShape(biasShape)}`,
    );
  }
}

/** Checks that a gradient (or another tensor, named `what`) has the output shape [N, K, P, Q]. */
export function checkGradOut(op: string, gyShape: readonly number[], g: Conv2dGeometry, what = 'output gradient'): void {
  const want = [g.N, g.K, g.P, g.Q];
  if (gyShape.length !== 4 || gyShape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: ${what} must have shape ${fmtShape(want)}, got ${fmtShape(gyShape)}`);
  }
}
