/**
 * The matmul kernel lab: numbered versions of C [M, N] = A [M, K] x B [K, N], each validated
 * against a CPU f64 product on sampled entries, then timed on 1024³.
 * Run: npx tsx bench/lab/matmul-lab.ts [versions] [size] [rounds], e.g. `v1,v7-16x8,v8 1024`.
 * Rates: wall-clock, and per 2 CPU-seconds of this process (common.ts; steadier on a shared machine).
 *
 * Findings on lavapipe (llvmpipe, 2 cores, AVX-512 CPU) are in the header of
 * src/kernels/gemm/wgsl.ts. Version ideas:
 * - v1: shipped before: 8 rows (uniform across the workgroup) x 4 scalar columns, wg 64.
 * - v2: rows uniform, B read as vec4 along N (a vec4 accumulator per row), A scalar.
 * - v3: v2 + A read as vec4 along K (one uniform 16-byte load per row), K unrolled by 4.
 * - v4: 4x4 per invocation on a 2-D grid, A and B both per-invocation vec4 loads (no uniform rows).
 * - v5-v7: see below and src/kernels/gemm/wgsl.ts (v7, 16x8, the GEMM kernel since).
 * - v8 (src matmul on lavapipe): no new kernel: the conv2d forward kernel as a 1x1 convolution
 *   (matmulAsConv in src/kernels/conv2d/index.ts): A packed 4 rows to a vec4 and shared by
 *   subgroup broadcasts, B read as aligned vec4s, 32 x 8 blocks. 1024³: 33-36 GFLOP/s per 2 CPU-s
 *   against v7's 14.9 in the same run (load ~9).
 */
import type { Kernel } from '../../src/gpu/device.js';
import { matmul } from '../../src/kernels/matmul/index.js';
import { Rng } from '../../src/random.js';
import type { Tensor } from '../../src/tensor.js';
import { gflops, labDevice, loadNote, randTensor, timeVariants, validate } from './common.js';

interface Version {
  /** What changed. */
  what: string;
  kernel: Kernel;
  /** Workgroups for M x N. */
  grid: (M: number, N: number) => [number, number];
}

const un = (n: number, f: (i: number) => string, sep = '\n  '): string => Array.from({ length: n }, (_, i) => f(i)).join(sep);

const HEAD = (aType: string, bType: string): string => `
struct Params { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<${aType}>;
@group(0) @binding(2) var<storage, read> b: array<${bType}>;
@group(0) @binding(3) var<storage, read_write> c: array<${bType}>;`;

/** v1: the shipped scalar kernel (bm x bn, columns wg apart). */
function v1(bm: number, bn: number, wg: number): Version {
  const code = `${HEAD('f32', 'f32')}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.x * ${bm}u;
  let col0 = wid.y * ${wg * bn}u + lid.x;
  ${un(bm, (i) => `let m${i} = min(row0 + ${i}u, p.M - 1u);`)}
  ${un(bn, (j) => `let n${j} = min(col0 + ${j * wg}u, p.N - 1u);`)}
  ${un(bm * bn, (e) => `var acc${e} = 0.0;`)}
  for (var k = 0u; k < p.K; k++) {
    ${un(bm, (i) => `let u${i} = a[m${i} * p.K + k];`)}
    ${un(bn, (j) => `let v${j} = b[k * p.N + n${j}];`)}
    ${un(bm * bn, (e) => `acc${e} = fma(u${Math.floor(e / bn)}, v${e % bn}, acc${e});`)}
  }
  ${un(bm * bn, (e) => `if (row0 + ${Math.floor(e / bn)}u < p.M && col0 + ${(e % bn) * wg}u < p.N) { c[(row0 + ${Math.floor(e / bn)}u) * p.N + col0 + ${(e % bn) * wg}u] = acc${e}; }`)}
}`;
  return { what: `scalar ${bm}x${bn}/${wg}`, kernel: { name: 'v1', code }, grid: (M, N) => [Math.ceil(M / bm), Math.ceil(N / (wg * bn))] };
}

/**
 * v5: v1 with the K loop unrolled by `uk` (a scalar tail loop handles K % uk); aVec: A read as
 * vec4 along K (uniform 16-byte loads, needs K % 4 == 0 and uk == 4).
 */
function v5(bm: number, bn: number, wg: number, uk: number, aVec: boolean): Version {
  const step = (
    k: string,
    kk: number | null,
  ): string => `${un(bm, (i) => (aVec && kk !== null ? `let u${i} = ua${i}[${kk}];` : `let u${i} = ${aVec ? `a[(m${i} * p.K + ${k}) / 4u][(${k}) % 4u]` : `a[m${i} * p.K + ${k}]`};`))}
    ${un(bn, (j) => `let v${j} = b[(${k}) * p.N + n${j}];`)}
    ${un(bm * bn, (e) => `acc${e} = fma(u${Math.floor(e / bn)}, v${e % bn}, acc${e});`)}`;
  const code = `${HEAD(aVec ? 'vec4f' : 'f32', 'f32')}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.x * ${bm}u;
  let col0 = wid.y * ${wg * bn}u + lid.x;
  ${un(bm, (i) => `let m${i} = min(row0 + ${i}u, p.M - 1u);`)}
  ${un(bn, (j) => `let n${j} = min(col0 + ${j * wg}u, p.N - 1u);`)}
  ${un(bm * bn, (e) => `var acc${e} = 0.0;`)}
  let Ku = p.K / ${uk}u * ${uk}u;
  for (var k = 0u; k < Ku; k += ${uk}u) {
    ${aVec ? un(bm, (i) => `let ua${i} = a[(m${i} * p.K + k) / 4u];`) : ''}
    ${un(uk, (kk) => `{ ${step(`k + ${kk}u`, kk)} }`, '\n    ')}
  }
  for (var k = Ku; k < p.K; k++) {
    ${step('k', null)}
  }
  ${un(bm * bn, (e) => `if (row0 + ${Math.floor(e / bn)}u < p.M && col0 + ${(e % bn) * wg}u < p.N) { c[(row0 + ${Math.floor(e / bn)}u) * p.N + col0 + ${(e % bn) * wg}u] = acc${e}; }`)}
}`;
  return {
    what: `scalar ${bm}x${bn}/${wg}, K unrolled x${uk}${aVec ? ', A vec4' : ''}`,
    kernel: { name: 'v5', code },
    grid: (M, N) => [Math.ceil(M / bm), Math.ceil(N / (wg * bn))],
  };
}

/**
 * v6: like v5, but the loop-carried accumulators are written once per chunk of `uk` steps (a
 * chain of fma over `let` values): llvmpipe blends every write to a loop variable with the loop's
 * execution mask, and spills when many are live, so fewer writes cost less.
 */
function v6(bm: number, bn: number, wg: number, uk: number): Version {
  const chain = (e: number, ks: number[]): string =>
    ks.reduce((inner, kk) => `fma(u${Math.floor(e / bn)}_${kk}, v${e % bn}_${kk}, ${inner})`, `acc${e}`);
  const loads = (k: (kk: number) => string, ks: number[]): string =>
    ks
      .map(
        (kk) => `${un(bm, (i) => `let u${i}_${kk} = a[m${i} * p.K + ${k(kk)}];`)}
    ${un(bn, (j) => `let v${j}_${kk} = b[(${k(kk)}) * p.N + n${j}];`)}`,
      )
      .join('\n    ');
  const ks = Array.from({ length: uk }, (_, i) => i);
  const code = `${HEAD('f32', 'f32')}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.x * ${bm}u;
  let col0 = wid.y * ${wg * bn}u + lid.x;
  ${un(bm, (i) => `let m${i} = min(row0 + ${i}u, p.M - 1u);`)}
  ${un(bn, (j) => `let n${j} = min(col0 + ${j * wg}u, p.N - 1u);`)}
  ${un(bm * bn, (e) => `var acc${e} = 0.0;`)}
  let Ku = p.K / ${uk}u * ${uk}u;
  for (var k = 0u; k < Ku; k += ${uk}u) {
    ${loads((kk) => `k + ${kk}u`, ks)}
    ${un(bm * bn, (e) => `acc${e} = ${chain(e, ks)};`)}
  }
  for (var k = Ku; k < p.K; k++) {
    ${loads(() => 'k', [0])}
    ${un(bm * bn, (e) => `acc${e} = ${chain(e, [0])};`)}
  }
  ${un(bm * bn, (e) => `if (row0 + ${Math.floor(e / bn)}u < p.M && col0 + ${(e % bn) * wg}u < p.N) { c[(row0 + ${Math.floor(e / bn)}u) * p.N + col0 + ${(e % bn) * wg}u] = acc${e}; }`)}
}`;
  return {
    what: `scalar ${bm}x${bn}/${wg}, chunks of ${uk} k, one accumulator write per chunk`,
    kernel: { name: 'v6', code },
    grid: (M, N) => [Math.ceil(M / bm), Math.ceil(N / (wg * bn))],
  };
}

/**
 * v7: v1 where the bm row operands come from subgroupBroadcast: lane l of each subgroup (of sg
 * lanes) loads A[row0 + l, k] for bm/sg groups of rows, and every lane takes row i from lane i.
 * llvmpipe turns each load in a loop into sg scalar loads with bounds checks (~100 instructions),
 * while a broadcast is a register shuffle, so this cuts the loads per k from bm + bn to bm/sg + bn.
 */
function v7(bm: number, bn: number, wg: number, sg: number): Version {
  const groups = Math.ceil(bm / sg);
  const code = `enable subgroups;
${HEAD('f32', 'f32')}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(subgroup_invocation_id) sid: u32) {
  let row0 = wid.x * ${bm}u;
  let col0 = wid.y * ${wg * bn}u + lid.x;
  ${un(groups, (g) => `let am${g} = min(row0 + ${g * sg}u + sid, p.M - 1u) * p.K;`)}
  ${un(bn, (j) => `let n${j} = min(col0 + ${j * wg}u, p.N - 1u);`)}
  ${un(bm * bn, (e) => `var acc${e} = 0.0;`)}
  for (var k = 0u; k < p.K; k++) {
    ${un(groups, (g) => `let al${g} = a[am${g} + k];`)}
    ${un(bn, (j) => `let v${j} = b[k * p.N + n${j}];`)}
    ${un(bm, (i) => `let u${i} = subgroupBroadcast(al${Math.floor(i / sg)}, ${i % sg}u);`)}
    ${un(bm * bn, (e) => `acc${e} = fma(u${Math.floor(e / bn)}, v${e % bn}, acc${e});`)}
  }
  ${un(bm * bn, (e) => `if (row0 + ${Math.floor(e / bn)}u < p.M && col0 + ${(e % bn) * wg}u < p.N) { c[(row0 + ${Math.floor(e / bn)}u) * p.N + col0 + ${(e % bn) * wg}u] = acc${e}; }`)}
}`;
  return {
    what: `subgroup-broadcast rows ${bm}x${bn}/${wg} (subgroup ${sg})`,
    kernel: { name: 'v7', code },
    grid: (M, N) => [Math.ceil(M / bm), Math.ceil(N / (wg * bn))],
  };
}

/**
 * v2/v3: rows uniform (bm per workgroup), each invocation bq vec4 column groups (wg·4 apart).
 * ak4: A as vec4 along K with K unrolled by 4. Needs N % 4 == 0 (and K % 4 == 0 with ak4).
 */
function vRows(bm: number, bq: number, wg: number, ak4: boolean): Version {
  const acc = (i: number, j: number): string => `acc${i}_${j}`;
  const body = ak4
    ? `for (var k4 = 0u; k4 < K4; k4++) {
    ${un(bm, (i) => `let u${i} = a[m${i} * K4 + k4];`)}
    ${un(
      4,
      (kk) => `${un(bq, (j) => `let v${kk}_${j} = b[(k4 * 4u + ${kk}u) * N4 + n${j}];`)}
    ${un(bm, (i) => un(bq, (j) => `${acc(i, j)} = fma(vec4f(u${i}[${kk}]), v${kk}_${j}, ${acc(i, j)});`))}`,
    )}
  }`
    : `for (var k = 0u; k < p.K; k++) {
    ${un(bm, (i) => `let u${i} = a[m${i} * p.K + k];`)}
    ${un(bq, (j) => `let v${j} = b[k * N4 + n${j}];`)}
    ${un(bm, (i) => un(bq, (j) => `${acc(i, j)} = fma(vec4f(u${i}), v${j}, ${acc(i, j)});`))}
  }`;
  const code = `${HEAD(ak4 ? 'vec4f' : 'f32', 'vec4f')}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  let row0 = wid.x * ${bm}u;
  let col0 = wid.y * ${wg * bq}u + lid.x;
  ${un(bm, (i) => `let m${i} = min(row0 + ${i}u, p.M - 1u);`)}
  ${un(bq, (j) => `let n${j} = min(col0 + ${j * wg}u, N4 - 1u);`)}
  ${un(bm, (i) => un(bq, (j) => `var ${acc(i, j)} = vec4f(0.0);`))}
  ${body}
  ${un(bm, (i) => un(bq, (j) => `if (row0 + ${i}u < p.M && col0 + ${j * wg}u < N4) { c[(row0 + ${i}u) * N4 + col0 + ${j * wg}u] = ${acc(i, j)}; }`))}
}`;
  return {
    what: `rows uniform ${bm}x${bq}vec4/${wg}${ak4 ? ' A vec4 along K, K unrolled x4' : ''}`,
    kernel: { name: 'vrows', code },
    grid: (M, N) => [Math.ceil(M / bm), Math.ceil(N / 4 / (wg * bq))],
  };
}

/** v4: 2-D grid, each invocation 4 rows x 4 columns (one vec4), A as vec4 along K, all loads per invocation. */
function v4(wgx: number, wgy: number): Version {
  const code = `${HEAD('vec4f', 'vec4f')}
@compute @workgroup_size(${wgx}, ${wgy})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  let col = min(gid.x, N4 - 1u);
  let row0 = gid.y * 4u;
  ${un(4, (i) => `let m${i} = min(row0 + ${i}u, p.M - 1u);`)}
  ${un(4, (i) => `var acc${i} = vec4f(0.0);`)}
  for (var k4 = 0u; k4 < K4; k4++) {
    ${un(4, (i) => `let u${i} = a[m${i} * K4 + k4];`)}
    ${un(4, (kk) => `let v${kk} = b[(k4 * 4u + ${kk}u) * N4 + col];`)}
    ${un(4, (i) => un(4, (kk) => `acc${i} = fma(vec4f(u${i}[${kk}]), v${kk}, acc${i});`))}
  }
  ${un(4, (i) => `if (gid.x < N4 && row0 + ${i}u < p.M) { c[(row0 + ${i}u) * N4 + gid.x] = acc${i}; }`)}
}`;
  return {
    what: `2-D 4x4 vec4 A and B, wg ${wgx}x${wgy}`,
    kernel: { name: 'v4', code },
    grid: (M, N) => [Math.ceil(N / 4 / wgx), Math.ceil(M / 4 / wgy)],
  };
}

const VERSIONS: Record<string, () => Version> = {
  v1: () => v1(8, 4, 64),
  'v1-4x4': () => v1(4, 4, 64),
  'v1-8x1': () => v1(8, 1, 64),
  'v1-12x1': () => v1(12, 1, 64),
  'v1-16x1': () => v1(16, 1, 64),
  'v1-8x2': () => v1(8, 2, 64),
  'v1-8x8': () => v1(8, 8, 64),
  'v1-16x4': () => v1(16, 4, 64),
  'v1-4x8': () => v1(4, 8, 64),
  'v1-12x4': () => v1(12, 4, 64),
  'v1-8x4/32': () => v1(8, 4, 32),
  'v1-8x4/128': () => v1(8, 4, 128),
  'v1-8x4/256': () => v1(8, 4, 256),
  'v1-8x6': () => v1(8, 6, 64),
  v5: () => v5(8, 4, 64, 4, false),
  'v5-u2': () => v5(8, 4, 64, 2, false),
  'v5-u8': () => v5(8, 4, 64, 8, false),
  'v5-a4': () => v5(8, 4, 64, 4, true),
  'v5-8x8': () => v5(8, 8, 64, 4, false),
  'v5-4x8': () => v5(4, 8, 64, 4, false),
  'v5-16x2': () => v5(16, 2, 64, 4, false),
  v6: () => v6(8, 4, 64, 8),
  'v6-u4': () => v6(8, 4, 64, 4),
  'v6-u16': () => v6(8, 4, 64, 16),
  'v6-4x4': () => v6(4, 4, 64, 8),
  'v6-4x4u16': () => v6(4, 4, 64, 16),
  'v6-6x4': () => v6(6, 4, 64, 8),
  'v6-8x2': () => v6(8, 2, 64, 8),
  'v6-4x2u16': () => v6(4, 2, 64, 16),
  v7: () => v7(8, 4, 64, 8),
  'v7-8x8': () => v7(8, 8, 64, 8),
  'v7-8x2': () => v7(8, 2, 64, 8),
  'v7-16x4': () => v7(16, 4, 64, 8),
  'v7-16x8': () => v7(16, 8, 64, 8),
  'v7-24x4': () => v7(24, 4, 64, 8),
  'v7-32x2': () => v7(32, 2, 64, 8),
  'v7-16x16': () => v7(16, 16, 64, 8),
  'v7-24x8': () => v7(24, 8, 64, 8),
  'v7-32x8': () => v7(32, 8, 64, 8),
  'v7-32x4': () => v7(32, 4, 64, 8),
  'v7-16x8/32': () => v7(16, 8, 32, 8),
  'v7-16x8/128': () => v7(16, 8, 128, 8),
  'v7-16x12': () => v7(16, 12, 64, 8),
  v2: () => vRows(4, 1, 64, false),
  'v2-8': () => vRows(8, 1, 64, false),
  v3: () => vRows(4, 1, 64, true),
  'v3-8': () => vRows(8, 1, 64, true),
  'v3-4x2': () => vRows(4, 2, 64, true),
  'v3-8/128': () => vRows(8, 1, 128, true),
  'v3-8/256': () => vRows(8, 1, 256, true),
  'v3-16': () => vRows(16, 1, 64, true),
  v4: () => v4(16, 4),
  'v4-8x8': () => v4(8, 8),
};

const names = (process.argv[2] ?? 'v7-16x8,v8').split(',');
const S = Number(process.argv[3] ?? 1024);
const runs = Number(process.argv[4] ?? 4); // interleaved rounds
const device = await labDevice();
const [M, K, N] = [S, S, S];
const A = randTensor(device, [M, K], 1);
const B = randTensor(device, [K, N], 2);
const [Ac, Bc] = [await A.toArray(), await B.toArray()];
const rng = new Rng(3);
const flops = 2 * M * N * K;
const chosen = names.map((name) => {
  if (name === 'v8')
    return { name, what: 'src matmul: the conv2d forward kernel as a 1x1 convolution (matmulAsConv)', run: () => matmul(A, B) };
  const make = VERSIONS[name];
  if (!make) throw new Error(`matmul-lab: unknown version ${name}; known: ${Object.keys(VERSIONS).join(', ')}, v8`);
  const v = make();
  const run = (): Tensor => {
    const out = device.empty([M, N]);
    device.dispatch(v.kernel, { params: [M, N, K], buffers: [A.buffer, B.buffer, out.buffer], workgroups: v.grid(M, N) });
    return out;
  };
  return { name, what: v.what, run };
});
for (const c of chosen) {
  // validate 256 sampled entries against f64 (this first run also compiles the pipeline)
  const y = await c.run().toArray();
  const m = Array.from({ length: 256 }, () => rng.int(M));
  const n = m.map(() => rng.int(N));
  const want = m.map((mi, t) => {
    let s = 0;
    for (let k = 0; k < K; k++) s += Ac[mi * K + k]! * Bc[k * N + n[t]!]!;
    return s;
  });
  validate(
    `matmul-lab ${c.name}`,
    m.map((mi, t) => y[mi * N + n[t]!]!),
    want,
    K,
  );
}
const times = await timeVariants(
  device,
  chosen.map((c) => [c.name, c.run] as const),
  runs,
);
for (const c of chosen) {
  const t = times.get(c.name)!;
  console.log(
    `${c.name.padEnd(11)} ${gflops(flops, t.wallMs).toFixed(2).padStart(6)} GFLOP/s wall ${gflops(flops, t.cpuMs).toFixed(2).padStart(6)} per 2 CPU-s  ${c.what}`,
  );
}
console.log(loadNote());
device.destroy();
