/** CPU reference of batchNorm2d, forward and backward, in plain loops (f64). */
import { CpuTensor } from '../../reference/tensor.js';

/** Options of the reference batchNorm2d (the GPU op's, with CpuTensors). */
export interface BatchNormReferenceOptions {
  weight?: CpuTensor | null;
  bias?: CpuTensor | null;
  /** Updated in place in training mode. */
  runningMean?: CpuTensor | null;
  /** Updated in place in training mode (with the unbiased batch variance). */
  runningVar?: CpuTensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

function dims(op: string, x: CpuTensor): [number, number, number] {
  if (x.shape.length !== 4) throw new Error(`${op}: input must be 4-D [N, C, H, W], got shape [${x.shape.join(', ')}]`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  return [N, C, H * W];
}

/** Per-channel mean and 1/sqrt(var + eps) used to normalise (batch or running statistics). */
function statistics(x: CpuTensor, o: BatchNormReferenceOptions): { mean: Float64Array; invstd: Float64Array; batchVar: Float64Array } {
  const [N, C, HW] = dims('batchNorm2d', x);
  const eps = o.eps ?? 1e-5;
  const mean = new Float64Array(C);
  const batchVar = new Float64Array(C);
  const invstd = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    if (o.training) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let k = 0; k < HW; k++) s += x.data[(n * C + c) * HW + k]!;
      mean[c] = s / (N * HW);
      let q = 0;
      for (let n = 0; n < N; n++) for (let k = 0; k < HW; k++) q += (x.data[(n * C + c) * HW + k]! - mean[c]!) ** 2;
      batchVar[c] = q / (N * HW);
    } else {
      if (!o.runningMean || !o.runningVar) throw new Error('batchNorm2d: eval mode needs runningMean and runningVar');
      mean[c] = o.runningMean.data[c]!;
      batchVar[c] = o.runningVar.data[c]!;
    }
    invstd[c] = 1 / Math.sqrt(batchVar[c]! + eps);
  }
  return { mean, invstd, batchVar };
}

/**
 * y = (x − mean) / sqrt(var + eps) · weight + bias per channel, with batch statistics in
 * training mode (and the running ones updated in place) or the running ones in eval mode.
 */
export function batchNorm2d(x: CpuTensor, options: BatchNormReferenceOptions = {}): CpuTensor {
  const [N, C, HW] = dims('batchNorm2d', x);
  const { mean, invstd, batchVar } = statistics(x, options);
  const m = options.momentum ?? 0.1;
  if (options.training && options.runningMean && options.runningVar) {
    const count = N * HW;
    for (let c = 0; c < C; c++) {
      options.runningMean.data[c] = (1 - m) * options.runningMean.data[c]! + m * mean[c]!;
      options.runningVar.data[c] = (1 - m) * options.runningVar.data[c]! + (m * batchVar[c]! * count) / (count - 1);
    }
  }
  return x.map((v, i) => {
    const c = Math.floor(i / HW) % C;
    return (v - mean[c]!) * invstd[c]! * (options.weight?.data[c] ?? 1) + (options.bias?.data[c] ?? 0);
  });
}

/**
 * Gradients of batchNorm2d for upstream gradient gy: gx, and per-channel gWeight = Σ gy·x̂ and
 * gBias = Σ gy. Statistics are recomputed from x (training) or taken from the running ones (eval).
 */
export function batchNorm2dBackward(
  gy: CpuTensor,
  x: CpuTensor,
  options: BatchNormReferenceOptions = {},
): { gx: CpuTensor; gWeight: CpuTensor; gBias: CpuTensor } {
  const [, C, HW] = dims('batchNorm2dBackward', x);
  const { mean, invstd } = statistics(x, options);
  const count = x.size / C;
  const gBias = CpuTensor.zeros([C]);
  const gWeight = CpuTensor.zeros([C]);
  const xhat = x.map((v, i) => (v - mean[Math.floor(i / HW) % C]!) * invstd[Math.floor(i / HW) % C]!);
  for (let i = 0; i < x.size; i++) {
    const c = Math.floor(i / HW) % C;
    gBias.data[c]! += gy.data[i]!;
    gWeight.data[c]! += gy.data[i]! * xhat.data[i]!;
  }
  const gx = gy.map((g, i) => {
    const c = Math.floor(i / HW) % C;
    const scale = invstd[c]! * (options.weight?.data[c] ?? 1);
    if (!options.training) return g * scale;
    return scale * (g - gBias.data[c]! / count - (xhat.data[i]! * gWeight.data[c]!) / count);
  });
  return { gx, gWeight, gBias };
}
