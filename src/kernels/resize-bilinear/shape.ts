/**
 * Source taps of bilinear resizing, as TensorFlow's resizeBilinear computes them (tfjs and TF
 * agree): with half-pixel centres, output index i samples in = (i + 0.5)·scale − 0.5, else
 * in = i·scale (the legacy rule), where scale = inSize / outSize; the taps are floor(in) and
 * ceil(in), clamped into [0, inSize − 1], with weight in − floor(in) on the upper one.
 * Shared by the GPU op (whose WGSL does the same arithmetic) and the CPU reference.
 */
import { fmtShape } from '../../tensor.js';

/** Options of resizeBilinear. */
export interface ResizeBilinearOptions {
  /** Sample at pixel centres (TensorFlow's halfPixelCenters; PyTorch's align_corners=False). Default true. */
  halfPixelCenters?: boolean;
}

/** Lower tap, upper tap and the upper tap's weight, for output index i. */
export function bilinearTap(i: number, inSize: number, outSize: number, halfPixel: boolean): [number, number, number] {
  const scale = inSize / outSize;
  const src = halfPixel ? (i + 0.5) * scale - 0.5 : i * scale;
  const f = Math.floor(src);
  return [Math.max(f, 0), Math.min(Math.ceil(src), inSize - 1), src - f];
}

/** Validates x [N, C, H, W] and the output size [outH, outW]. */
export function resizeGeometry(
  op: string,
  xShape: readonly number[],
  size: readonly number[],
): { N: number; C: number; H: number; W: number; OH: number; OW: number } {
  if (xShape.length !== 4) throw new Error(`${op}: input must be 4-D [N, C, H, W], got ${fmtShape(xShape)}`);
  if (size.length !== 2 || size.some((d) => !Number.isInteger(d) || d < 1))
    throw new Error(`${op}: size must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  if (H === 0 || W === 0) throw new Error(`${op}: empty input ${fmtShape(xShape)}`);
  return { N, C, H, W, OH: size[0]!, OW: size[1]! };
}
