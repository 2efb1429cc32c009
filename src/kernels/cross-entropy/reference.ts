/** CPU reference of crossEntropy, forward and backward, in plain loops (f64). */
import { CpuTensor } from '../../reference/tensor.js';

/** Options of the reference crossEntropy (the GPU op's, with an array or CpuTensor of weights). */
export interface CrossEntropyReferenceOptions {
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
  weight?: CpuTensor | ArrayLike<number> | null;
}

/** Per row: the loss term and the gradient row of that term, for logits [N, K]. */
function rows(logits: CpuTensor, targets: ArrayLike<number>, o: CrossEntropyReferenceOptions) {
  if (logits.shape.length !== 2) throw new Error(`crossEntropy: logits must be 2-D [N, K], got [${logits.shape.join(', ')}]`);
  const [N, K] = logits.shape as [number, number];
  if (targets.length !== N) throw new Error(`crossEntropy: ${targets.length} targets for ${N} rows`);
  const eps = o.labelSmoothing ?? 0;
  const wData = o.weight instanceof CpuTensor ? o.weight.data : o.weight;
  const w = (k: number) => (wData ? wData[k]! : 1);
  let wAll = 0;
  for (let k = 0; k < K; k++) wAll += w(k);
  const loss = new Float64Array(N);
  const targetWeight = new Float64Array(N);
  const grad = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    const y = targets[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= K) throw new Error(`crossEntropy: target ${y} at row ${i} is not a class id in [0, ${K})`);
    const z = logits.data.subarray(i * K, (i + 1) * K);
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, z[k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(z[k]! - m);
    const lse = m + Math.log(s);
    // loss = (1 − ε)·w_y·(−log p_y) + ε/K·Σ_k w_k·(−log p_k)   (PyTorch's label smoothing with weights)
    let smooth = 0;
    for (let k = 0; k < K; k++) smooth += w(k) * (lse - z[k]!);
    loss[i] = (1 - eps) * w(y) * (lse - z[y]!) + (eps / K) * smooth;
    targetWeight[i] = w(y);
    for (let k = 0; k < K; k++) {
      const p = Math.exp(z[k]! - lse);
      grad[i * K + k] = (1 - eps) * w(y) * (p - (k === y ? 1 : 0)) + (eps / K) * (wAll * p - w(k));
    }
  }
  return { N, K, loss, targetWeight, grad };
}

/**
 * Cross-entropy of logits [N, K] against class ids, as torch.nn.functional.cross_entropy:
 * 'mean' divides by the sum of the targets' weights (N without weights). Returns shape [] for
 * 'mean'/'sum', [N] for 'none'.
 */
export function crossEntropy(logits: CpuTensor, targets: ArrayLike<number>, options: CrossEntropyReferenceOptions = {}): CpuTensor {
  const { N, loss, targetWeight } = rows(logits, targets, options);
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return new CpuTensor(loss, [N]);
  let total = 0;
  let weights = 0;
  for (let i = 0; i < N; i++) {
    total += loss[i]!;
    weights += targetWeight[i]!;
  }
  return CpuTensor.from([reduction === 'mean' ? total / weights : total], []);
}

/** Gradient of crossEntropy with respect to the logits, for upstream gradient gy (shape of the loss). */
export function crossEntropyBackward(
  gy: CpuTensor,
  logits: CpuTensor,
  targets: ArrayLike<number>,
  options: CrossEntropyReferenceOptions = {},
): CpuTensor {
  const { K, targetWeight, grad } = rows(logits, targets, options);
  const reduction = options.reduction ?? 'mean';
  const denominator = reduction === 'mean' ? targetWeight.reduce((a, b) => a + b, 0) : 1;
  return new CpuTensor(
    grad.map((v, j) => (v * gy.data[reduction === 'none' ? Math.floor(j / K) : 0]!) / denominator),
    logits.shape,
  );
}
