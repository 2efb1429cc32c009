/**
 * Cross-entropy kernels. The forward is fused: one pass computes the numerically stable log-softmax
 * of each row (max subtraction), the loss and d(loss)/d(logits). For 'mean' and 'sum' one
 * workgroup of 256 handles every row (strided), then adds the per-invocation sums in workgroup
 * memory; 'mean' then divides its own rows' gradients by the sum of target weights. For 'none'
 * the rows spread over as many workgroups as needed and nothing is reduced.
 */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

/** Reduction codes of the `reduction` kernel parameter. */
export const REDUCTION = { none: 0, mean: 1, sum: 2 } as const;

/**
 * Forward + gradient. Bindings: logits [N, K], targets [N] (i32), weight [K] when `weighted`,
 * loss ([N] for 'none', [1] otherwise), grad [N, K]. An out-of-range target reads a clamped
 * class and writes NaN to its loss and gradient row.
 */
export function crossEntropyForward(weighted: boolean): Kernel {
  const w = (k: string) => (weighted ? `weight[${k}]` : '1.0');
  return {
    name: weighted ? 'crossEntropyWeighted' : 'crossEntropy',
    code: /* wgsl */ `
struct Params { N: u32, K: u32, reduction: u32, smoothing: f32, nanBits: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
${weighted ? '@group(0) @binding(3) var<storage, read> weight: array<f32>;' : ''}
@group(0) @binding(${weighted ? 4 : 3}) var<storage, read_write> loss: array<f32>;
@group(0) @binding(${weighted ? 5 : 4}) var<storage, read_write> grad: array<f32>;
var<workgroup> partial: array<vec2f, 256>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let K = p.K;
  let eps = p.smoothing;
  let nan = bitcast<f32>(p.nanBits); // a NaN from a uniform: constant NaNs are rejected
  var wAll = 0.0; // Σ_k w_k
  for (var k = 0u; k < K; k++) { wAll += ${w('k')}; }
  var sums = vec2f(0.0); // (Σ loss, Σ w_target) over this invocation's rows
  for (var i = gid.x; i < p.N; i += 256u * nwg.x) {
    let row = i * K;
    let t = targets[i];
    let valid = t >= 0 && t < i32(K);
    let y = u32(clamp(t, 0, i32(K) - 1));
    var m = logits[row];
    for (var k = 1u; k < K; k++) { m = max(m, logits[row + k]); }
    var s = 0.0;
    for (var k = 0u; k < K; k++) { s += exp(logits[row + k] - m); }
    let lse = m + log(s);
    var smoothed = 0.0; // Σ_k w_k·(−log p_k)
    for (var k = 0u; k < K; k++) { smoothed += ${w('k')} * (lse - logits[row + k]); }
    let wy = ${w('y')};
    let l = select(nan, (1.0 - eps) * wy * (lse - logits[row + y]) + eps / f32(K) * smoothed, valid);
    if (p.reduction == ${REDUCTION.none}u) { loss[i] = l; }
    sums += vec2f(l, wy);
    for (var k = 0u; k < K; k++) {
      let pk = exp(logits[row + k] - lse);
      let onehot = select(0.0, 1.0, k == y);
      let gk = (1.0 - eps) * wy * (pk - onehot) + eps / f32(K) * (wAll * pk - ${w('k')});
      grad[row + k] = select(nan, gk, valid);
    }
  }
  if (p.reduction == ${REDUCTION.none}u) { return; }
  // One workgroup: add the 256 partial sums.
  partial[lid] = sums;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  let scale = select(1.0, 1.0 / total.y, p.reduction == ${REDUCTION.mean}u);
  if (lid == 0u) { loss[0] = total.x * scale; }
  if (p.reduction == ${REDUCTION.mean}u) {
    // Each invocation rescales the rows it wrote (no storage barrier needed).
    for (var i = lid; i < p.N; i += 256u) {
      for (var k = 0u; k < K; k++) { grad[i * K + k] *= scale; }
    }
  }
}`,
  };
}

/** gx = saved gradient · g, where g is the loss's gradient: one element, or one per row ('none'). */
export const CROSS_ENTROPY_BACKWARD: Kernel = {
  name: 'crossEntropyBackward',
  code: /* wgsl */ `
struct Params { n: u32, K: u32, perRow: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> saved: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  gx[i] = saved[i] * g[select(0u, i / p.K, p.perRow == 1u)];
}`,
};
