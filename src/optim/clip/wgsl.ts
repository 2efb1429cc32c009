import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../../kernels/wgsl.js';

/** How |g| values are accumulated for a p-norm: Σg² (p = 2), Σ|g| (p = 1), Σ|g|^p, or max|g| (p = ∞). */
export type NormKind = 'l2' | 'l1' | 'lp' | 'inf';

function combine(kind: NormKind): string {
  switch (kind) {
    case 'l2':
      return 'acc + a * a';
    case 'l1':
      return 'acc + a';
    case 'lp':
      return 'acc + select(0.0, pow(a, p.p), a > 0.0)';
    case 'inf':
      return 'max(acc, a)';
  }
}

/**
 * Stage 1 of the norm: `threads` invocations each accumulate the elements
 * offset + t, offset + t + threads, ... of one gradient into partials[slot + t] (no barriers).
 */
export function normPartialsKernel(kind: NormKind): Kernel {
  return {
    name: `gradNormPartials_${kind}`,
    code: /* wgsl */ `
struct Params { n: u32, offset: u32, threads: u32, slot: u32, p: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.threads) { return; }
  var acc = 0.0;
  for (var j = i; j < p.n; j += p.threads) {
    let a = abs(grad[p.offset + j]);
    acc = ${combine(kind)};
  }
  partials[p.slot + i] = acc;
}`,
  };
}

/**
 * Stage 2, one workgroup: combines all partials into the total norm, and the clip coefficient
 * min(maxNorm / (total + 1e-6), 1) as torch.nn.utils.clip_grad_norm_.
 */
export function normTotalKernel(kind: NormKind): Kernel {
  const merge = kind === 'inf' ? 'max(acc, partials[j])' : 'acc + partials[j]';
  const mergeShared = kind === 'inf' ? 'max(partialSums[t], partialSums[t + s])' : 'partialSums[t] + partialSums[t + s]';
  const finish = { l2: 'sqrt(s)', l1: 's', lp: 'pow(s, 1.0 / p.p)', inf: 's' }[kind];
  return {
    name: `gradNormTotal_${kind}`,
    code: /* wgsl */ `
struct Params { count: u32, p: f32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> total: array<f32>;
@group(0) @binding(3) var<storage, read_write> coef: array<f32>;
var<workgroup> partialSums: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var acc = 0.0;
  for (var j = t; j < p.count; j += 256u) { acc = ${merge}; }
  partialSums[t] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (t < s) { partialSums[t] = ${mergeShared}; }
    workgroupBarrier();
  }
  if (t == 0u) {
    let s = partialSums[0];
    let norm = ${finish};
    total[0] = norm;
    coef[0] = min(p.maxNorm / (norm + 1e-6), 1.0);
  }
}`,
  };
}

/** grad[offset + i] *= coef[0] for i < n. */
export const SCALE_BY: Kernel = {
  name: 'scaleBy',
  code: /* wgsl */ `
struct Params { n: u32, offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  grad[p.offset + i] = grad[p.offset + i] * coef[0];
}`,
};
