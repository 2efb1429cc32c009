import type { Kernel } from '../../gpu/device.js';

/**
 * Squared euclidean distances between the rows of A [m, d] and B [n, d] → out [m, n].
 * One invocation per (row i, 4 consecutive columns j): a_i is read once per 4 distances;
 * no workgroup memory, no barriers. Grid: x = ceil(ceil(n/4)/64), y = m.
 */
export const SQDIST_KERNEL: Kernel = {
  name: 'pairwiseSqDist',
  code: /* wgsl */ `
struct Params { m: u32, n: u32, d: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y;
  let j0 = gid.x * 4u;
  if (i >= p.m || j0 >= p.n) { return; }
  let last = p.n - 1u;
  let r0 = min(j0, last) * p.d;
  let r1 = min(j0 + 1u, last) * p.d;
  let r2 = min(j0 + 2u, last) * p.d;
  let r3 = min(j0 + 3u, last) * p.d;
  var acc = vec4f(0.0);
  let ra = i * p.d;
  for (var k = 0u; k < p.d; k++) {
    let x = a[ra + k];
    let diff = vec4f(x - b[r0 + k], x - b[r1 + k], x - b[r2 + k], x - b[r3 + k]);
    acc += diff * diff;
  }
  let o = i * p.n + j0;
  out[o] = acc.x;
  if (j0 + 1u < p.n) { out[o + 1u] = acc.y; }
  if (j0 + 2u < p.n) { out[o + 2u] = acc.z; }
  if (j0 + 3u < p.n) { out[o + 3u] = acc.w; }
}`,
};

/**
 * RBF kernel row sums split in two blocks, for MMD: for each row i of Z [N, d] and column chunk c,
 * out[(i * chunks + c) * 2 + 0] = Σ_{j in chunk, j < split} exp(-γ |z_i - z_j|²) and
 * out[... + 1] the same over j >= split. Grid: x = ceil(N/64) rows, y = chunks.
 */
export const RBF_ROWSUMS_KERNEL: Kernel = {
  name: 'rbfRowSums',
  code: /* wgsl */ `
struct Params { n: u32, d: u32, split: u32, chunk: u32, chunks: u32, gamma: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  let c = gid.y;
  if (i >= p.n || c >= p.chunks) { return; }
  let ri = i * p.d;
  var sx = 0.0;
  var sy = 0.0;
  let end = min(p.n, (c + 1u) * p.chunk);
  for (var j = c * p.chunk; j < end; j++) {
    let rj = j * p.d;
    var d2 = 0.0;
    for (var k = 0u; k < p.d; k++) {
      let diff = z[ri + k] - z[rj + k];
      d2 += diff * diff;
    }
    let kv = exp(-p.gamma * d2);
    if (j < p.split) { sx += kv; } else { sy += kv; }
  }
  let o = (i * p.chunks + c) * 2u;
  out[o] = sx;
  out[o + 1u] = sy;
}`,
};
