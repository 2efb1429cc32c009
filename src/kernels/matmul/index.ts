/**
 * matmul and linear on the GPU with autograd (PyTorch semantics). They run the register-blocked
 * GEMM of the shared engine (../gemm), whose tiling comes from chooseTiling (../gemm/tiling.ts),
 * or, where the adapter's conv2d forward kernel is faster, that kernel as a 1x1 convolution.
 */
import { record } from '../../autograd.js';
import { fmtShape, type Tensor } from '../../tensor.js';
import { checkTensors } from '../check.js';
import { matmulAsConv } from '../conv2d/index.js';
import { channelSum, gemm } from '../gemm/index.js';
import { linearDims, matmulDims } from './shape.js';

/**
 * C = op(a) op(b) (+ bias per column), no autograd: products without transB or bias run as a
 * 1x1 convolution where the adapter's forward kernel is the faster one (matmulAsConv; worth it
 * from ~2^18 multiply-adds), the rest by the GEMM kernel.
 */
function product(
  a: Tensor,
  b: Tensor,
  dims: { M: number; K: number; N: number },
  transA: boolean,
  transB: boolean,
  bias?: Tensor | null,
): Tensor {
  if (!transB && !bias && dims.M * dims.K * dims.N >= 1 << 18) {
    const y = matmulAsConv(a, b, dims, transA);
    if (y) return y;
  }
  return gemm(a, b, dims, transA, transB, bias);
}

/**
 * Matrix product a [M, K] x b [K, N] -> [M, N] (`torch.matmul` for 2-D operands).
 * @example const y = ops.matmul(a, b); y.backward(g); // a.grad, b.grad
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const dims = matmulDims('matmul', a.shape, b.shape);
  checkTensors('matmul', [
    ['a', a],
    ['b', b],
  ]);
  const y = product(a, b, dims, false, false);
  return record(y, 'matmul', [a, b], (g) => {
    const { ga, gb } = matmulBackward(g, a, b, [a.requiresGrad, b.requiresGrad]);
    return [ga, gb];
  });
}

/**
 * Gradients of matmul (no autograd): ga = gy bᵀ and gb = aᵀ gy; `need` skips either.
 */
export function matmulBackward(
  gy: Tensor,
  a: Tensor,
  b: Tensor,
  need: [boolean, boolean] = [true, true],
): { ga: Tensor | null; gb: Tensor | null } {
  const { M, K, N } = matmulDims('matmulBackward', a.shape, b.shape);
  checkTensors('matmulBackward', [
    ['gy', gy],
    ['a', a],
    ['b', b],
  ]);
  if (gy.shape.length !== 2 || gy.shape[0] !== M || gy.shape[1] !== N) {
    throw new Error(`matmulBackward: output gradient must have shape [${M}, ${N}], got ${fmtShape(gy.shape)}`);
  }
  return {
    ga: need[0] ? product(gy, b, { M, K: N, N: K }, false, true) : null,
    gb: need[1] ? product(a, gy, { M: K, K: M, N }, true, false) : null,
  };
}

/**
 * Fully connected layer y = x weightᵀ + bias (`torch.nn.functional.linear`): x [N, in],
 * weight [out, in] (PyTorch layout), bias [out] or none.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const { N, inF, outF } = linearDims('linear', x.shape, weight.shape, bias?.shape);
  checkTensors('linear', [
    ['x', x],
    ['weight', weight],
    ['bias', bias],
  ]);
  const y = product(x, weight, { M: N, K: inF, N: outF }, false, true, bias);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, 'linear', inputs, (g) => {
    const r = linearBackward(g, x, weight, [x.requiresGrad, weight.requiresGrad, !!bias?.requiresGrad]);
    return [r.gx, r.gweight, r.gbias];
  });
}

/**
 * Gradients of linear (no autograd): gx = gy weight, gweight = gyᵀ x, gbias = gy summed over
 * rows; `need` skips any of them.
 */
export function linearBackward(
  gy: Tensor,
  x: Tensor,
  weight: Tensor,
  need: [boolean, boolean, boolean] = [true, true, true],
): { gx: Tensor | null; gweight: Tensor | null; gbias: Tensor | null } {
  const { N, inF, outF } = linearDims('linearBackward', x.shape, weight.shape);
  checkTensors('linearBackward', [
    ['gy', gy],
    ['x', x],
    ['weight', weight],
  ]);
  if (gy.shape.length !== 2 || gy.shape[0] !== N || gy.shape[1] !== outF) {
    throw new Error(`linearBackward: output gradient must have shape [${N}, ${outF}], got ${fmtShape(gy.shape)}`);
  }
  return {
    gx: need[0] ? product(gy, weight, { M: N, K: outF, N: inF }, false, false) : null,
    gweight: need[1] ? product(gy, x, { M: outF, K: N, N: inF }, true, false) : null,
    gbias: need[2] ? channelSum(gy, N, outF, 1) : null,
  };
}
