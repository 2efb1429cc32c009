/**
 * WGSL of conv2d as three implicit GEMMs (no im2col buffer), each invocation accumulating a
 * bm x bn register block (see ../gemm/tiling.ts). Rows of the block are uniform across a
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
import { cached, declareAcc, rowBases, rowLoads, subgroupDecls, tilingKey, unroll } from '../gemm/wgsl.js';
import type { Tiling } from '../gemm/tiling.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

const PARAMS = /* wgsl */ `
struct Params {
  N: u32, C: u32, H: u32, W: u32,
  K: u32, P: u32, Q: u32, R: u32,
  S: u32, sh: u32, sw: u32, ph: u32,
  pw: u32, splitLen: u32, Kq: u32,
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

/**
 * Storage types of the forward's input, (packed) weight and output (+ residual): f16 halves the
 * bytes of f16 inference (Module.half()); loads convert to f32 and sums stay f32.
 */
export interface ConvTypes {
  x: 'f32' | 'f16';
  w: 'f32' | 'f16';
  out: 'f32' | 'f16';
}
const F32: ConvTypes = { x: 'f32', w: 'f32', out: 'f32' };

/** What the forward kernel does to each output before storing it (the folded-inference tails). */
export interface ConvEpilogue {
  /** Add bias[k] (binding after the weight). */
  bias: boolean;
  /** Add residual[n, k, p, q] (same shape as the output; binding after the bias). */
  residual: boolean;
  /** Clamp at zero, last. */
  relu: boolean;
}

/** The compile-time geometry of a forward kernel. */
export interface ConvForwardGeometry {
  R: number;
  S: number;
  sh: number;
  sw: number;
  /** Left padding (only the vec4 input path needs it at compile time). */
  pw?: number;
  /**
   * Read the input rows as vec4 (t.vec = 4 only): needs W % 4 == 0 and (t.bn·sw) % 4 == 0, so
   * that every block's window starts at the same offset within an aligned vec4.
   */
  vecInput?: boolean;
  /**
   * Loop over the kernel rows (outside the channel loop) instead of unrolling all R·S taps:
   * a third of the code for 3x3, so big blocks compile in seconds rather than minutes.
   */
  rowLoop?: boolean;
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
 *
 * With t.vec = 4 the weight comes packed (packConv2dWeightKernel: [C·R·S][Kq·4], Kq = ⌈K/4⌉, 4
 * output channels per vec4) and each lane loads one vec4 per tap for 4 rows (t.bm % 4 == 0); with
 * g.vecInput the input window is read as aligned vec4s too. On lavapipe a vec4 load costs about
 * twice a scalar one (one bounds-checked per-lane loop for 4 values), so that halves the loads
 * again, and wide blocks (a whole output row) then pay off: bench/lab/conv2d.ts, v9–v10.
 */
export function conv2dForwardKernel(t: Tiling, g: ConvForwardGeometry, epi: ConvEpilogue, types: ConvTypes = F32): Kernel {
  const { R, S, sh, sw } = g;
  const BN = t.bn;
  const half = types.x === 'f16' || types.w === 'f16' || types.out === 'f16';
  const vec = (t.vec === 4 || half) && t.bm % 4 === 0;
  if (half && !vec) throw new Error('conv2dForwardKernel: f16 needs the packed (vec4) path, with bm % 4 == 0');
  // storage element types, and the conversions of loaded values to f32 (accumulation is f32)
  const sx = types.x === 'f16' ? 'f16' : 'f32';
  const sw4 = types.w === 'f16' ? 'vec4<f16>' : 'vec4f';
  const so = types.out === 'f16' ? 'f16' : 'f32';
  const toF32 = (type: 'f32' | 'f16', e: string): string => (type === 'f16' ? `f32(${e})` : e);
  const toVec4f = (type: 'f32' | 'f16', e: string): string => (type === 'f16' ? `vec4f(${e})` : e);
  const vecInput = vec && !!g.vecInput;
  const win = (BN - 1) * sw + S; // input columns one kernel row of the block touches
  const o = vecInput ? (4 - ((g.pw ?? 0) % 4)) % 4 : 0; // offset of the window in its first vec4
  const nv = Math.ceil((o + win) / 4); // vec4s per window row
  const epiKey = `${epi.bias ? ':bias' : ''}${epi.residual ? ':res' : ''}${epi.relu ? ':relu' : ''}`;
  const vecKey = vec ? `:v4${vecInput ? `x${o}` : ''}` : '';
  let binding = 3;
  const biasB = epi.bias ? binding++ : -1;
  const resB = epi.residual ? binding++ : -1;
  const outB = binding;
  const tail = (i: number, j: number): string => {
    let v = `acc_${i}_${j}`;
    if (epi.bias) v = `${v} + bias[row0 + ${i}u]`;
    if (epi.residual) v = `${v} + ${toF32(types.out, `res[o${i} + ${j}u]`)}`;
    v = epi.relu ? `relu(${v})` : v;
    return types.out === 'f16' ? `f16(${v})` : v;
  };
  // kernel rows unrolled in the channel loop (all R, or one per pass of an outer kr loop)
  const rowLoop = !!g.rowLoop && R > 1;
  const RU = rowLoop ? 1 : R;
  const rowOf = (r: number): string => (rowLoop ? 'i32(kr)' : `${r}`); // the kernel row, as i32
  const tapOf = (r: number, s: number): string => (rowLoop ? `(kr * ${S}u + ${s}u)` : `${r * S + s}u`);
  const tagOf = (r: number, s: number): number => r * S + s; // r < RU
  // the row operands u{tag}_{i} of tap (r, s) (output channel row0 + i)
  const rowsPerGroup = 4 * Math.max(t.sg, 1);
  const groups = Math.ceil(t.bm / rowsPerGroup);
  let weightSetup: string;
  let weightLoads: (tag: number, tap: string) => string;
  if (!vec) {
    weightSetup = rowBases(t, 'p.K', 'CRS');
    weightLoads = (tag, tap) => rowLoads(t, (rb) => `wt[${rb} + wc + ${tap}]`).replace(/\b(u|ul)(\d+)\b/g, `$1${tag}_$2`);
  } else if (t.sg > 0) {
    // lane l of group q loads the vec4 of rows row0 + q·4sg + 4l .. + 3; the others broadcast it
    weightSetup = unroll(groups, (q) => `let kq${q} = min(row0 / 4u + ${q * t.sg}u + sid, p.Kq - 1u);`);
    weightLoads = (tag, tap) =>
      [
        unroll(groups, (q) => `let wl${tag}_${q} = ${toVec4f(types.w, `wt[wcv + ${tap} * p.Kq + kq${q}]`)};`),
        unroll(Math.ceil(t.bm / 4), (b) => `let wb${tag}_${b} = subgroupBroadcast(wl${tag}_${Math.floor(b / t.sg)}, ${b % t.sg}u);`),
        unroll(t.bm, (i) => `let u${tag}_${i} = wb${tag}_${Math.floor(i / 4)}[${i % 4}];`),
      ].join('\n    ');
  } else {
    weightSetup = unroll(Math.ceil(t.bm / 4), (b) => `let kq${b} = min(row0 / 4u + ${b}u, p.Kq - 1u);`);
    weightLoads = (tag, tap) =>
      [
        unroll(Math.ceil(t.bm / 4), (b) => `let wb${tag}_${b} = ${toVec4f(types.w, `wt[wcv + ${tap} * p.Kq + kq${b}]`)};`),
        unroll(t.bm, (i) => `let u${tag}_${i} = wb${tag}_${Math.floor(i / 4)}[${i % 4}];`),
      ].join('\n    ');
  }
  // the input window x{r}_{i} (kernel row r, column w0 + i): column masks (once), then row masks
  // and indices (once, or per pass of the kr loop)
  const columnSetup = vecInput
    ? unroll(nv, (k) => `let cok${k} = w0 + ${4 * k - o} >= 0 && w0 + ${4 * k - o} < i32(p.W);`)
    : unroll(win, (i) => `let wok${i} = w0 + ${i} >= 0 && w0 + ${i} < i32(p.W);`);
  const rowSetup = vecInput
    ? unroll(RU, (r) => `let hok${r} = h0 + ${rowOf(r)} >= 0 && h0 + ${rowOf(r)} < i32(p.H);
  let xr${r} = i32(xb) + (h0 + ${rowOf(r)}) * i32(p.W) + w0 - ${o};
  ${unroll(nv, (k) => `let vok${r}_${k} = hok${r} && cok${k}; let xvi${r}_${k} = select(0u, u32(xr${r} + ${4 * k}) / 4u, vok${r}_${k});`)}`)
    : unroll(RU, (r) => `let hok${r} = h0 + ${rowOf(r)} >= 0 && h0 + ${rowOf(r)} < i32(p.H);
  ${unroll(win, (i) => `let ok${r}_${i} = hok${r} && wok${i}; let xi${r}_${i} = select(0u, xb + u32(h0 + ${rowOf(r)}) * p.W + u32(w0 + ${i}), ok${r}_${i});`)}`);
  // aligned vec4s lie wholly inside or wholly outside a row (W % 4 == 0): one mask per vec4
  const inputLoads = vecInput
    ? unroll(RU, (r) =>
        `${unroll(nv, (k) => `let xv${r}_${k} = select(vec4f(), ${toVec4f(types.x, `x[xvi${r}_${k} + xc4]`)}, vok${r}_${k});`)}
    ${unroll(win, (i) => `let x${r}_${i} = xv${r}_${Math.floor((o + i) / 4)}[${(o + i) % 4}];`)}`)
    : unroll(RU, (r) => unroll(win, (i) => `let x${r}_${i} = select(0.0, ${toF32(types.x, `x[xi${r}_${i} + xc]`)}, ok${r}_${i});`));
  const channelLoop = `for (var c = 0u; c < p.C; c++) {
    ${vecInput ? 'let xc4 = c * (HW / 4u);' : 'let xc = c * HW;'}
    ${vec ? `let wcv = c * ${R * S}u * p.Kq;` : `let wc = c * ${R * S}u;`}
    ${inputLoads}
    ${unroll(RU, (r) => unroll(S, (s) => weightLoads(tagOf(r, s), tapOf(r, s))))}
    // one (masked) accumulator update per channel (and kernel row): the taps chained in one expression
    ${unroll(t.bm, (i) =>
      unroll(BN, (j) => {
        let e = `acc_${i}_${j}`;
        for (let r = 0; r < RU; r++) for (let s = 0; s < S; s++) e = `fma(u${tagOf(r, s)}_${i}, x${r}_${j * sw + s}, ${e})`;
        return `acc_${i}_${j} = ${e};`;
      }),
    )}
  }`;
  const mainLoop = rowLoop
    ? `for (var kr = 0u; kr < ${R}u; kr++) {
  ${rowSetup}
  ${channelLoop}
  }`
    : `${rowSetup}
  ${channelLoop}`;
  const typeKey = half ? `:${types.x}.${types.w}.${types.out}` : '';
  return cached(key('conv2d', t, `:${R}x${S}/${sh}x${sw}${vecKey}${rowLoop ? ':kr' : ''}${epiKey}${typeKey}`), () => /* wgsl */ `${half ? 'enable f16;' : ''}
${subgroupDecls(t).enable}
${PARAMS}
@group(0) @binding(1) var<storage, read> x: array<${vecInput ? (sx === 'f16' ? 'vec4<f16>' : 'vec4f') : sx}>;
@group(0) @binding(2) var<storage, read> wt: array<${vec ? sw4 : 'f32'}>;
${epi.bias ? `@group(0) @binding(${biasB}) var<storage, read> bias: array<f32>;` : ''}
${epi.residual ? `@group(0) @binding(${resB}) var<storage, read> res: array<${so}>;` : ''}
@group(0) @binding(${outB}) var<storage, read_write> out: array<${so}>;
${epi.relu ? 'fn relu(v: f32) -> f32 { return select(0.0, v, v > 0.0); }' : ''}

@compute @workgroup_size(${t.wg})
fn main(${entry(t)}) {
  let HW = p.H * p.W;
  let CRS = p.C * ${R * S}u;
  let row0 = wid.y * ${t.bm}u;
  ${weightSetup}
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
  ${columnSetup}
  ${declareAcc(t)}
  ${mainLoop}
  if (colRaw >= cols) { return; }
  ${unroll(t.bm, (i) => `let o${i} = ((n * p.K + row0 + ${i}u) * p.P + oh) * p.Q + q0;`)}
  ${unroll(t.bm, (i) =>
    unroll(BN, (j) => `if (row0 + ${i}u < p.K && q0 + ${j}u < p.Q) { out[o${i} + ${j}u] = ${tail(i, j)}; }`),
  )}
}`);
}

/**
 * The packed weight of the vec4 forward: out [C·R·S][Kq·4] (Kq = ⌈K/4⌉) from weight
 * [K, C, R, S], zero in the padding columns k >= K. Params { K, CRS, K4 = Kq·4 }; dispatch
 * grid1d(CRS·K4, 256).
 */
export const PACK_WEIGHT: Kernel = packWeightKernel('f32');

/** PACK_WEIGHT with an f32 or f16 output. */
export function packWeightKernel(out: 'f32' | 'f16'): Kernel {
  return cached(`conv2dPackWeight:${out}`, () => /* wgsl */ `${out === 'f16' ? 'enable f16;' : ''}
struct Params { K: u32, CRS: u32, K4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<${out}>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.CRS * p.K4) { return; }
  let crs = i / p.K4;
  let k = i - crs * p.K4;
  out[i] = ${out}(select(0.0, w[min(k, p.K - 1u) * p.CRS + crs], k < p.K));
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
