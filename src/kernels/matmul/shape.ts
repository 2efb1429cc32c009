/** Argument checks of matmul and linear, shared by the GPU ops and the CPU references. */
import { fmtShape } from '../../tensor.js';

/** Checks a [M, K] x [K, N] product and returns { M, K, N }. */
export function matmulDims(op: string, aShape: readonly number[], bShape: readonly number[]): { M: number; K: number; N: number } {
  if (aShape.length !== 2 || bShape.length !== 2) {
    throw new Error(`${op}: both operands must be 2-D, got ${fmtShape(aShape)} and ${fmtShape(bShape)}`);
  }
  const [M, K] = aShape as [number, number];
  const [K2, N] = bShape as [number, number];
  if (K !== K2) {
    throw new Error(`${op}: inner dimensions differ: ${fmtShape(aShape)} x ${fmtShape(bShape)} (${K} != ${K2})`);
  }
  return { M, K, N };
}

/** Checks linear's x [N, in], weight [out, in] and bias [out]; returns { N, inF, outF }. */
export function linearDims(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  biasShape?: readonly number[],
): { N: number; inF: number; outF: number } {
  if (xShape.length !== 2) throw new Error(`${op}: input must be 2-D [N, in_features], got ${fmtShape(xShape)}`);
  if (wShape.length !== 2) throw new Error(`${op}: weight must be 2-D [out_features, in_features], got ${fmtShape(wShape)}`);
  const [N, inF] = xShape as [number, number];
  const [outF, inW] = wShape as [number, number];
  if (inF !== inW) {
    throw new Error(`${op}: input ${fmtShape(xShape)} has ${inF} features but weight ${fmtShape(wShape)} expects ${inW}`);
  }
  if (biasShape && (biasShape.length !== 1 || biasShape[0] !== outF)) {
    throw new Error(`${op}: bias must have shape [${outF}] (out_features of weight ${fmtShape(wShape)}), got ${fmtShape(biasShape)}`);
  }
  return { N, inF, outF };
}
