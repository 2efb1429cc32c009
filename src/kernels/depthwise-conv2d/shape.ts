/**
 * Argument checking and output geometry of depthwiseConv2d, shared by the GPU op and the CPU
 * reference. Padding may be asymmetric ([top, bottom, left, right]) or TensorFlow's 'same'
 * (which pads the extra row and column at the bottom and right when the total is odd).
 */
import { fmtShape } from '../../tensor.js';

/** Padding of depthwiseConv2d: one number, [h, w], [top, bottom, left, right], or TensorFlow's 'same'. */
export type DepthwisePadding = number | readonly [number, number] | readonly [number, number, number, number] | 'same';

/** Options of depthwiseConv2d (both the GPU op and the reference). */
export interface DepthwiseConv2dOptions {
  /** Step of the window: a number or [h, w] (default 1). */
  stride?: number | readonly [number, number];
  /** Zero padding (default 0). */
  padding?: DepthwisePadding;
}

/** Every size the kernel needs. */
export interface DepthwiseGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  R: number;
  S: number;
  P: number;
  Q: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

function positive(op: string, name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** TensorFlow's SAME padding along one axis: [before, after]. */
export function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * Validates x [N, C, H, W] and weight [C, 1, R, S] (PyTorch's depthwise layout: groups = C,
 * one filter per channel) and returns the geometry.
 */
export function depthwiseGeometry(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  opts: DepthwiseConv2dOptions = {},
): DepthwiseGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: input must be 4-D [N, C, H, W], got ${fmtShape(xShape)}`);
  if (wShape.length !== 4 || wShape[1] !== 1) throw new Error(`${op}: weight must be 4-D [C, 1, R, S], got ${fmtShape(wShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [Cw, , R, S] = wShape as [number, number, number, number];
  if (C !== Cw) throw new Error(`${op}: input ${fmtShape(xShape)} has ${C} channels but weight ${fmtShape(wShape)} has ${Cw} filters`);
  if ([N, C, H, W, R, S].some((d) => d === 0)) throw new Error(`${op}: empty input ${fmtShape(xShape)} or weight ${fmtShape(wShape)}`);
  const s = opts.stride ?? 1;
  const [strideH, strideW] =
    typeof s === 'number'
      ? [positive(op, 'stride', s), positive(op, 'stride', s)]
      : [positive(op, 'stride', s[0]), positive(op, 'stride', s[1])];
  const p = opts.padding ?? 0;
  let pads: [number, number, number, number];
  if (p === 'same') pads = [...samePadding(H, R, strideH), ...samePadding(W, S, strideW)];
  else if (typeof p === 'number') pads = [p, p, p, p];
  else if (p.length === 2) pads = [p[0], p[0], p[1], p[1]];
  else if (p.length === 4) pads = [p[0], p[1], p[2], p[3]];
  else throw new Error(`${op}: padding must be a number, [h, w], [top, bottom, left, right] or 'same', got ${JSON.stringify(p)}`);
  if (pads.some((v) => !Number.isInteger(v) || v < 0))
    throw new Error(`${op}: padding must be non-negative integers, got ${JSON.stringify(p)}`);
  const [top, bottom, left, right] = pads;
  if (R > H + top + bottom || S > W + left + right) {
    throw new Error(
      `${op}: kernel ${R}x${S} is larger than the padded input ${H + top + bottom}x${W + left + right} of ${fmtShape(xShape)}`,
    );
  }
  const P = Math.floor((H + top + bottom - R) / strideH) + 1;
  const Q = Math.floor((W + left + right - S) / strideW) + 1;
  return { N, C, H, W, R, S, P, Q, strideH, strideW, padTop: top, padLeft: left };
}

/** Checks that a bias has shape [C]. */
export function checkDepthwiseBias(op: string, biasShape: readonly number[], C: number): void {
  if (biasShape.length !== 1 || biasShape[0] !== C) throw new Error(`${op}: bias must have shape [${C}], got ${fmtShape(biasShape)}`);
}
