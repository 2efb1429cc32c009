/**
 * WGSL of matmul/linear (a register-blocked GEMM) and two small reductions, plus the code
 * generation helpers the conv2d kernels share. Kernels are generated for a tiling (see
 * tiling.ts) and cached by their variant key.
 *
 * Kernel lab history (bench/lab/matmul-lab.ts, matmul 1024³ on lavapipe, 2 shared cores; rates
 * from one run each, best of 3, wall-clock):
 * - v1 (shipped before): 8 rows uniform per workgroup x 4 columns per lane, wg 64: 6.0 GFLOP/s.
 *   Larger/smaller scalar blocks, wg 32..256: 3–6; vec4 operands (v2/v3) and a 2-D 4x4 vec4
 *   kernel (v4): 2.5–3; unrolling K (v5, v6): slower (1–5). The generated x86 (GALLIVM_DEBUG=asm)
 *   shows why: llvmpipe emits every storage load inside a loop as 8 bounds-checked scalar loads
 *   (~100 instructions, even for workgroup-uniform addresses), and every accumulator write as a
 *   masked blend; FMAs are cheap. So what counts is loads per FMA.
 * - v7 (shipped): row operands shared through subgroupBroadcast (one load per 8 rows), 16 rows x 8
 *   columns, wg 64: 16.7 GFLOP/s in the run where v1 made 6.0 (24x8: 15.9, 32x4: 16.2, 16x16:
 *   13.3). The conv2d implicit GEMMs use the same row loads (tiling.sg).
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

/**
 * Declares the row bases rb* = min(row0 + row, rows - 1) * stride of the row operands: one per
 * row (rb0 .. rb{bm-1}), or with subgroup broadcasts one per group of sg rows, for the row
 * row0 + g·sg + sid that this lane loads for its subgroup.
 */
export function rowBases(t: Tiling, rows: string, stride: string): string {
  if (t.sg === 0) return unroll(t.bm, (i) => `let rb${i} = min(row0 + ${i}u, ${rows} - 1u) * ${stride};`);
  return unroll(Math.ceil(t.bm / t.sg), (g) => `let rb${g} = min(row0 + ${g * t.sg}u + sid, ${rows} - 1u) * ${stride};`);
}

/**
 * The row operands u0 .. u{bm-1} of one reduction step; `load(base)` is the load expression for
 * a row base from rowBases. With subgroup broadcasts each lane loads one row per group and row i
 * comes from lane i % sg of group i / sg.
 */
export function rowLoads(t: Tiling, load: (base: string) => string): string {
  if (t.sg === 0) return unroll(t.bm, (i) => `let u${i} = ${load(`rb${i}`)};`);
  const groups = unroll(Math.ceil(t.bm / t.sg), (g) => `let ul${g} = ${load(`rb${g}`)};`);
  return `${groups}\n  ${unroll(t.bm, (i) => `let u${i} = subgroupBroadcast(ul${Math.floor(i / t.sg)}, ${i % t.sg}u);`)}`;
}

/** The `enable` line and the extra entry-point argument that subgroup broadcasts need. */
export function subgroupDecls(t: Tiling): { enable: string; arg: string } {
  return t.sg === 0 ? { enable: '', arg: '' } : { enable: 'enable subgroups;', arg: ', @builtin(subgroup_invocation_id) sid: u32' };
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

/** The part of a kernel's cache key that its tiling decides. */
export function tilingKey(t: Tiling): string {
  return `${t.bm}x${t.bn}/${t.wg}${t.sg ? `/sg${t.sg}` : ''}`;
}

/**
 * C [M, N] = op(A) op(B) (+ bias[n]) where op(A) is [M, K] (A stored [K, M] when transA) and
 * op(B) is [K, N] (B stored [N, K] when transB). Workgroup (x, y) covers rows
 * x·bm .. and columns y·wg·bn .. (neighbouring workgroups share columns of B, kept in cache); params { M, N, K }.
 */
export function gemmKernel(t: Tiling, transA: boolean, transB: boolean, bias: boolean): Kernel {
  const key = `gemm:${tilingKey(t)}:${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${bias ? ':bias' : ''}`;
  return cached(key, () => {
    const sub = subgroupDecls(t);
    const bIdx = (j: number): string => (transB ? `n${j} * p.K + k` : `k * p.N + n${j}`);
    return /* wgsl */ `${sub.enable}
struct Params { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
${bias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 4 : 3}) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(${t.wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u${sub.arg}) {
  let row0 = wid.x * ${t.bm}u;
  let col0 = wid.y * ${t.wg * t.bn}u + lid.x;
  // Clamped indices: out-of-range rows/columns compute a duplicate that is never stored.
  ${rowBases(t, 'p.M', transA ? '1u' : 'p.K')}
  ${unroll(t.bn, (j) => `let n${j} = min(col0 + ${j * t.wg}u, p.N - 1u);`)}
  ${declareAcc(t)}
  for (var k = 0u; k < p.K; k++) {
    ${rowLoads(t, (rb) => (transA ? `a[k * p.M + ${rb}]` : `a[${rb} + k]`))}
    ${unroll(t.bn, (j) => `let v${j} = b[${bIdx(j)}];`)}
    ${fmaBlock(t)}
  }
  ${unroll(t.bn, (j) => `let b${j} = ${bias ? `bias[n${j}]` : '0.0'};`)}
  ${unroll(t.bm, (i) =>
    unroll(
      t.bn,
      (j) =>
        `if (row0 + ${i}u < p.M && col0 + ${j * t.wg}u < p.N) { c[(row0 + ${i}u) * p.N + col0 + ${j * t.wg}u] = acc_${i}_${j} + b${j}; }`,
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
