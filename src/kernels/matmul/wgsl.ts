/**
 * WGSL of matmul/linear (a register-blocked GEMM) and two small reductions, plus the code
 * generation helpers the conv2d kernels share. Kernels are generated for a tiling (see
 * tiling.ts) and cached by their variant key.
 */
import type { Kernel } from '../../gpu/device.js';
import type { Tiling } from './tiling.js';

/** `fn(i)` for i in [0, n), joined by newlines: straight-line code the compiler keeps in registers. */
export function unroll(n: number, fn: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => fn(i)).join('\n  ');
}

/** Declares the accumulators acc_i_j = 0 of a bm x bn block. */
export function declareAcc(t: Tiling): string {
  return unroll(t.bm, (i) => unroll(t.bn, (j) => `var acc_${i}_${j} = 0.0;`));
}

/** acc_i_j += u_i * v_j for the whole block (u: row operands, v: column operands). */
export function fmaBlock(t: Tiling): string {
  return unroll(t.bm, (i) => unroll(t.bn, (j) => `acc_${i}_${j} = fma(u${i}, v${j}, acc_${i}_${j});`));
}

const cache = new Map<string, Kernel>();

/** Returns the cached kernel for `key`, building it once. */
export function cached(key: string, build: () => string): Kernel {
  let k = cache.get(key);
  if (!k) {
    k = { name: key.split(':')[0]!, code: build() };
    cache.set(key, k);
  }
  return k;
}

function tilingKey(t: Tiling): string {
  return `${t.bm}x${t.bn}/${t.wg}`;
}

/**
 * C [M, N] = op(A) op(B) (+ bias[n]) where op(A) is [M, K] (A stored [K, M] when transA) and
 * op(B) is [K, N] (B stored [N, K] when transB). Workgroup (x, y) covers rows
 * x·bm .. and columns y·wg·bn .. (neighbouring workgroups share columns of B, kept in cache); params { M, N, K }.
 */
export function gemmKernel(t: Tiling, transA: boolean, transB: boolean, bias: boolean): Kernel {
  const key = `gemm:${tilingKey(t)}:${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${bias ? ':bias' : ''}`;
  return cached(key, () => {
    const aIdx = (i: number): string => (transA ? `k * p.M + m${i}` : `m${i} * p.K + k`);
    const bIdx = (j: number): string => (transB ? `n${j} * p.K + k` : `k * p.N + n${j}`);
    return /* wgsl */ `
struct Params { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
${bias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 4 : 3}) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(${t.wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.x * ${t.bm}u;
  let col0 = wid.y * ${t.wg * t.bn}u + lid.x;
  // Clamped indices: out-of-range rows/columns compute a duplicate that is never stored.
  ${unroll(t.bm, (i) => `let m${i} = min(row0 + ${i}u, p.M - 1u);`)}
  ${unroll(t.bn, (j) => `let n${j} = min(col0 + ${j * t.wg}u, p.N - 1u);`)}
  ${declareAcc(t)}
  for (var k = 0u; k < p.K; k++) {
    ${unroll(t.bm, (i) => `let u${i} = a[${aIdx(i)}];`)}
    ${unroll(t.bn, (j) => `let v${j} = b[${bIdx(j)}];`)}
    ${fmaBlock(t)}
  }
  ${unroll(t.bn, (j) => `let b${j} = ${bias ? `bias[n${j}]` : '0.0'};`)}
  ${unroll(t.bm, (i) =>
    unroll(
      t.bn,
      (j) => `if (row0 + ${i}u < p.M && col0 + ${j * t.wg}u < p.N) { c[(row0 + ${i}u) * p.N + col0 + ${j * t.wg}u] = acc_${i}_${j} + b${j}; }`,
    ),
  )}
}`;
  });
}

/**
 * out[c] = sum over o < outer, i < inner of g[(o * C + c) * inner + i]: the bias gradient of
 * conv2d (g as [N, K, P·Q]) and linear (g as [N, out, 1]). One workgroup of 64 per channel.
 * Params { outer, C, inner }; dispatch [C].
 */
export const CHANNEL_SUM: Kernel = {
  name: 'channelSum',
  code: /* wgsl */ `
struct Params { outer: u32, C: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wid.x;
  let total = p.outer * p.inner;
  var s = 0.0;
  for (var e = lid.x; e < total; e += 64u) {
    let o = e / p.inner;
    s += g[(o * p.C + c) * p.inner + e - o * p.inner];
  }
  part[lid.x] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (lid.x < w) { part[lid.x] += part[lid.x + w]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[c] = part[0]; }
}`,
};

/** out[i] = sum over s < splits of part[s * n + i]; params { n, splits }; dispatch grid1d(n, 256). */
export const SPLIT_SUM: Kernel = {
  name: 'splitSum',
  code: /* wgsl */ `
struct Params { n: u32, splits: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.splits; k++) { s += part[k * p.n + i]; }
  out[i] = s;
}`,
};
