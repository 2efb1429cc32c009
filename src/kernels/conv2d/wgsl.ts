/**
 * WGSL of conv2d as three implicit GEMMs (no im2col buffer), each invocation accumulating a
 * bm x bn register block (see ../gemm/tiling.ts). Rows of the block are uniform across a
 * workgroup (channels, from workgroup_id.y), columns are spread over the invocations:
 *
 * | kernel          | rows | columns        | reduction    |
 * | --------------- | ---- | -------------- | ------------ |
 * | forward         | K    | N·P·Q pixels   | C·R·S        |
 * | backward input  | C    | N·H·W pixels   | K·R·S (run as forwards over gy, one per stride phase) |
 * | backward weight | K    | C·R·S (C·R lanes x S taps) | N·P·Q (split over workgroup_id.z) |
 *
 * All take the same Params block (CONV_PARAMS order in index.ts).
 * Over 400 lines on purpose: the three kernels share their row/column/store generators, and one
 * file keeps the WGSL that one Params block feeds in one place.
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
  pw: u32, splitLen: u32, Kq: u32, oH: u32,
  oW: u32, oa: u32, ob: u32,
}
@group(0) @binding(0) var<uniform> p: Params;`;

/** The entry point's arguments (plus the subgroup lane with subgroup broadcasts). */
const entry = (t: Tiling): string => `@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u${subgroupDecls(t).arg}`;

function key(name: string, t: Tiling, extra = ''): string {
  return `${name}:${tilingKey(t)}${extra}`;
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
  /**
   * Store output (oh, q) at row oh·sh + p.oa and column q·sw + p.ob of [N, K, p.oH, p.oW]
   * planes instead of densely: one phase of a strided transposed convolution
   * (conv2dBackwardInput). Absent: dense [N, K, P, Q]. With zeroFill (p.oa = p.ob = 0), also
   * store 0 at the other sh·sw − 1 pixels of each output's cell (rows oh·sh .. + sh − 1, columns
   * q·sw .. + sw − 1, inside the planes): the transposed 1x1 stride-s convolution, whose other
   * phases no tap reaches, in one pass (bench/lab/conv-backward.ts backward-input v3).
   * With interleaved, the rows are (channel, phase) pairs, phase innermost (sh·sw of them, with
   * t.bm a multiple of sh·sw): row k stores channel k / (sh·sw) at pixel (oh·sh + a, q·sw + b) of
   * [N, K / (sh·sw), p.oH, p.oW], phase k mod (sh·sw) = a·sw + b: every stride phase of a
   * transposed convolution in one pass (backward-input v4, phaseWeightsInterleavedKernel). The
   * axes' tap ranges let each row skip the FMAs of taps its phase lacks (zero weights).
   */
  store?: { sh: number; sw: number; zeroFill?: boolean; interleaved?: { rows: PhaseAxis; cols: PhaseAxis } };
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
  // interleaved stride phases: whether row i's phase has tap (r, s) (the row only with R unrolled)
  const ip = g.store?.interleaved;
  const usesTap = (i: number, r: number, s: number): boolean => {
    if (!ip) return true;
    const ph = i % (ip.rows.T.length * ip.cols.T.length);
    const [a, b] = [Math.floor(ph / ip.cols.T.length), ph % ip.cols.T.length];
    const inRange = (ax: PhaseAxis, k: number, v: number): boolean => v >= ax.off[k]! && v < ax.off[k]! + ax.T[k]!;
    return inRange(ip.cols, b, s) && (rowLoop || inRange(ip.rows, a, r));
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
    ? unroll(
        RU,
        (r) => `let hok${r} = h0 + ${rowOf(r)} >= 0 && h0 + ${rowOf(r)} < i32(p.H);
  let xr${r} = i32(xb) + (h0 + ${rowOf(r)}) * i32(p.W) + w0 - ${o};
  ${unroll(nv, (k) => `let vok${r}_${k} = hok${r} && cok${k}; let xvi${r}_${k} = select(0u, u32(xr${r} + ${4 * k}) / 4u, vok${r}_${k});`)}`,
      )
    : unroll(
        RU,
        (r) => `let hok${r} = h0 + ${rowOf(r)} >= 0 && h0 + ${rowOf(r)} < i32(p.H);
  ${unroll(win, (i) => `let ok${r}_${i} = hok${r} && wok${i}; let xi${r}_${i} = select(0u, xb + u32(h0 + ${rowOf(r)}) * p.W + u32(w0 + ${i}), ok${r}_${i});`)}`,
      );
  // aligned vec4s lie wholly inside or wholly outside a row (W % 4 == 0): one mask per vec4
  const inputLoads = vecInput
    ? unroll(
        RU,
        (r) =>
          `${unroll(nv, (k) => `let xv${r}_${k} = select(vec4f(), ${toVec4f(types.x, `x[xvi${r}_${k} + xc4]`)}, vok${r}_${k});`)}
    ${unroll(win, (i) => `let x${r}_${i} = xv${r}_${Math.floor((o + i) / 4)}[${(o + i) % 4}];`)}`,
      )
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
        for (let r = 0; r < RU; r++)
          for (let s = 0; s < S; s++) if (usesTap(i, r, s)) e = `fma(u${tagOf(r, s)}_${i}, x${r}_${j * sw + s}, ${e})`;
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
  const st = g.store;
  const PH = st ? st.sh * st.sw : 1;
  if (st?.interleaved && t.bm % PH !== 0) throw new Error('conv2dForwardKernel: interleaved phases need bm % (sh·sw) == 0');
  // interleaved phases: row i is phase i mod PH (row0 is a multiple of PH) at (a, b) of its cell
  const cell = (i: number): [number, number] => (st?.interleaved ? [Math.floor((i % PH) / st.sw), i % st.sw] : [0, 0]);
  const outIndex = (i: number): string =>
    st?.interleaved
      ? `((n * (p.K / ${PH}u) + row0 / ${PH}u + ${Math.floor(i / PH)}u) * p.oH + oh * ${st.sh}u + ${cell(i)[0]}u) * p.oW + q0 * ${st.sw}u + ${cell(i)[1]}u`
      : st
        ? `((n * p.K + row0 + ${i}u) * p.oH + oh * ${st.sh}u + p.oa) * p.oW + q0 * ${st.sw}u + p.ob`
        : `((n * p.K + row0 + ${i}u) * p.P + oh) * p.Q + q0`;
  // where an interleaved phase's pixel lies outside the plane (planes not a multiple of the stride)
  const inPlane = (i: number, j: number): string => {
    if (!st?.interleaved) return '';
    const [a, b] = cell(i);
    return `${a ? ` && oh * ${st.sh}u + ${a}u < p.oH` : ''}${b ? ` && (q0 + ${j}u) * ${st.sw}u + ${b}u < p.oW` : ''}`;
  };
  const storeKey = st ? `:o${st.sh}x${st.sw}${st.zeroFill ? 'z' : ''}${st.interleaved ? `i${JSON.stringify(st.interleaved)}` : ''}` : '';
  // the zeros of a zero-filled strided store: pixel (da, db) of the cell of output column q0 + j
  const zeros = (i: number, j: number): string =>
    !st?.zeroFill
      ? ''
      : unroll(st.sh * st.sw - 1, (z) => {
          const [da, db] = [Math.floor((z + 1) / st.sw), (z + 1) % st.sw];
          const ok = [da ? `oh * ${st.sh}u + ${da}u < p.oH` : '', db ? `(q0 + ${j}u) * ${st.sw}u + ${db}u < p.oW` : ''].filter(Boolean);
          return `if (${ok.join(' && ')}) { out[o${i} + ${da ? 'p.oW * ' + da + 'u + ' : ''}${j * st.sw + db}u] = 0.0; }`;
        });
  return cached(
    key('conv2d', t, `:${R}x${S}/${sh}x${sw}${vecKey}${rowLoop ? ':kr' : ''}${epiKey}${typeKey}${storeKey}`),
    () => /* wgsl */ `${half ? 'enable f16;' : ''}
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
  ${unroll(t.bm, (i) => `let o${i} = ${outIndex(i)};`)}
  ${unroll(t.bm, (i) =>
    unroll(
      BN,
      (j) =>
        `if (row0 + ${i}u < p.K && q0 + ${j}u < p.Q${inPlane(i, j)}) { out[o${i} + ${j * (g.store?.sw ?? 1)}u] = ${tail(i, j)}; ${zeros(i, j)} }`,
    ),
  )}
}`,
  );
}

/**
 * The packed weight of the vec4 forward: out [C·R·S][Kq·4] (Kq = ⌈K/4⌉) from weight
 * [K, C, R, S], zero in the padding columns k >= K. Params { K, CRS, K4 = Kq·4 }; dispatch
 * grid1d(CRS·K4, 256).
 */
export const PACK_WEIGHT: Kernel = packWeightKernel('f32');

/** PACK_WEIGHT with an f32 or f16 output. */
export function packWeightKernel(out: 'f32' | 'f16'): Kernel {
  return cached(
    `conv2dPackWeight:${out}`,
    () => /* wgsl */ `${out === 'f16' ? 'enable f16;' : ''}
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
}`,
  );
}

/**
 * The weight of one phase (a, b) of conv2dBackwardInput as a stride-1 forward convolution over
 * gy (see conv2dBackwardInput in index.ts): for kernel taps r = r0 + sh·(Ta − 1 − t),
 * s = s0 + sw·(Tb − 1 − u), out = weight[k, c, r, s] laid out as the forward reads a weight with
 * C output and K input channels: plain [C, K, Ta, Tb], or packed [K·Ta·Tb][C4] (C4 = ⌈C/4⌉·4,
 * zero for c >= C; see PACK_WEIGHT). Params { K, C, R, S, Ta, Tb, r0, s0, sh, sw, C4 };
 * dispatch grid1d(size of out, 256).
 */
export function phaseWeightKernel(packed: boolean): Kernel {
  return cached(
    `conv2dPhaseWeight:${packed ? 'packed' : 'plain'}`,
    () => /* wgsl */ `
struct Params { K: u32, C: u32, R: u32, S: u32, Ta: u32, Tb: u32, r0: u32, s0: u32, sh: u32, sw: u32, C4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  let T = p.Ta * p.Tb;
  ${
    packed
      ? `if (i >= p.K * T * p.C4) { return; }
  let ktu = i / p.C4;
  let c = i - ktu * p.C4;
  let k = ktu / T;`
      : `if (i >= p.C * p.K * T) { return; }
  let ck = i / T;
  let c = ck / p.K;
  let k = ck - c * p.K;
  let ktu = k * T + i - ck * T;`
  }
  let tu = ktu - k * T;
  let t = tu / p.Tb;
  let u = tu - t * p.Tb;
  let r = p.r0 + p.sh * (p.Ta - 1u - t);
  let s = p.s0 + p.sw * (p.Tb - 1u - u);
  out[i] = select(0.0, w[((k * p.C + min(c, p.C - 1u)) * p.R + r) * p.S + s], c < p.C);
}`,
  );
}

/** One axis of the interleaved stride phases (conv2dBackwardInput): per phase a, its first kernel row r0, taps T and tap offset in the common window. */
export interface PhaseAxis {
  r0: number[];
  T: number[];
  off: number[];
  /** Taps of the common window. */
  TS: number;
}

/**
 * The packed weight of every stride phase of conv2dBackwardInput at once, for the forward over
 * gy with interleaved rows (ConvForwardGeometry.store.interleaved): out [K·TSa·TSb][C·sh·sw]
 * (a multiple of 4 columns), column c·sh·sw + a·sw + b = channel c in phase (a, b), holding
 * weight[k, c, r, s] at window tap (t, u) with r = r0[a] + sh·(Ta − 1 − (t − offA)), s likewise,
 * and 0 where the phase has no tap there. Params { K, C, R, S, C4 }; dispatch grid1d(size, 256).
 */
export function phaseWeightsInterleavedKernel(h: PhaseAxis, w: PhaseAxis): Kernel {
  const arr = (v: number[]): string => `array<i32, ${v.length}>(${v.join(', ')})`;
  const sh = h.T.length;
  const sw = w.T.length;
  return cached(
    `conv2dPhaseWeightsInterleaved:${JSON.stringify([h, w])}`,
    () => /* wgsl */ `
struct Params { K: u32, C: u32, R: u32, S: u32, C4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.K * ${h.TS * w.TS}u * p.C4) { return; }
  let ktu = i / p.C4;
  let col = i - ktu * p.C4;
  let k = ktu / ${h.TS * w.TS}u;
  let tu = ktu - k * ${h.TS * w.TS}u;
  let c = col / ${sh * sw}u;
  let ph = col - c * ${sh * sw}u;
  let a = ph / ${sw}u;
  let b = ph - a * ${sw}u;
  let r0 = ${arr(h.r0)}; let Ta = ${arr(h.T)}; let offA = ${arr(h.off)};
  let s0 = ${arr(w.r0)}; let Tb = ${arr(w.T)}; let offB = ${arr(w.off)};
  let t = i32(tu / ${w.TS}u) - offA[a];
  let u = i32(tu % ${w.TS}u) - offB[b];
  let ok = c < p.C && t >= 0 && t < Ta[a] && u >= 0 && u < Tb[b];
  let r = r0[a] + ${sh} * (Ta[a] - 1 - t);
  let s = s0[b] + ${sw} * (Tb[b] - 1 - u);
  out[i] = select(0.0, w[select(0u, ((k * p.C + c) * p.R + u32(r)) * p.S + u32(s), ok)], ok);
}`,
  );
}

/** The compile-time geometry of a backward-weight kernel. */
export interface ConvWeightGradGeometry {
  S: number;
  sh: number;
  sw: number;
  /** Left padding (the vec4 input path needs it at compile time). */
  pw: number;
  /** Read the input window as aligned vec4s: W % 4 == 0, (t.bn·sw) % 4 == 0 and pw >= 0. */
  vecX: boolean;
  /** Read gy rows as vec4s: Q % 4 == 0 and t.bn % 4 == 0. */
  vecG: boolean;
  /** The lanes own all R kernel rows (t.kr == R): carry the input rows the next output row shares. */
  slide?: boolean;
  /** Input rows between kernel rows (1 or absent; a 1x1 layer's channel groups: H, see index.ts). */
  dh?: number;
}

/**
 * gw [K, C, R, S] from gy [N, K, P, Q] and x [N, C, H, W]: gw[k, c, r, s] = Σ over n, oh, q of
 * gy[n, k, oh, q]·x[n, c, oh·sh − ph + r, q·sw − pw + s]. Each invocation owns one (c, r) pair
 * (lane l of C·R, workgroup x), t.bm output channels k (workgroup y; with subgroups each lane
 * loads one of every t.sg rows of gy and the others take it by subgroupBroadcast) and all S
 * taps: bm x S accumulators. It sums over t.bn consecutive output columns q0 .. (workgroup z mod
 * QB, fixed per invocation, so the column masks are computed once) of every output row of images
 * [n0, n0 + splitLen) (workgroup z / QB), with the input row's (bn − 1)·sw + S values in registers
 * (a sliding window, as the forward) reused by the bm·S·bn FMAs. Workgroup z writes its partial
 * sums to out[z][K][C·R·S]; with more than one z, SPLIT_SUM adds them. With g.slide (all kernel
 * rows per lane) the input rows that the next output row shares are carried to it.
 * Lab: bench/lab/conv-backward.ts (v2; v7 for g.slide).
 */
export function conv2dBackwardWeightKernel(t: Tiling, g: ConvWeightGradGeometry): Kernel {
  const { S, sh, sw } = g;
  const BQ = t.bn;
  const RL = t.kr ?? 1; // kernel rows per lane
  const win = (BQ - 1) * sw + S;
  const o = g.vecX ? (4 - (g.pw % 4)) % 4 : 0; // offset of the window in its first vec4
  const nv = Math.ceil((o + win) / 4);
  const sg = t.sg;
  const loaders = sg ? Math.ceil(t.bm / sg) : t.bm; // gy rows each lane loads per step
  const rowOf = (q: number): string => (sg ? `row0 + ${q * sg}u + sid` : `row0 + ${q}u`);
  // gy: each lane loads its rows (vec4s of 4 columns, or scalars), then, column by column, the
  // bm values of column j are taken (broadcast) and used at once: short live ranges
  const gyLoads = g.vecG
    ? unroll(loaders, (q) => unroll(BQ / 4, (v) => `let gl${q}_${v} = select(vec4f(), gyin[(gr + gk${q}) / 4u + ${v}u], gok${v});`))
    : unroll(loaders, (q) => unroll(BQ, (j) => `let gl${q}_${j} = select(0.0, gyin[gr + gk${q} + ${j}u], gok${j});`));
  const gyValue = (i: number, j: number): string => {
    const q = sg ? Math.floor(i / sg) : i;
    const loaded = g.vecG ? `gl${q}_${Math.floor(j / 4)}[${j % 4}]` : `gl${q}_${j}`;
    return sg ? `subgroupBroadcast(${loaded}, ${i % sg}u)` : loaded;
  };
  // the input window x{u}_{i} of kernel row r{u} (u < RL), masked where the row is outside:
  // input row h = oh·sh − ph + r; `ok` the row's mask
  const loadRow = (u: number, h: string, ok: string): string =>
    g.vecX
      ? `let h${u} = ${h}; let hok${u} = h${u} >= 0 && h${u} < i32(p.H) && ${ok};
      let xr${u} = i32(xb) + h${u} * i32(p.W) + w0 - ${o};
      ${unroll(nv, (k) => `let vok${u}_${k} = hok${u} && cok${k}; let xv${u}_${k} = select(vec4f(), xin[select(0u, u32(xr${u} + ${4 * k}) / 4u, vok${u}_${k})], vok${u}_${k});`)}
      ${unroll(win, (i) => `let x${u}_${i} = xv${u}_${Math.floor((o + i) / 4)}[${(o + i) % 4}];`)}`
      : `let h${u} = ${h}; let hok${u} = h${u} >= 0 && h${u} < i32(p.H) && ${ok};
      let xr${u} = i32(xb) + h${u} * i32(p.W) + w0;
      ${unroll(win, (i) => `let ok${u}_${i} = hok${u} && wok${i}; let x${u}_${i} = select(0.0, xin[select(0u, u32(xr${u} + ${i}), ok${u}_${i})], ok${u}_${i});`)}`;
  // g.slide (the lane owns every kernel row): output row oh + 1 needs input rows
  // (oh + 1)·sh − ph + u, which for u < R − sh are rows u + sh of output row oh: those are carried
  // in xs{u}_{i} and each step loads sh rows instead of R (stride 1: one)
  const dh = g.dh ?? 1;
  const carried = g.slide === true && RL > 1 && dh === 1 ? Math.max(0, RL - sh) : 0;
  const rowOffset = (u: number): string => (dh === 1 ? `r${u}` : `r${u} * ${dh}u`);
  const xLoads = `${unroll(carried, (u) => unroll(win, (i) => `let x${u}_${i} = xs${u}_${i};`))}
      ${unroll(RL - carried, (v) => loadRow(v + carried, `i32(oh * ${sh}u + ${rowOffset(v + carried)}) - i32(p.ph)`, `rok${v + carried}`))}`;
  const slideStart = unroll(carried, (u) => loadRow(u, `${u} - i32(p.ph)`, 'true').replace(/\blet x(\d+)_(\d+) =/g, 'var xs$1_$2 ='));
  const slideShift = unroll(carried, (u) => unroll(win, (i) => `xs${u}_${i} = x${u + sh}_${i};`));
  // row by row: the row's bn gy values (broadcast), then each accumulator once, its bn
  // products chained: accumulators live in memory on lavapipe, so one load/store per bn FMAs
  const fmas = unroll(
    t.bm,
    (i) =>
      `${unroll(BQ, (j) => `let g${i}_${j} = ${gyValue(i, j)};`)}
      ${unroll(RL, (u) =>
        unroll(S, (s) => {
          let e = `acc_${u}_${i}_${s}`;
          for (let j = 0; j < BQ; j++) e = `fma(g${i}_${j}, x${u}_${j * sw + s}, ${e})`;
          return `acc_${u}_${i}_${s} = ${e};`;
        }),
      )}`,
  );
  const vecKey = `${g.vecX ? `:vx${o}` : ''}${g.vecG ? ':vg' : ''}${RL > 1 ? `:kr${RL}` : ''}${carried ? `:slide${carried}` : ''}${dh > 1 ? `:dh${dh}` : ''}`;
  return cached(
    key('conv2dBackwardWeight', t, `:${S}/${sh}x${sw}${vecKey}`),
    () => /* wgsl */ `${subgroupDecls(t).enable}
${PARAMS}
${g.vecG ? '@group(0) @binding(1) var<storage, read> gyin: array<vec4f>;' : '@group(0) @binding(1) var<storage, read> gyin: array<f32>;'}
${g.vecX ? '@group(0) @binding(2) var<storage, read> xin: array<vec4f>;' : '@group(0) @binding(2) var<storage, read> xin: array<f32>;'}
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${t.wg})
fn main(${entry(t)}) {
  let PQ = p.P * p.Q;
  let HW = p.H * p.W;
  // lanes: (c, block of ${RL} kernel rows)
  let RB = (p.R + ${RL - 1}u) / ${RL}u;
  let lanes = p.C * RB;
  let laneRaw = wid.x * ${t.wg}u + lid.x;
  let lane = min(laneRaw, lanes - 1u);
  let c = lane / RB;
  let rb = lane - c * RB;
  ${unroll(RL, (u) => `let r${u} = rb * ${RL}u + ${u}u; let rok${u} = r${u} < p.R;`)}
  let row0 = wid.y * ${t.bm}u;
  ${unroll(loaders, (q) => `let gk${q} = min(${rowOf(q)}, p.K - 1u) * PQ;`)}
  let QB = (p.Q + ${BQ - 1}u) / ${BQ}u;
  let q0 = (wid.z % QB) * ${BQ}u;
  let n0 = (wid.z / QB) * p.splitLen;
  let n1 = min(n0 + p.splitLen, p.N);
  let w0 = i32(q0 * ${sw}u) - i32(p.pw);
  // masks of the gy columns and of the input window's columns, fixed for this invocation
  ${g.vecG ? unroll(BQ / 4, (v) => `let gok${v} = q0 + ${4 * v}u < p.Q;`) : unroll(BQ, (j) => `let gok${j} = q0 + ${j}u < p.Q;`)}
  ${g.vecX ? unroll(nv, (k) => `let cok${k} = w0 + ${4 * k - o} >= 0 && w0 + ${4 * k - o} < i32(p.W);`) : unroll(win, (i) => `let wok${i} = w0 + ${i} >= 0 && w0 + ${i} < i32(p.W);`)}
  ${unroll(RL, (u) => unroll(t.bm, (i) => unroll(S, (s) => `var acc_${u}_${i}_${s} = 0.0;`)))}
  for (var n = n0; n < n1; n++) {
    let xb = (n * p.C + c) * HW;
    let gb = n * p.K * PQ + q0;
    ${slideStart}
    for (var oh = 0u; oh < p.P; oh++) {
      let gr = gb + oh * p.Q;
      ${xLoads}
      ${gyLoads}
      ${fmas}
      ${slideShift}
    }
  }
  if (laneRaw >= lanes) { return; }
  let RS = p.R * ${S}u;
  let CRS = p.C * RS;
  ${unroll(
    t.bm,
    (i) => `if (row0 + ${i}u < p.K) {
    let ob${i} = (wid.z * p.K + row0 + ${i}u) * CRS + c * RS;
    ${unroll(RL, (u) => `if (rok${u}) { ${unroll(S, (s) => `out[ob${i} + r${u} * ${S}u + ${s}u] = acc_${u}_${i}_${s};`)} }`)}
  }`,
  )}
}`,
  );
}
