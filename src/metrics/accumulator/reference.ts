/**
 * CPU reference of the metric-accumulator kernel, in plain loops (f64): argmax (first maximum),
 * confusion counts, top-k hits (sklearn's tie rule) and the softmax of each row.
 */
import type { CpuTensor } from '../../reference/tensor.js';
import { countsLayout } from './wgsl.js';

/**
 * Adds the rows of `logits` [N, K] to `counts` (layout of {@link countsLayout}: K×K confusion
 * counts with rows = true class, then top-k hits, then labels outside [0, K)), and writes each
 * row's softmax into `probabilities` [N, K] when given. Mirrors the GPU `accumulateMetrics`.
 */
export function accumulateMetrics(
  logits: CpuTensor,
  labels: ArrayLike<number>,
  counts: { [i: number]: number; readonly length: number },
  k: number,
  probabilities?: CpuTensor,
): void {
  if (logits.shape.length !== 2) throw new Error(`accumulateMetrics: logits must be 2-D [N, K], got [${logits.shape.join(', ')}]`);
  const [N, K] = logits.shape as [number, number];
  const layout = countsLayout(K);
  if (labels.length !== N) throw new Error(`accumulateMetrics: ${labels.length} labels for logits [${N}, ${K}]`);
  if (counts.length !== layout.length) throw new Error(`accumulateMetrics: counts has ${counts.length} entries, expected ${layout.length}`);
  if (probabilities && probabilities.size !== N * K) {
    throw new Error(`accumulateMetrics: probabilities [${probabilities.shape.join(', ')}] for logits [${N}, ${K}]`);
  }
  const z = logits.data;
  for (let i = 0; i < N; i++) {
    const row = i * K;
    let best = 0;
    for (let j = 1; j < K; j++) if (z[row + j]! > z[row + best]!) best = j;
    const t = labels[i]!;
    if (Number.isInteger(t) && t >= 0 && t < K) {
      counts[t * K + best]!++;
      let ahead = 0;
      for (let j = 0; j < K; j++) {
        const v = z[row + j]!;
        if (v > z[row + t]! || (v === z[row + t]! && j > t)) ahead++;
      }
      if (ahead < k) counts[layout.hits]!++;
    } else {
      counts[layout.invalid]!++;
    }
    if (probabilities) {
      const m = z[row + best]!;
      let sum = 0;
      for (let j = 0; j < K; j++) sum += Math.exp(z[row + j]! - m);
      for (let j = 0; j < K; j++) probabilities.data[row + j] = Math.exp(z[row + j]! - m) / sum;
    }
  }
}
