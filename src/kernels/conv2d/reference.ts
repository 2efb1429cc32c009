/**
 * CPU references of conv2d (PyTorch semantics, no dilation/groups), forward and backward, in
 * plain f64 loops over NCHW data. They share argument checks with the GPU op (shape.ts).
 */
import { CpuTensor } from '../../reference/tensor.js';
import { checkBias, checkGradOut, conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from './shape.js';

/** Options of the reference conv2d: the geometry options and an optional bias [K]. */
export interface CpuConv2dOptions extends Conv2dOptions {
  bias?: CpuTensor | null;
}

/**
 * Calls fn(yIndex, weightIndex, xIndex) for every term y += weight * x of the convolution sum
 * whose input position lies inside the (unpadded) input.
 */
function forEachTerm(g: Conv2dGeometry, fn: (yi: number, wi: number, xi: number) => void): void {
  const { N, C, H, W, K, R, S, P, Q, strideH, strideW, padH, padW } = g;
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      for (let p = 0; p < P; p++)
        for (let q = 0; q < Q; q++) {
          const yi = ((n * K + k) * P + p) * Q + q;
          for (let c = 0; c < C; c++)
            for (let r = 0; r < R; r++) {
              const h = p * strideH - padH + r;
              if (h < 0 || h >= H) continue;
              for (let s = 0; s < S; s++) {
                const w = q * strideW - padW + s;
                if (w < 0 || w >= W) continue;
                fn(yi, ((k * C + c) * R + r) * S + s, ((n * C + c) * H + h) * W + w);
              }
            }
        }
}

/** y[n,k,p,q] = bias[k] + sum_{c,r,s} weight[k,c,r,s] x[n,c,p*stride-pad+r,q*stride-pad+s]. */
export function conv2d(x: CpuTensor, weight: CpuTensor, opts: CpuConv2dOptions = {}): CpuTensor {
  const g = conv2dGeometry('conv2d', x.shape, weight.shape, opts);
  const y = CpuTensor.zeros([g.N, g.K, g.P, g.Q]);
  forEachTerm(g, (yi, wi, xi) => {
    y.data[yi]! += weight.data[wi]! * x.data[xi]!;
  });
  if (opts.bias) {
    checkBias('conv2d', opts.bias.shape, g.K, weight.shape);
    const PQ = g.P * g.Q;
    for (let i = 0; i < y.size; i++) y.data[i]! += opts.bias.data[Math.floor(i / PQ) % g.K]!;
  }
  return y;
}

/** Gradient of conv2d with respect to its input x (of shape xShape). */
export function conv2dBackwardInput(gy: CpuTensor, weight: CpuTensor, xShape: readonly number[], opts: Conv2dOptions = {}): CpuTensor {
  const g = conv2dGeometry('conv2dBackwardInput', xShape, weight.shape, opts);
  checkGradOut('conv2dBackwardInput', gy.shape, g);
  const gx = CpuTensor.zeros(xShape);
  forEachTerm(g, (yi, wi, xi) => {
    gx.data[xi]! += weight.data[wi]! * gy.data[yi]!;
  });
  return gx;
}

/** Gradient of conv2d with respect to its weight (of shape wShape). */
export function conv2dBackwardWeight(gy: CpuTensor, x: CpuTensor, wShape: readonly number[], opts: Conv2dOptions = {}): CpuTensor {
  const g = conv2dGeometry('conv2dBackwardWeight', x.shape, wShape, opts);
  checkGradOut('conv2dBackwardWeight', gy.shape, g);
  const gw = CpuTensor.zeros(wShape);
  forEachTerm(g, (yi, wi, xi) => {
    gw.data[wi]! += x.data[xi]! * gy.data[yi]!;
  });
  return gw;
}

/** Gradient of conv2d with respect to its bias: gy summed over N, P and Q. */
export function conv2dBackwardBias(gy: CpuTensor): CpuTensor {
  if (gy.shape.length !== 4) {
    throw new Error(`conv2dBackwardBias: output gradient must be 4-D [N, K, P, Q], got [${gy.shape.join(', ')}]`);
  }
  const [N, K, P, Q] = gy.shape as [number, number, number, number];
  const gb = CpuTensor.zeros([K]);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let i = 0; i < P * Q; i++) gb.data[k]! += gy.data[(n * K + k) * P * Q + i]!;
  return gb;
}
