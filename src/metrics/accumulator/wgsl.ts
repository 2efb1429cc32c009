/**
 * The metric-accumulator kernel: one invocation per row of logits [N, K]. It takes the argmax
 * (the first maximum, as numpy's argmax), adds the sample to the K×K confusion counts
 * (rows = true class), adds a top-k hit when the true class ranks among the k highest logits
 * (ties broken as sklearn's `top_k_accuracy_score`: among equal scores the later column ranks
 * higher), and optionally writes the row's softmax. Counts are `atomic<u32>` adds into one
 * buffer; no workgroup memory and no barriers.
 */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../../kernels/wgsl.js';

/**
 * Layout of the u32 counts buffer of K classes: K×K confusion counts (row-major, row = true
 * class), then the number of top-k hits, then the number of rows whose label was outside [0, K).
 */
export const countsLayout = (K: number) => ({ hits: K * K, invalid: K * K + 1, length: K * K + 2 });

/**
 * Bindings: params {N, K, k}, logits [N, K] (f32), labels [N] (i32), counts (u32, see
 * {@link countsLayout}), and probabilities [N, K] (f32) when `withProbabilities`.
 * A row with a label outside [0, K) only increments the `invalid` counter (its softmax is still
 * written, so the probability rows stay aligned with the logits).
 */
export function metricUpdateKernel(withProbabilities: boolean): Kernel {
  return {
    name: withProbabilities ? 'metricUpdateSoftmax' : 'metricUpdate',
    code: /* wgsl */ `
struct Params { N: u32, K: u32, k: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
${withProbabilities ? '@group(0) @binding(4) var<storage, read_write> probs: array<f32>;' : ''}

@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.N) { return; }
  let K = p.K;
  let row = i * K;
  // argmax: strict '>' keeps the first of equal maxima (numpy).
  var best = 0u;
  var m = logits[row];
  for (var j = 1u; j < K; j++) {
    let v = logits[row + j];
    if (v > m) { m = v; best = j; }
  }
  let t = labels[i];
  if (t >= 0 && t < i32(K)) {
    let c = u32(t);
    atomicAdd(&counts[c * K + best], 1u);
    // Rank of the true class: columns with a higher score, or an equal score and a later column.
    let s = logits[row + c];
    var ahead = 0u;
    for (var j = 0u; j < K; j++) {
      let v = logits[row + j];
      if (v > s || (v == s && j > c)) { ahead++; }
    }
    if (ahead < p.k) { atomicAdd(&counts[K * K], 1u); }
  } else {
    atomicAdd(&counts[K * K + 1u], 1u);
  }
${
  withProbabilities
    ? `  // Softmax with max subtraction.
  var sum = 0.0;
  for (var j = 0u; j < K; j++) { sum += exp(logits[row + j] - m); }
  for (var j = 0u; j < K; j++) { probs[row + j] = exp(logits[row + j] - m) / sum; }`
    : ''
}
}`,
  };
}
