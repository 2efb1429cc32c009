/**
 * Batch-norm kernels, shaped for lavapipe (where barriers and integer divisions are costly and
 * per-invocation overhead dominates): element-wise kernels run over one (n, c) plane per
 * workgroup row — dispatch [ceil(HWv / 64), C, N], so the channel is `gid.y` with no division —
 * and handle a vec4 per invocation when H·W is a multiple of 4 (`vec4` variants; HWv = H·W / 4).
 *
 * The per-channel reductions run one workgroup of 64 per channel: each invocation walks a
 * strided slice of the channel's N·H·W values, then invocation 0 adds the 64 partial sums after
 * a single barrier. Statistics are one pass over (x − s), where s is the channel's first value:
 * shifting by a sample of the data keeps Σ(x − s)² − (Σ(x − s))²/M accurate when |mean| >> std.
 *
 * `stats` is a [2, C] tensor: mean in the first C entries, 1/sqrt(var + eps) in the next C.
 */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

/** Invocations per workgroup of every batch-norm kernel. */
export const BN_WORKGROUP = 64;

/** WGSL declarations of the element type V (vec4f or f32) and its horizontal sum. */
function elementType(vec4: boolean): string {
  return vec4
    ? 'alias V = vec4f;\nfn hsum(v: V) -> f32 { return v.x + v.y + v.z + v.w; }'
    : 'alias V = f32;\nfn hsum(v: V) -> f32 { return v; }';
}

/**
 * Loops over this invocation's share (j = lid, lid + 64, … in plane order) of channel c's N·HWv
 * items, with `at` the index of the item; n and j advance without a division per item.
 */
const CHANNEL_LOOP_BEGIN = /* wgsl */ `
  var n = lid / p.HWv;
  var j = lid - n * p.HWv;
  loop {
    if (n >= p.N) { break; }
    let at = (n * p.C + c) * p.HWv + j;`;
const CHANNEL_LOOP_END = /* wgsl */ `
    j += ${BN_WORKGROUP}u;
    while (j >= p.HWv) { j -= p.HWv; n += 1u; }
  }`;

/** Sum of the 64 partials (invocation 0 only; one barrier). */
const PARTIALS = /* wgsl */ `
var<workgroup> partial: array<vec2f, ${BN_WORKGROUP}>;
fn totalOfPartials() -> vec2f {
  var t = vec2f(0.0);
  for (var k = 0u; k < ${BN_WORKGROUP}u; k++) { t += partial[k]; }
  return t;
}`;

/**
 * Batch statistics per channel -> stats; with `updateRunning`, also
 * running = (1 − momentum)·running + momentum·batch (unbiased variance for runningVar).
 * Dispatch [C].
 */
export function bnStats(updateRunning: boolean, vec4: boolean): Kernel {
  return {
    name: `batchNormStats${updateRunning ? 'Update' : ''}${vec4 ? 'Vec4' : ''}`,
    code: /* wgsl */ `
${elementType(vec4)}
struct Params { N: u32, C: u32, HWv: u32, eps: f32, momentum: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
${updateRunning ? `@group(0) @binding(3) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(4) var<storage, read_write> runningVar: array<f32>;` : ''}
${PARTIALS}
@compute @workgroup_size(${BN_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let first = x[c * p.HWv];
  let s = ${vec4 ? 'first.x' : 'first'};
  var s1 = V(0.0);
  var s2 = V(0.0);
  ${CHANNEL_LOOP_BEGIN}
    let v = x[at] - s;
    s1 += v;
    s2 += v * v;
  ${CHANNEL_LOOP_END}
  partial[lid] = vec2f(hsum(s1), hsum(s2));
  workgroupBarrier();
  if (lid != 0u) { return; }
  let t = totalOfPartials();
  let count = f32(p.N * p.HWv${vec4 ? ' * 4u' : ''});
  let d = t.x / count; // mean − s
  let variance = max(t.y / count - d * d, 0.0);
  let mean = s + d;
  stats[c] = mean;
  stats[p.C + c] = inverseSqrt(variance + p.eps);
  ${updateRunning ? `let m = p.momentum;
  runningMean[c] = (1.0 - m) * runningMean[c] + m * mean;
  runningVar[c] = (1.0 - m) * runningVar[c] + m * variance * count / (count - 1.0);` : ''}
}`,
  };
}

/** Eval mode: stats from the running estimates. */
export const BN_RUNNING_STATS: Kernel = {
  name: 'batchNormRunningStats',
  code: /* wgsl */ `
struct Params { C: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> runningMean: array<f32>;
@group(0) @binding(2) var<storage, read> runningVar: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.C) { return; }
  stats[i] = runningMean[i];
  stats[p.C + i] = inverseSqrt(runningVar[i] + p.eps);
}`,
};

/** Structural choices of the fused normalisation. */
export interface BnVariant {
  /** weight and bias are given. */
  affine: boolean;
  /** A residual tensor is added after the affine map. */
  residual: boolean;
  /** max(·, 0) at the end. */
  relu: boolean;
  vec4: boolean;
}

/** Per-channel scale and shift of the affine map y = x·scale + shift (WGSL lines declaring them). */
function scaleShift(affine: boolean): string {
  return affine
    ? 'let scale = stats[p.C + c] * weight[c];\n  let shift = bias[c] - stats[c] * scale;'
    : 'let scale = stats[p.C + c];\n  let shift = -stats[c] * scale;';
}

/**
 * y = relu?((x − mean)·invstd (·weight + bias) (+ residual)), one plane per workgroup row:
 * dispatch [ceil(HWv / 64), C, N].
 */
export function bnNormalize(v: BnVariant): Kernel {
  const bindings = ['x', 'stats', ...(v.affine ? ['weight', 'bias'] : []), ...(v.residual ? ['residual'] : [])];
  let expr = 'x[i] * scale + shift';
  if (v.residual) expr = `${expr} + residual[i]`;
  if (v.relu) expr = `max(${expr}, V(0.0))`;
  return {
    name: `batchNorm${v.affine ? 'Affine' : ''}${v.residual ? 'Add' : ''}${v.relu ? 'Relu' : ''}${v.vec4 ? 'Vec4' : ''}`,
    code: /* wgsl */ `
${elementType(v.vec4)}
struct Params { C: u32, HWv: u32 }
@group(0) @binding(0) var<uniform> p: Params;
${bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${b}: array<${b === 'x' || b === 'residual' ? 'V' : 'f32'}>;`).join('\n')}
@group(0) @binding(${bindings.length + 1}) var<storage, read_write> y: array<V>;
@compute @workgroup_size(${BN_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= p.HWv) { return; }
  let c = gid.y;
  let i = (gid.z * p.C + c) * p.HWv + gid.x;
  ${scaleShift(v.affine)}
  y[i] = ${expr};
}`,
  };
}

/**
 * Per channel: gBias = Σ g' and gWeight = Σ g'·x̂, where g' = g, or g·(y > 0) with `masked`
 * (the gradient through a fused ReLU, from the op's output y), which is then also written to gm.
 * Dispatch [C].
 */
export function bnBackwardReduce(masked: boolean, vec4: boolean): Kernel {
  return {
    name: `batchNormBackwardReduce${masked ? 'Masked' : ''}${vec4 ? 'Vec4' : ''}`,
    code: /* wgsl */ `
${elementType(vec4)}
struct Params { N: u32, C: u32, HWv: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<V>;
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> gBias: array<f32>;
@group(0) @binding(5) var<storage, read_write> gWeight: array<f32>;
${masked ? `@group(0) @binding(6) var<storage, read> y: array<V>;
@group(0) @binding(7) var<storage, read_write> gm: array<V>;` : ''}
${PARTIALS}
@compute @workgroup_size(${BN_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let mean = stats[c];
  var sg = V(0.0);
  var sgx = V(0.0);
  ${CHANNEL_LOOP_BEGIN}
    ${masked ? 'let gi = select(V(0.0), g[at], y[at] > V(0.0));\n    gm[at] = gi;' : 'let gi = g[at];'}
    sg += gi;
    sgx += gi * (x[at] - mean);
  ${CHANNEL_LOOP_END}
  partial[lid] = vec2f(hsum(sg), hsum(sgx));
  workgroupBarrier();
  if (lid != 0u) { return; }
  let t = totalOfPartials();
  gBias[c] = t.x;
  gWeight[c] = t.y * stats[p.C + c];
}`,
  };
}

/**
 * gx = weight·invstd·(g − Σg/M − x̂·Σg·x̂/M) in training mode (M = N·H·W),
 * gx = weight·invstd·g in eval mode (the statistics are constants there). g is the already
 * masked gradient g' of bnBackwardReduce. Dispatch [ceil(HWv / 64), C, N].
 */
export function bnBackwardInput(affine: boolean, vec4: boolean): Kernel {
  return {
    name: `batchNormBackwardInput${affine ? 'Affine' : ''}${vec4 ? 'Vec4' : ''}`,
    code: /* wgsl */ `
${elementType(vec4)}
struct Params { C: u32, HWv: u32, training: u32, count: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<V>;
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> gBias: array<f32>;
@group(0) @binding(5) var<storage, read> gWeight: array<f32>;
${affine ? '@group(0) @binding(6) var<storage, read> weight: array<f32>;' : ''}
@group(0) @binding(${affine ? 7 : 6}) var<storage, read_write> gx: array<V>;
@compute @workgroup_size(${BN_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= p.HWv) { return; }
  let c = gid.y;
  let i = (gid.z * p.C + c) * p.HWv + gid.x;
  let invstd = stats[p.C + c];
  let scale = invstd${affine ? ' * weight[c]' : ''};
  if (p.training == 0u) {
    gx[i] = g[i] * scale;
    return;
  }
  // gx = scale·g − a·(x − mean) − b with per-channel a, b.
  let a = scale * invstd * gWeight[c] / p.count;
  let b = scale * gBias[c] / p.count;
  gx[i] = scale * g[i] - a * (x[i] - stats[c]) - b;
}`,
  };
}

/**
 * Folds an eval-mode batch norm into the convolution before it: for output channel o,
 * s = weight[o]/sqrt(runningVar[o] + eps), W'[o] = W[o]·s and b'[o] = (b[o] − runningMean[o])·s + bias[o].
 * One invocation per element of W (the first K also write b'). Dispatch grid1d(K·fanIn, 256).
 */
export function bnFoldConv(convBias: boolean): Kernel {
  const foldBindings = (withBias: boolean): string =>
    [...(withBias ? ['w', 'b'] : ['w']), 'weight', 'bias', 'runningMean', 'runningVar', 'wOut', 'bOut']
      .map((name, k) => `@group(0) @binding(${k + 1}) var<storage, ${name.endsWith('Out') ? 'read_write' : 'read'}> ${name}: array<f32>;`)
      .join('\n');
  return {
    name: `batchNormFoldConv${convBias ? 'Bias' : ''}`,
    code: /* wgsl */ `
struct Params { K: u32, fanIn: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
${foldBindings(convBias)}
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.K * p.fanIn) { return; }
  let o = i / p.fanIn;
  let s = weight[o] * inverseSqrt(runningVar[o] + p.eps);
  wOut[i] = w[i] * s;
  if (i < p.K) {
    let s2 = weight[i] * inverseSqrt(runningVar[i] + p.eps);
    bOut[i] = (${convBias ? 'b[i]' : '0.0'} - runningMean[i]) * s2 + bias[i];
  }
}`,
  };
}
