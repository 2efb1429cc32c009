/**
 * WGSL of conv2d as three implicit GEMMs (no im2col buffer), each invocation accumulating a
 * bm x bn register block (see ../matmul/tiling.ts). Rows of the block are uniform across a
 * workgroup (channels, from workgroup_id.y), columns are spread over the invocations:
 *
 * | kernel          | rows | columns        | reduction    |
 * | --------------- | ---- | -------------- | ------------ |
 * | forward         | K    | N·P·Q pixels   | C·R·S        |
 * | backward input  | C    | N·H·W pixels   | K·R·S        |
 * | backward weight | K    | C·R·S          | N·P·Q (split over workgroup_id.z) |
 *
 * All take the same Params block (CONV_PARAMS order in index.ts).
 */
import type { Kernel } from '../../gpu/device.js';
import { cached, declareAcc, rowBases, rowLoads, subgroupDecls, tilingKey, unroll } from '../matmul/wgsl.js';
import type { Tiling } from '../matmul/tiling.js';

const PARAMS = /* wgsl */ `
struct Params {
  N: u32, C: u32, H: u32, W: u32,
  K: u32, P: u32, Q: u32, R: u32,
  S: u32, sh: u32, sw: u32, ph: u32,
  pw: u32, splitLen: u32,
}
@group(0) @binding(0) var<uniform> p: Params;`;

/** The entry point's arguments (plus the subgroup lane with subgroup broadcasts). */
const entry = (t: Tiling): string => `@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u${subgroupDecls(t).arg}`;

function key(name: string, t: Tiling, extra = ''): string {
  return `${name}:${tilingKey(t)}${extra}`;
}

/** Column j of the block: index col0 + j·wg, clamped to the last column (n - 1). */
function columns(t: Tiling, n: string): string {
  return `let colBase = wid.x * ${t.wg * t.bn}u + lid.x;
  ${unroll(t.bn, (j) => `let col${j} = min(colBase + ${j * t.wg}u, ${n} - 1u);`)}`;
}

/** Stores acc_i_j to out[index(i, j)] where row i and column j are in range. */
function store(t: Tiling, rows: string, cols: string, index: (i: number, j: number) => string, add: (i: number) => string = () => ''): string {
  return unroll(t.bm, (i) =>
    unroll(
      t.bn,
      (j) => `if (row0 + ${i}u < ${rows} && colBase + ${j * t.wg}u < ${cols}) { out[${index(i, j)}] = acc_${i}_${j}${add(i)}; }`,
    ),
  );
}

/** Reduction steps per (masked) accumulator update in the backward kernels' inner loops. */
const CHAIN = 2; // bench/lab/conv-shapes.ts: 2 beat 1 and 4 on the fer-resnet18(16) backwards

/** rowLoads for step u of a chained loop: the row operands are named u{u}_i. */
function stepRows(t: Tiling, u: number, load: (base: string) => string): string {
  return rowLoads(t, load).replace(/\b(u|ul)(\d+)\b/g, `$1${u}_$2`);
}

/**
 * `for (i = 0; i < bound; i++) acc += u·v` with the steps taken CHAIN at a time: each pass loads
 * the operands of CHAIN steps (step(u, index) declares u{u}_i and v{u}_j) and updates every
 * accumulator once, with the CHAIN products chained in one expression; a second loop takes the
 * remainder one step at a time. llvmpipe turns every write of a loop variable into a masked blend
 * (and spills the big register block), so fewer writes per FMA is what counts.
 */
function chainedLoop(t: Tiling, i: string, bound: string, step: (u: number, index: string) => string): string {
  const update = (n: number): string =>
    unroll(t.bm, (a) =>
      unroll(t.bn, (b) => {
        let e = `acc_${a}_${b}`;
        for (let u = 0; u < n; u++) e = `fma(u${u}_${a}, v${u}_${b}, ${e})`;
        return `acc_${a}_${b} = ${e};`;
      }),
    );
  const steps = Array.from({ length: CHAIN }, (_, u) => step(u, u === 0 ? i : `(${i} + ${u}u)`)).join('\n    ');
  return `var ${i} = 0u;
    for (; ${i} + ${CHAIN - 1}u < ${bound}; ${i} += ${CHAIN}u) {
      ${steps}
      ${update(CHAIN)}
    }
    for (; ${i} < ${bound}; ${i}++) {
      ${step(0, i)}
      ${update(1)}
    }`;
}

/** What the forward kernel does to each output before storing it (the folded-inference tails). */
export interface ConvEpilogue {
  /** Add bias[k] (binding after the weight). */
  bias: boolean;
  /** Add residual[n, k, p, q] (same shape as the output; binding after the bias). */
  residual: boolean;
  /** Clamp at zero, last. */
  relu: boolean;
}

/**
 * y [N, K, P, Q] = conv(x [N, C, H, W], weight [K, C, R, S]), then the epilogue. Each invocation
 * computes bm output channels (uniform across the workgroup, rows shared by subgroup broadcasts)
 * x t.bn consecutive pixels of one output row. The kernel's R, S and strides are compile-time
 * constants so that, for each input channel and kernel row, the (bn - 1)·stride + S input values
 * the block's bn pixels x S taps need are loaded once into registers (a sliding window) and
 * reused across the taps: for 3x3 stride 1 and bn = 8, 10 loads instead of 24. Loads dominate on
 * lavapipe; that halves the loads per FMA of a plain implicit GEMM. All padding checks are
 * hoisted out of the channel loop.
 */
export function conv2dForwardKernel(t: Tiling, g: { R: number; S: number; sh: number; sw: number }, epi: ConvEpilogue): Kernel {
  const { R, S, sh, sw } = g;
  const BN = t.bn;
  const win = (BN - 1) * sw + S; // input columns one kernel row of the block touches
  const epiKey = `${epi.bias ? ':bias' : ''}${epi.residual ? ':res' : ''}${epi.relu ? ':relu' : ''}`;
  let binding = 3;
  const biasB = epi.bias ? binding++ : -1;
  const resB = epi.residual ? binding++ : -1;
  const outB = binding;
  const tail = (i: number, j: number): string => {
    let v = `acc_${i}_${j}`;
    if (epi.bias) v = `${v} + bias[row0 + ${i}u]`;
    if (epi.residual) v = `${v} + res[o${i} + ${j}u]`;
    return epi.relu ? `relu(${v})` : v;
  };
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  return cached(key('conv2d', t, `:${R}x${S}/${sh}x${sw}${epiKey}`), () => /* wgsl */ `${subgroupDecls(t).enable}
${PARAMS}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
${epi.bias ? `@group(0) @binding(${biasB}) var<storage, read> bias: array<f32>;` : ''}
${epi.residual ? `@group(0) @binding(${resB}) var<storage, read> res: array<f32>;` : ''}
@group(0) @binding(${outB}) var<storage, read_write> out: array<f32>;
${epi.relu ? 'fn relu(v: f32) -> f32 { return select(0.0, v, v > 0.0); }' : ''}

@compute @workgroup_size(${t.wg})
fn main(${entry(t)}) {
  let HW = p.H * p.W;
  let CRS = p.C * ${R * S}u;
  let row0 = wid.y * ${t.bm}u;
  ${rowBases(t, 'p.K', 'CRS')}
  // column = (n, oh, block of ${BN} pixels along the output row); out-of-range columns compute a
  // clamped duplicate that is never stored
  let QB = (p.Q + ${BN - 1}u) / ${BN}u;
  let cols = p.N * p.P * QB;
  let colRaw = wid.x * ${t.wg}u + lid.x;
  let col = min(colRaw, cols - 1u);
  let n = col / (p.P * QB);
  let rem = col - n * p.P * QB;
  let oh = rem / QB;
  let q0 = (rem - oh * QB) * ${BN}u;
  let h0 = i32(oh * ${sh}u) - i32(p.ph);
  let w0 = i32(q0 * ${sw}u) - i32(p.pw);
  let xb = n * p.C * HW;
  ${unroll(win, (i) => `let wok${i} = w0 + ${i} >= 0 && w0 + ${i} < i32(p.W);`)}
  ${unroll(R, (r) => `let hok${r} = h0 + ${r} >= 0 && h0 + ${r} < i32(p.H);
  ${unroll(win, (i) => `let ok${r}_${i} = hok${r} && wok${i}; let xi${r}_${i} = select(0u, xb + u32(h0 + ${r}) * p.W + u32(w0 + ${i}), ok${r}_${i});`)}`)}
  ${declareAcc(t)}
  for (var c = 0u; c < p.C; c++) {
    let xc = c * HW;
    let wc = c * ${R * S}u;
    ${unroll(R, (r) => unroll(win, (i) => `let x${r}_${i} = select(0.0, x[xi${r}_${i} + xc], ok${r}_${i});`))}
    ${unroll(R * S, (rs) => rowLoads(t, (rb) => `wt[${rb} + wc + ${rs}u]`).replace(/\b(u|ul)(\d+)\b/g, `$1${rs}_$2`))}
    // one (masked) accumulator update per channel: the R·S taps chained in one expression
    ${unroll(t.bm, (i) =>
      unroll(BN, (j) => {
        let e = `acc_${i}_${j}`;
        for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) e = `fma(u${r * S + s}_${i}, x${r}_${j * sw + s}, ${e})`;
        return `acc_${i}_${j} = ${e};`;
      }),
    )}
  }
  if (colRaw >= cols) { return; }
  ${unroll(t.bm, (i) => `let o${i} = ((n * p.K + row0 + ${i}u) * p.P + oh) * p.Q + q0;`)}
  ${unroll(t.bm, (i) =>
    unroll(BN, (j) => `if (row0 + ${i}u < p.K && q0 + ${j}u < p.Q) { out[o${i} + ${j}u] = ${tail(i, j)}; }`),
  )}
}`);
}

/** gx [N, C, H, W] from gy [N, K, P, Q] and weight [K, C, R, S]: a transposed convolution. */
export function conv2dBackwardInputKernel(t: Tiling): Kernel {
  return cached(key('conv2dBackwardInput', t), () => /* wgsl */ `${subgroupDecls(t).enable}
${PARAMS}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${t.wg})
fn main(${entry(t)}) {
  let PQ = p.P * p.Q;
  let HW = p.H * p.W;
  let RS = p.R * p.S;
  let CRS = p.C * RS;
  let row0 = wid.y * ${t.bm}u;
  ${rowBases(t, 'p.C', 'RS')}
  ${columns(t, 'p.N * HW')}
  ${unroll(t.bn, (j) => `let n${j} = col${j} / HW; let hw${j} = col${j} - n${j} * HW; let h${j} = hw${j} / p.W; let w${j} = hw${j} - h${j} * p.W;
  let gb${j} = n${j} * p.K * PQ;`)}
  ${declareAcc(t)}
  for (var r = 0u; r < p.R; r++) {
    // output row oh contributes to input row h through kernel row r when oh·sh = h + ph - r
    ${unroll(t.bn, (j) => `let th${j} = i32(h${j} + p.ph) - i32(r); let oh${j} = u32(th${j}) / p.sh;
    let hok${j} = th${j} >= 0 && oh${j} * p.sh == u32(th${j}) && oh${j} < p.P;`)}
    for (var s = 0u; s < p.S; s++) {
      let ws = r * p.S + s;
      ${unroll(t.bn, (j) => `let tw${j} = i32(w${j} + p.pw) - i32(s); let ow${j} = u32(tw${j}) / p.sw;
      let ok${j} = hok${j} && tw${j} >= 0 && ow${j} * p.sw == u32(tw${j}) && ow${j} < p.Q;
      let g${j} = select(0u, gb${j} + oh${j} * p.Q + ow${j}, ok${j});`)}
      ${chainedLoop(t, 'k', 'p.K', (u, k) => `let wk${u} = ${k} * CRS + ws;
        ${stepRows(t, u, (rb) => `wt[wk${u} + ${rb}]`)}
        ${unroll(t.bn, (j) => `let v${u}_${j} = select(0.0, gy[g${j} + ${k} * PQ], ok${j});`)}`)}
    }
  }
  ${store(t, 'p.C', 'p.N * HW', (i, j) => `(n${j} * p.C + row0 + ${i}u) * HW + hw${j}`)}
}`);
}

/**
 * gw [K, C, R, S] from gy [N, K, P, Q] and x [N, C, H, W]. Workgroup z sums the output rows
 * t = n·P + oh in [z·splitLen, (z+1)·splitLen) and writes out[z][K][C·R·S]; with more than one
 * split, SPLIT_SUM adds the parts.
 */
export function conv2dBackwardWeightKernel(t: Tiling): Kernel {
  return cached(key('conv2dBackwardWeight', t), () => /* wgsl */ `${subgroupDecls(t).enable}
${PARAMS}
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${t.wg})
fn main(${entry(t)}) {
  let PQ = p.P * p.Q;
  let HW = p.H * p.W;
  let RS = p.R * p.S;
  let CRS = p.C * RS;
  let row0 = wid.y * ${t.bm}u;
  ${rowBases(t, 'p.K', 'PQ')}
  ${columns(t, 'CRS')}
  ${unroll(t.bn, (j) => `let c${j} = col${j} / RS; let rs${j} = col${j} - c${j} * RS; let r${j} = rs${j} / p.S; let s${j} = rs${j} - r${j} * p.S;`)}
  ${declareAcc(t)}
  let t0 = wid.z * p.splitLen;
  let t1 = min(t0 + p.splitLen, p.N * p.P);
  for (var tr = t0; tr < t1; tr++) {
    let n = tr / p.P;
    let oh = tr - n * p.P;
    let gr = n * p.K * PQ + oh * p.Q;
    ${unroll(t.bn, (j) => `let h${j} = i32(oh * p.sh + r${j}) - i32(p.ph); let hok${j} = h${j} >= 0 && h${j} < i32(p.H);
    let xr${j} = (n * p.C + c${j}) * HW + u32(h${j}) * p.W;`)}
    ${chainedLoop(t, 'q', 'p.Q', (u, q) => `${stepRows(t, u, (rb) => `gy[${rb} + gr + ${q}]`)}
      ${unroll(t.bn, (j) => `let w${u}_${j} = i32(${q} * p.sw + s${j}) - i32(p.pw); let ok${u}_${j} = hok${j} && w${u}_${j} >= 0 && w${u}_${j} < i32(p.W);
      let v${u}_${j} = select(0.0, x[select(0u, xr${j} + u32(w${u}_${j}), ok${u}_${j})], ok${u}_${j});`)}`)}
  }
  ${store(t, 'p.K', 'CRS', (i, j) => `(wid.z * p.K + row0 + ${i}u) * CRS + colBase + ${j * t.wg}u`)}
}`);
}
