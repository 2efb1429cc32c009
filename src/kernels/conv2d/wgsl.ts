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
import { cached, declareAcc, fmaBlock, rowBases, rowLoads, subgroupDecls, tilingKey, unroll } from '../matmul/wgsl.js';
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

/** y [N, K, P, Q] = conv(x [N, C, H, W], weight [K, C, R, S]) (+ bias [K]). */
export function conv2dForwardKernel(t: Tiling, bias: boolean): Kernel {
  return cached(key('conv2d', t, bias ? ':bias' : ''), () => /* wgsl */ `${subgroupDecls(t).enable}
${PARAMS}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
${bias ? '@group(0) @binding(3) var<storage, read> bias: array<f32>;' : ''}
@group(0) @binding(${bias ? 4 : 3}) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${t.wg})
fn main(${entry(t)}) {
  let PQ = p.P * p.Q;
  let HW = p.H * p.W;
  let CRS = p.C * p.R * p.S;
  let row0 = wid.y * ${t.bm}u;
  ${rowBases(t, 'p.K', 'CRS')}
  ${columns(t, 'p.N * PQ')}
  ${unroll(t.bn, (j) => `let n${j} = col${j} / PQ; let pq${j} = col${j} - n${j} * PQ; let oh${j} = pq${j} / p.Q;
  let h0${j} = i32(oh${j} * p.sh) - i32(p.ph); let w0${j} = i32((pq${j} - oh${j} * p.Q) * p.sw) - i32(p.pw);
  let xb${j} = n${j} * p.C * HW;`)}
  ${declareAcc(t)}
  let RS = p.R * p.S;
  // (r, s) outside, channels inside: the padding checks run once per kernel tap, not per channel
  for (var r = 0u; r < p.R; r++) {
    ${unroll(t.bn, (j) => `let h${j} = h0${j} + i32(r); let hok${j} = h${j} >= 0 && h${j} < i32(p.H); let xr${j} = xb${j} + u32(h${j}) * p.W;`)}
    for (var s = 0u; s < p.S; s++) {
      let ws = r * p.S + s;
      ${unroll(t.bn, (j) => `let w${j} = w0${j} + i32(s); let ok${j} = hok${j} && w${j} >= 0 && w${j} < i32(p.W);
      let xi${j} = select(0u, xr${j} + u32(w${j}), ok${j});`)}
      for (var c = 0u; c < p.C; c++) {
        let wc = c * RS + ws;
        let xc = c * HW;
        ${rowLoads(t, (rb) => `wt[${rb} + wc]`)}
        ${unroll(t.bn, (j) => `let v${j} = select(0.0, x[xi${j} + xc], ok${j});`)}
        ${fmaBlock(t)}
      }
    }
  }
  ${store(t, 'p.K', 'p.N * PQ', (i, j) => `(n${j} * p.K + row0 + ${i}u) * PQ + pq${j}`, (i) => (bias ? ` + bias[row0 + ${i}u]` : ''))}
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
      for (var k = 0u; k < p.K; k++) {
        let wk = k * CRS + ws;
        ${rowLoads(t, (rb) => `wt[wk + ${rb}]`)}
        ${unroll(t.bn, (j) => `let v${j} = select(0.0, gy[g${j} + k * PQ], ok${j});`)}
        ${fmaBlock(t)}
      }
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
    for (var q = 0u; q < p.Q; q++) {
      ${rowLoads(t, (rb) => `gy[${rb} + gr + q]`)}
      ${unroll(t.bn, (j) => `let w${j} = i32(q * p.sw + s${j}) - i32(p.pw); let ok${j} = hok${j} && w${j} >= 0 && w${j} < i32(p.W);
      let v${j} = select(0.0, x[select(0u, xr${j} + u32(w${j}), ok${j})], ok${j});`)}
      ${fmaBlock(t)}
    }
  }
  ${store(t, 'p.K', 'CRS', (i, j) => `(wid.z * p.K + row0 + ${i}u) * CRS + colBase + ${j * t.wg}u`)}
}`);
}
