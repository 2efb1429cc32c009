/**
 * The GEMM engine shared by matmul/linear and the conv2d implicit GEMMs: the register-blocked
 * GEMM (wgsl.ts) with its per-adapter tiling (tiling.ts), and the two small reductions that
 * finish split or per-channel sums. Ops call these; they do no argument checks and record no
 * gradients.
 */
import { grid1d } from '../../gpu/device.js';
import type { Tensor } from '../../tensor.js';
import { chooseTiling } from './tiling.js';
import { CHANNEL_SUM, gemmKernel, SPLIT_SUM } from './wgsl.js';

/**
 * @internal C [M, N] = op(a) op(b) (+ bias per column): op(a) is [M, K] (a stored [K, M] when
 * transA), op(b) is [K, N] (b stored [N, K] when transB).
 */
export function gemm(
  a: Tensor,
  b: Tensor,
  dims: { M: number; K: number; N: number },
  transA: boolean,
  transB: boolean,
  bias?: Tensor | null,
): Tensor {
  const { M, K, N } = dims;
  const device = a.device;
  const out = device.empty([M, N]);
  const t = chooseTiling(device, 'matmul', { rows: M, cols: N, depth: K });
  device.dispatch(gemmKernel(t, transA, transB, !!bias), {
    params: [M, N, K],
    buffers: bias ? [a.buffer, b.buffer, bias.buffer, out.buffer] : [a.buffer, b.buffer, out.buffer],
    workgroups: [Math.ceil(M / t.bm), Math.ceil(N / (t.wg * t.bn))],
  });
  return out;
}

/**
 * @internal out[c] = sum of g viewed as [outer, C, inner] over its first and last axes (the
 * bias gradient of linear and conv2d).
 */
export function channelSum(g: Tensor, outer: number, C: number, inner: number): Tensor {
  const out = g.device.empty([C]);
  g.device.dispatch(CHANNEL_SUM, { params: [outer, C, inner], buffers: [g.buffer, out.buffer], workgroups: [C] });
  return out;
}

/**
 * @internal out (of `shape`, n values) = the sum of the `splits` partial results in `parts`
 * ([splits, n]): the second pass of a split reduction. Disposes `parts`.
 */
export function splitSum(parts: Tensor, splits: number, shape: readonly number[]): Tensor {
  const out = parts.device.empty(shape);
  parts.device.dispatch(SPLIT_SUM, { params: [out.size, splits], buffers: [parts.buffer, out.buffer], workgroups: grid1d(out.size, 256) });
  parts.dispose();
  return out;
}
