/** CPU references of matmul and linear (PyTorch semantics), forward and backward, in f64 loops. */
import { CpuTensor } from '../../reference/tensor.js';
import { fmtShape } from '../../tensor.js';
import { linearDims, matmulDims } from './shape.js';

/**
 * C = op(A) op(B) with op(X) = X or Xᵀ: the one loop behind every product here.
 * A is stored [M, K] (or [K, M] when transA), B is [K, N] (or [N, K] when transB).
 */
function gemm(a: CpuTensor, b: CpuTensor, M: number, K: number, N: number, transA: boolean, transB: boolean): CpuTensor {
  const c = CpuTensor.zeros([M, N]);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        s += a.data[transA ? k * M + m : m * K + k]! * b.data[transB ? n * K + k : k * N + n]!;
      }
      c.data[m * N + n] = s;
    }
  return c;
}

/** a [M, K] x b [K, N] -> [M, N]. */
export function matmul(a: CpuTensor, b: CpuTensor): CpuTensor {
  const { M, K, N } = matmulDims('matmul', a.shape, b.shape);
  return gemm(a, b, M, K, N, false, false);
}

/** Gradients of matmul: ga = gy bᵀ, gb = aᵀ gy. */
export function matmulBackward(gy: CpuTensor, a: CpuTensor, b: CpuTensor): { ga: CpuTensor; gb: CpuTensor } {
  const { M, K, N } = matmulDims('matmulBackward', a.shape, b.shape);
  if (gy.shape.join() !== [M, N].join()) {
    throw new Error(`matmulBackward: output gradient must have shape [${M}, ${N}], got ${fmtShape(gy.shape)}`);
  }
  return { ga: gemm(gy, b, M, N, K, false, true), gb: gemm(a, gy, K, M, N, true, false) };
}

/** y = x weightᵀ + bias, with x [N, in], weight [out, in] (PyTorch layout), bias [out]. */
export function linear(x: CpuTensor, weight: CpuTensor, bias?: CpuTensor | null): CpuTensor {
  const { N, inF, outF } = linearDims('linear', x.shape, weight.shape, bias?.shape);
  const y = gemm(x, weight, N, inF, outF, false, true);
  if (bias) for (let i = 0; i < y.size; i++) y.data[i]! += bias.data[i % outF]!;
  return y;
}

/** Gradients of linear: gx = gy weight, gweight = gyᵀ x, gbias = gy summed over rows. */
export function linearBackward(gy: CpuTensor, x: CpuTensor, weight: CpuTensor): { gx: CpuTensor; gweight: CpuTensor; gbias: CpuTensor } {
  const { N, inF, outF } = linearDims('linearBackward', x.shape, weight.shape);
  if (gy.shape.join() !== [N, outF].join()) {
    throw new Error(`linearBackward: output gradient must have shape [${N}, ${outF}], got ${fmtShape(gy.shape)}`);
  }
  const gbias = CpuTensor.zeros([outF]);
  for (let i = 0; i < gy.size; i++) gbias.data[i % outF]! += gy.data[i]!;
  return { gx: gemm(gy, weight, N, outF, inF, false, false), gweight: gemm(gy, x, outF, N, inF, true, false), gbias };
}
