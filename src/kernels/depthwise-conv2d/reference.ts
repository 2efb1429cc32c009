/**
 * CPU reference of depthwiseConv2d (PyTorch's conv2d with groups = channels and one filter per
 * channel; TensorFlow's depthwise_conv2d with channel multiplier 1), in f64 loops over NCHW.
 */
import { CpuTensor } from '../../reference/tensor.js';
import { checkDepthwiseBias, depthwiseGeometry, type DepthwiseConv2dOptions } from './shape.js';

/** Options of the reference depthwiseConv2d. */
export interface CpuDepthwiseConv2dOptions extends DepthwiseConv2dOptions {
  bias?: CpuTensor | null;
  /** Clamp the result at zero, last. */
  relu?: boolean;
}

/** y[n,c,p,q] = bias[c] + sum_{r,s} weight[c,0,r,s] x[n,c,p*stride-padTop+r,q*stride-padLeft+s] (zero outside). */
export function depthwiseConv2d(x: CpuTensor, weight: CpuTensor, opts: CpuDepthwiseConv2dOptions = {}): CpuTensor {
  const g = depthwiseGeometry('depthwiseConv2d', x.shape, weight.shape, opts);
  if (opts.bias) checkDepthwiseBias('depthwiseConv2d', opts.bias.shape, g.C);
  const y = CpuTensor.zeros([g.N, g.C, g.P, g.Q]);
  for (let n = 0; n < g.N; n++)
    for (let c = 0; c < g.C; c++)
      for (let p = 0; p < g.P; p++)
        for (let q = 0; q < g.Q; q++) {
          let sum = opts.bias ? opts.bias.data[c]! : 0;
          for (let r = 0; r < g.R; r++) {
            const h = p * g.strideH - g.padTop + r;
            if (h < 0 || h >= g.H) continue;
            for (let s = 0; s < g.S; s++) {
              const w = q * g.strideW - g.padLeft + s;
              if (w < 0 || w >= g.W) continue;
              sum += weight.data[(c * g.R + r) * g.S + s]! * x.data[((n * g.C + c) * g.H + h) * g.W + w]!;
            }
          }
          y.data[((n * g.C + c) * g.P + p) * g.Q + q] = opts.relu ? Math.max(sum, 0) : sum;
        }
  return y;
}
