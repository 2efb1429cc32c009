/**
 * Batch-norm kernels, shaped for lavapipe (where barriers are costly and per-invocation overhead
 * dominates), each specialised on the channel count C and the plane size (`BnLayout`: WGSL
 * constants, so finding an item's plane and channel is a multiplication, not a division). Items
 * are vec4 when H·W is a multiple of 4 (HWv = H·W / 4), else f32.
 *
 * Element-wise kernels take a chunk of U consecutive items of one plane per invocation (U = 4,
 * 3, 2 or 1, whichever divides HWv first), over one flat grid: every invocation has work on small
 * planes too (one workgroup per 6x6 plane left 61 of 64 invocations idle: bench/lab/batchnorm.ts v3).
 *
 * The per-channel reductions run in two passes with no barrier: workgroups of `lanes`
 * invocations, each over `imagesPerGroup` planes of one channel, write one partial pair per
 * invocation (bnPartials: dispatch [groups, C]); a finalize kernel adds a channel's
 * groups·lanes pairs (dispatch grid1d(C, 64)). On lavapipe this is ~4x faster than one
 * workgroup per channel walking all N·H·W values (bench/lab/batchnorm.ts v2). Statistics are sums
 * of (x − s), where s is the channel's first value: shifting by a sample of the data keeps
 * Σ(x − s)² − (Σ(x − s))²/M accurate when |mean| >> std.
 *
 * `stats` is a [2, C] tensor: mean in the first C entries, 1/sqrt(var + eps) in the next C.
 */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

/** Invocations per workgroup of the element-wise batch-norm kernels. */
export const BN_WORKGROUP = 64;

/** WGSL declarations of the element type V (vec4f or f32) and its horizontal sum. */
function elementType(vec4: boolean): string {
  return vec4
    ? 'alias V = vec4f;\nfn hsum(v: V) -> f32 { return v.x + v.y + v.z + v.w; }'
    : 'alias V = f32;\nfn hsum(v: V) -> f32 { return v; }';
}

/**
 * How a kernel walks [N, C, H·W] activations: in chunks of U consecutive items (vec4 or f32) of
 * one plane, U the largest of 4, 3, 2, 1 dividing HWv, so no chunk straddles two planes and no
 * item needs a bounds check. The kernels are specialised on C and HWv (WGSL constants: the
 * divisions that find a chunk's plane and channel become multiplications).
 */
export interface BnLayout {
  C: number;
  /** Items per plane: H·W / 4 with vec4, else H·W. */
  HWv: number;
  vec4: boolean;
  /** Invocations per workgroup of the partial-sum kernels (`reduceLanes`). */
  lanes: number;
}

/** Items per chunk for planes of HWv items. */
export function chunkItems(HWv: number): number {
  return [4, 3, 2].find((u) => HWv % u === 0) ?? 1;
}

/** The layout's WGSL: element type, and constants C, HWV, U (items per chunk), Q (chunks per plane). */
function layoutCode(l: BnLayout): string {
  const U = chunkItems(l.HWv);
  return `${elementType(l.vec4)}
const C = ${l.C}u;
const HWV = ${l.HWv}u;
const U = ${U}u;
const Q = ${l.HWv / U}u;`;
}

/** A kernel name's suffix for a layout. */
function layoutName(l: BnLayout): string {
  return `${l.vec4 ? 'Vec4' : ''}_${l.C}x${l.HWv}`;
}

/**
 * Invocations per workgroup of the partial-sum kernels: one 8-wide SIMD batch on a CPU adapter
 * (16, 32 and 64 were slower on lavapipe, bench/lab/batchnorm.ts v3), 64 on a GPU (whose
 * SIMD groups are 32 or 64 wide). A multiple of 4.
 */
export function reduceLanes(software: boolean): number {
  return software ? 8 : 64;
}

/**
 * Images per workgroup of a partial-sum kernel for planes of HWv items: about 1024 items per
 * workgroup (one plane when planes are that big), spread evenly over the groups.
 */
export function imagesPerGroup(HWv: number, N: number): number {
  const groups = Math.ceil(N / Math.min(N, Math.max(1, Math.floor(1024 / HWv))));
  return Math.ceil(N / groups);
}

/**
 * The partial-sum kernel's frame: workgroup (g, c) takes the items of images
 * [g·p.NP, (g+1)·p.NP) of channel c, invocation lid every lanes-th of them (neighbouring
 * invocations read neighbouring items), running `body` for each (`at`, its index), then writes
 * part[(c·groups + g)·lanes + lid] = vec2f(hsum(a1), hsum(a2)).
 */
function partialsKernel(name: string, l: BnLayout, bindings: string, setup: string, body: string): Kernel {
  return {
    name: `${name}${layoutName(l)}`,
    code: /* wgsl */ `
${layoutCode(l)}
struct Params { N: u32, NP: u32, groups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
${bindings}
@compute @workgroup_size(${l.lanes})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.y;
  ${setup}
  var a1 = V(0.0);
  var a2 = V(0.0);
  let t1 = min((wid.x + 1u) * p.NP, p.N) * HWV;
  for (var t = wid.x * p.NP * HWV + lid; t < t1; t += ${l.lanes}u) {
    let n = t / HWV;
    let at = (n * C + c) * HWV + (t - n * HWV);
    ${body}
  }
  part[(c * p.groups + wid.x) * ${l.lanes}u + lid] = vec2f(hsum(a1), hsum(a2));
}`,
  };
}

/**
 * Partial sums of Σ(x − s) and Σ(x − s)² (s: the channel's first value) into part
 * [C, groups·lanes] (vec2f). Params { N, NP = imagesPerGroup, groups }; dispatch [groups, C].
 */
export function bnStatsPartials(l: BnLayout): Kernel {
  return partialsKernel(
    'batchNormStatsPartials',
    l,
    `@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> part: array<vec2f>;`,
    `let s = x[c * HWV]${l.vec4 ? '.x' : ''};`,
    `let v = x[at] - s; a1 += v; a2 += v * v;`,
  );
}

/**
 * Sums channel c's p.pairs (= groups·lanes) partial pairs into t: the loop of the finalize kernels,
 * with 4 running sums (more accurate than one).
 */
const SUM_PARTIALS = /* wgsl */ `
  let count = p.pairs;
  let first = c * count;
  var q0 = vec2f(0.0);
  var q1 = vec2f(0.0);
  var q2 = vec2f(0.0);
  var q3 = vec2f(0.0);
  for (var k = 0u; k < count; k += 4u) {
    q0 += part[first + k];
    q1 += part[first + k + 1u];
    q2 += part[first + k + 2u];
    q3 += part[first + k + 3u];
  }
  let t = (q0 + q1) + (q2 + q3);`;

/**
 * Batch statistics per channel from bnStatsPartials -> stats; with `updateRunning`, also
 * running = (1 − momentum)·running + momentum·batch (unbiased variance for runningVar).
 * Params { C, pairs: groups·lanes, HWv, count: N·H·W (f32), eps, momentum }; dispatch [ceil(C / 64)].
 */
export function bnStatsFinalize(updateRunning: boolean, vec4: boolean): Kernel {
  return {
    name: `batchNormStatsFinalize${updateRunning ? 'Update' : ''}`,
    code: /* wgsl */ `
${elementType(vec4)}
struct Params { C: u32, pairs: u32, HWv: u32, count: f32, eps: f32, momentum: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<vec2f>;
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
${
  updateRunning
    ? `@group(0) @binding(4) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(5) var<storage, read_write> runningVar: array<f32>;`
    : ''
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.C) { return; }
  ${SUM_PARTIALS}
  let s = x[c * p.HWv]${vec4 ? '.x' : ''};
  let d = t.x / p.count; // mean − s
  let variance = max(t.y / p.count - d * d, 0.0);
  let mean = s + d;
  stats[c] = mean;
  stats[p.C + c] = inverseSqrt(variance + p.eps);
  ${
    updateRunning
      ? `let m = p.momentum;
  runningMean[c] = (1.0 - m) * runningMean[c] + m * mean;
  runningVar[c] = (1.0 - m) * runningVar[c] + m * variance * p.count / (p.count - 1.0);`
      : ''
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

/** Structural choices of the fused normalisation. */
export interface BnVariant {
  /** weight and bias are given. */
  affine: boolean;
  /** A residual tensor is added after the affine map. */
  residual: boolean;
  /** max(·, 0) at the end. */
  relu: boolean;
}

/** Per-channel scale and shift of the affine map y = x·scale + shift (WGSL lines declaring them). */
function scaleShift(affine: boolean): string {
  return affine
    ? 'let scale = stats[C + c] * weight[c];\n  let shift = bias[c] - stats[c] * scale;'
    : 'let scale = stats[C + c];\n  let shift = -stats[c] * scale;';
}

/**
 * The body of an element-wise kernel over chunks (dispatch grid1d(N·C·Q, BN_WORKGROUP), Params
 * starting with `chunks` = N·C·Q): `setup` once per chunk (c is its channel), then `body` for
 * each of its U items i.
 */
function chunkElements(setup: string, body: string): string {
  return `fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = gid.x + gid.y * nwg.x * ${BN_WORKGROUP}u;
  if (k >= p.chunks) { return; }
  let c = (k / Q) % C;
  let i0 = k * U;
  ${setup}
  for (var u = 0u; u < U; u++) {
    let i = i0 + u;
    ${body}
  }
}`;
}

/**
 * y = relu?((x − mean)·invstd (·weight + bias) (+ residual)), one chunk per invocation:
 * Params { chunks }; dispatch grid1d(chunks, BN_WORKGROUP).
 */
export function bnNormalize(l: BnLayout, v: BnVariant): Kernel {
  const bindings = ['x', 'stats', ...(v.affine ? ['weight', 'bias'] : []), ...(v.residual ? ['residual'] : [])];
  let expr = 'x[i] * scale + shift';
  if (v.residual) expr = `${expr} + residual[i]`;
  if (v.relu) expr = `max(${expr}, V(0.0))`;
  return {
    name: `batchNorm${v.affine ? 'Affine' : ''}${v.residual ? 'Add' : ''}${v.relu ? 'Relu' : ''}${layoutName(l)}`,
    code: /* wgsl */ `
${layoutCode(l)}
struct Params { chunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
${bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${b}: array<${b === 'x' || b === 'residual' ? 'V' : 'f32'}>;`).join('\n')}
@group(0) @binding(${bindings.length + 1}) var<storage, read_write> y: array<V>;
@compute @workgroup_size(${BN_WORKGROUP})
${chunkElements(scaleShift(v.affine), `y[i] = ${expr};`)}`,
  };
}

/**
 * Partial sums of Σg' and Σg'·(x − mean) into part [C, groups·lanes], where g' = g, or
 * g·(y > 0) with `masked` (the gradient through a fused ReLU, from the op's output y).
 * Params as bnStatsPartials; dispatch [groups, C].
 */
export function bnBackwardPartials(l: BnLayout, masked: boolean): Kernel {
  return partialsKernel(
    `batchNormBackwardPartials${masked ? 'Masked' : ''}`,
    l,
    `@group(0) @binding(1) var<storage, read> g: array<V>;
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> part: array<vec2f>;
${masked ? '@group(0) @binding(5) var<storage, read> y: array<V>;' : ''}`,
    'let mean = stats[c];',
    masked
      ? `let gi = select(V(0.0), g[at], y[at] > V(0.0)); a1 += gi; a2 += gi * (x[at] - mean);`
      : `let gi = g[at]; a1 += gi; a2 += gi * (x[at] - mean);`,
  );
}

/** gBias = Σg' and gWeight = Σg'·x̂ per channel from bnBackwardPartials. Params { C, pairs: groups·lanes }; dispatch [ceil(C / 64)]. */
export const BN_BACKWARD_FINALIZE: Kernel = {
  name: 'batchNormBackwardFinalize',
  code: /* wgsl */ `
struct Params { C: u32, pairs: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<vec2f>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> gBias: array<f32>;
@group(0) @binding(4) var<storage, read_write> gWeight: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.C) { return; }
  ${SUM_PARTIALS}
  gBias[c] = t.x;
  gWeight[c] = t.y * stats[p.C + c];
}`,
};

/**
 * gx = weight·invstd·(g' − Σg'/M − x̂·Σg'·x̂/M) in training mode (M = N·H·W), gx =
 * weight·invstd·g' in eval mode (the statistics are constants there), where g' = g, or g·(y > 0)
 * with `masked` (a fused ReLU); with `writeGm` also gm = g' (the residual's gradient).
 * One chunk per invocation: Params { chunks, training, count: M }; dispatch grid1d(chunks, BN_WORKGROUP).
 */
export function bnBackwardInput(l: BnLayout, v: { affine: boolean; masked: boolean; writeGm: boolean }): Kernel {
  const bindings = ['g', 'x', 'stats', 'gBias', 'gWeight', ...(v.affine ? ['weight'] : []), ...(v.masked ? ['y'] : [])];
  const elementBuffers = ['g', 'x', 'y'];
  const outs = ['gx', ...(v.writeGm ? ['gm'] : [])];
  return {
    name: `batchNormBackwardInput${v.affine ? 'Affine' : ''}${v.masked ? 'Masked' : ''}${v.writeGm ? 'Gm' : ''}${layoutName(l)}`,
    code: /* wgsl */ `
${layoutCode(l)}
struct Params { chunks: u32, training: u32, count: f32 }
@group(0) @binding(0) var<uniform> p: Params;
${bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${b}: array<${elementBuffers.includes(b) ? 'V' : 'f32'}>;`).join('\n')}
${outs.map((b, k) => `@group(0) @binding(${bindings.length + 1 + k}) var<storage, read_write> ${b}: array<V>;`).join('\n')}
@compute @workgroup_size(${BN_WORKGROUP})
${chunkElements(
  `let invstd = stats[C + c];
  let scale = invstd${v.affine ? ' * weight[c]' : ''};
  // gx = scale·g' − a·(x − mean) − b with per-channel a, b (a = b = 0 in eval mode)
  let t = f32(p.training);
  let a = t * scale * invstd * gWeight[c] / p.count;
  let b = t * scale * gBias[c] / p.count;
  let mean = stats[c];`,
  `let gi = ${v.masked ? 'select(V(0.0), g[i], y[i] > V(0.0))' : 'g[i]'};${v.writeGm ? ' gm[i] = gi;' : ''} gx[i] = scale * gi - a * (x[i] - mean) - b;`,
)}`,
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
