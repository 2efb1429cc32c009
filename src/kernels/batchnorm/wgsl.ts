/**
 * Batch-norm kernels. The per-channel reductions run one workgroup of 256 per channel: each
 * invocation sums a strided slice of the channel's N·H·W values (coalesced within each H·W
 * plane), then a tree in workgroup memory adds the 256 partial sums. Statistics are two-pass
 * (mean, then the sum of squared deviations), which stays accurate when |mean| >> std.
 *
 * `stats` is a [2, C] tensor: mean in the first C entries, 1/sqrt(var + eps) in the next C.
 */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

/** Workgroup tree sum of a vec2 per invocation (256 invocations), returned to every invocation. */
const WORKGROUP_SUM = /* wgsl */ `
var<workgroup> partial: array<vec2f, 256>;
fn workgroupSum(v: vec2f, lid: u32) -> vec2f {
  workgroupBarrier(); // earlier readers of partial[0] are done
  partial[lid] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  return partial[0];
}`;

/** Loops j over this invocation's share of channel c; `at` is the index of element j in x. */
const CHANNEL_LOOP = 'for (var j = lid; j < count; j += 256u) { let n = j / p.HW; let at = (n * p.C + c) * p.HW + (j - n * p.HW);';

/**
 * Batch statistics per channel -> stats; with `updateRunning`, also
 * running = (1 − momentum)·running + momentum·batch (unbiased variance for runningVar).
 */
export function bnStats(updateRunning: boolean): Kernel {
  return {
    name: updateRunning ? 'batchNormStatsUpdate' : 'batchNormStats',
    code: /* wgsl */ `
struct Params { N: u32, C: u32, HW: u32, eps: f32, momentum: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
${updateRunning ? `@group(0) @binding(3) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(4) var<storage, read_write> runningVar: array<f32>;` : ''}
${WORKGROUP_SUM}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let count = p.N * p.HW;
  var s = 0.0;
  ${CHANNEL_LOOP} s += x[at]; }
  let mean = workgroupSum(vec2f(s, 0.0), lid).x / f32(count);
  var q = 0.0;
  ${CHANNEL_LOOP} let dev = x[at] - mean; q += dev * dev; }
  let variance = workgroupSum(vec2f(q, 0.0), lid).x / f32(count);
  if (lid == 0u) {
    stats[c] = mean;
    stats[p.C + c] = inverseSqrt(variance + p.eps);
    ${updateRunning ? `let m = p.momentum;
    runningMean[c] = (1.0 - m) * runningMean[c] + m * mean;
    runningVar[c] = (1.0 - m) * runningVar[c] + m * variance * f32(count) / f32(count - 1u);` : ''}
  }
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

/** y = (x − mean)·invstd (·weight + bias when affine). */
export function bnNormalize(affine: boolean): Kernel {
  return {
    name: affine ? 'batchNormAffine' : 'batchNormNormalize',
    code: /* wgsl */ `
struct Params { n: u32, C: u32, HW: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
${affine ? `@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;` : ''}
@group(0) @binding(${affine ? 5 : 3}) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  let c = (i / p.HW) % p.C;
  let xhat = (x[i] - stats[c]) * stats[p.C + c];
  y[i] = ${affine ? 'xhat * weight[c] + bias[c]' : 'xhat'};
}`,
  };
}

/** Per channel: gBias = Σ g and gWeight = Σ g·x̂. */
export const BN_BACKWARD_REDUCE: Kernel = {
  name: 'batchNormBackwardReduce',
  code: /* wgsl */ `
struct Params { N: u32, C: u32, HW: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> gBias: array<f32>;
@group(0) @binding(5) var<storage, read_write> gWeight: array<f32>;
${WORKGROUP_SUM}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let count = p.N * p.HW;
  let mean = stats[c];
  let invstd = stats[p.C + c];
  var acc = vec2f(0.0);
  ${CHANNEL_LOOP} let gi = g[at]; acc += vec2f(gi, gi * (x[at] - mean) * invstd); }
  let total = workgroupSum(acc, lid);
  if (lid == 0u) {
    gBias[c] = total.x;
    gWeight[c] = total.y;
  }
}`,
};

/**
 * gx = weight·invstd·(g − Σg/M − x̂·Σg·x̂/M) in training mode (M = N·H·W),
 * gx = weight·invstd·g in eval mode (the statistics are constants there).
 */
export function bnBackwardInput(affine: boolean): Kernel {
  return {
    name: affine ? 'batchNormBackwardInputAffine' : 'batchNormBackwardInput',
    code: /* wgsl */ `
struct Params { n: u32, C: u32, HW: u32, training: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> gBias: array<f32>;
@group(0) @binding(5) var<storage, read> gWeight: array<f32>;
${affine ? '@group(0) @binding(6) var<storage, read> weight: array<f32>;' : ''}
@group(0) @binding(${affine ? 7 : 6}) var<storage, read_write> gx: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  let c = (i / p.HW) % p.C;
  let invstd = stats[p.C + c];
  let scale = invstd${affine ? ' * weight[c]' : ''};
  if (p.training == 0u) {
    gx[i] = g[i] * scale;
    return;
  }
  let count = f32(p.n / p.C);
  let xhat = (x[i] - stats[c]) * invstd;
  gx[i] = scale * (g[i] - gBias[c] / count - xhat * gWeight[c] / count);
}`,
  };
}
