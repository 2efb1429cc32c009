/**
 * The conv2d backward lab: backward-input and backward-weight of every distinct fer-resnet18(w)
 * convolution at the training batch, each version first checked against the CPU reference
 * (src/kernels/conv2d/reference.ts, f64) on 2 images, then timed interleaved with the forward of
 * the same shape; prints GFLOP/s and the ratio to the forward (the goal of issue 17: >= 0.9).
 *   npx tsx bench/lab/conv-backward.ts [width=16] [batch=64] [rounds=3] [versions=v1,src] [filter]
 * (env PASSES=input|weight times one backward; TILINGS adds tiling variants of src, see below;
 * BASE=<worktree> adds that worktree's src as the version `base`).
 * Rates are per 2 CPU-s (process CPU time / 2, see common.ts): the machine is shared.
 *
 * Backward-input versions (lavapipe, 2 shared cores, fer-resnet18(16), batch 64; ms per layer
 * per 2 CPU-s, one run, load average in brackets):
 * - v1 (shipped before): an implicit GEMM over (C rows) x (N·H·W pixels) x (K·R·S), rows shared
 *   by subgroup broadcasts, every tap tested against the stride (3/4 of the taps of a stride-2
 *   layer are masked out but still loaded). Its source is below, as it left src/.
 * - v2 (src): the forward's kernel (packed vec4 weights, sliding input window, kernel-row loop)
 *   run over gy with the flipped, transposed weight; a stride-s layer as s² stride-1 forwards
 *   (one per phase of the input pixels), each storing every s-th pixel; gx filled with zeros
 *   first where a phase has no taps (a 1x1 stride-2 layer: 3 of its 4 phases).
 * - v3 (src): v2, but where only phase (0, 0) has taps (1x1 stride s) it stores the zeros of the
 *   other pixels of each s x s cell itself (ConvForwardGeometry.store.zeroFill): no fill pass.
 *   Interleaved, load 11, ms per 2 CPU-s v2 -> v3 (ratio to the forward): layer2 1x1 s2 7.3 -> 3.3
 *   (0.34 -> 0.76), layer3 1x1 s2 3.3 -> 3.3 (0.52), layer4 1x1 s2 2.1 -> 1.6 (0.60 -> 0.82).
 *   PASSES=input npx tsx bench/lab/conv-backward.ts 16 64 7 v2,src 1x1
 * - v4 (src, conv2dBackwardInput's fusedPhases): every stride phase in one forward over gy, its
 *   rows (input channel, phase) pairs over the phases' common tap window (2x2 for 3x3 stride 2),
 *   stored interleaved; each row skips the FMAs of the taps its phase lacks (without that skip:
 *   16/9 of the FMAs, layer2 3x3 s2 21.5 ms vs v3's 17.5). One dispatch (+ one weight repack)
 *   instead of 4 + 4. Only with packed weights (lavapipe's tiling; other adapters keep v3).
 *   3x3 s2 layers 2/3/4, ms per 2 CPU-s v3 -> v4, four interleaved runs at load 8.5-9.5 (totals):
 *   16.0/13.4/11.8 -> 11.9/13.0/13.0 (41.2 -> 37.9); 16.0/12.7/12.6 -> 14.0/12.0/11.6 (41.3 ->
 *   37.6); 11.6/15.4/10.4 -> 15.8/11.9/10.8 (37.4 -> 38.5); 20.7/12.9/9.9 -> 15.6/12.3/10.0
 *   (43.5 -> 37.9): ~8% on average, noisy per layer; wall time lower in 8 of 12 (fewer
 *   dispatches). Tilings tried for v4 (one run each): 32x4 best on layer3 (10.1 twice) but worse
 *   on layer4; 16x6, 16x12, 64x4, 32x6/16 worse.
 *   PASSES=input npx tsx bench/lab/conv-backward.ts 16 64 9 v3,src "3x3 s2"
 * - Tried, not taken: 2 input channels per pass of the forward's channel loop for few-tap
 *   kernels (1x1 and the 1- and 2-tap phases; each accumulator then takes twice the chained
 *   FMAs): 271 -> 293 ms over all layers' backward-input (load 9.8), no layer clearly faster.
 *
 * Backward-weight versions:
 * - v1 (shipped before, src until v2): an implicit GEMM over (K rows) x (C·R·S columns) x
 *   (N·P·Q), rows shared by subgroup broadcasts, the reduction split over workgroups.
 * - v2 (src kernel, conv2dBackwardWeightKernel): lanes over (c, block of kernel rows), a sliding
 *   input window per lane, split over column blocks and images; lanes own all 3 kernel rows of
 *   a stride-1 3x3 only on 4-aligned rows (tiling `32x6/16/sg8/v4/kr1` on the 6x6 last stage).
 * - v3 (src tiling, gemm/tiling.ts): the same kernel; on unaligned rows of a stride-1 3x3 (the
 *   6x6 last stage) lanes own all 3 kernel rows too, 16 channels x the row, 8 lanes a workgroup
 *   (`16x6/8/sg8/v4/kr3`). layer4 3x3, v2 -> v3, ms per 2 CPU-s, each a separate run of 3-7
 *   rounds: width 64: 470.8 -> 385.6 (load 7), 514.6 -> 394.8 (load 2): 1.2-1.3x; width 16:
 *   25.1 -> 18.2, 28.3 -> 24.1, 27.9 -> 21.8 at load 6-7 but 27.2 -> 27.8 and 32.4 -> 29.9 at
 *   load 2 (no clear gain on an idle machine). Stride-2 layers keep v2's tiling (v3's was no
 *   better there: 11.7-16.1 vs 11.6-18.3). Layer 3 (12x12 rows) tried and not taken, load 2:
 *   v2 17.6, 16x12/16 kr3 24.9, 16x12/8 kr3 26.5, 32x4/16 kr3 16.3.
 *   PASSES=weight TILINGS="conv2dBackwardWeight=32x6/16/sg8/v4/kr1" npx tsx bench/lab/conv-backward.ts 16 64 7 src "layer4 3x3"
 * - v4 (tried, not taken; its code is the commit "conv2dBackwardWeight experiments v4 ... and v5",
 *   reverted by the next one): the forward kernel
 *   run over the batch: x's channels as images, its images as input channels, gy packed
 *   [N·P·Q, K4] as a P x Q kernel dilated by the stride, R x S output pixels, the batch split over
 *   workgroups z. Validated on every layer. With one 3-pixel row per invocation it ran at half
 *   the forward's rate even as a plain forward of that shape (weight loads and broadcasts per FMA
 *   double when bn drops from 6 to 3: a [64,128,6,6] forward with bn 3 took 39.4 ms vs 16.1 with
 *   bn 6); with the whole 3x3 plane per invocation (blockRows 3) layer4 3x3 went 29.0 -> 24.3 ms
 *   per 2 CPU-s, no better than v3's 24.4 (the 1728-FMA loop body is past lavapipe's sweet spot;
 *   bm 16: 24.2). Layers 1-3 and the stride-2 layers: 1.5-6x slower than v3 (load 9-10).
 * - v5 (tried, not taken; same commit): one matmul, gyᵀ [K, N·P·Q] · im2col(x) [N·P·Q, C·R·S]
 *   by matmulAsConv: layer4 3x3 50.1 ms vs v3 26.2 (the im2col buffer, 2.7 M values, costs
 *   more than it saves), every other layer 2-18x slower (load 10).
 * - v6 (src tiling, gemm/tiling.ts): v3 but kernel rows per lane kr = 1 where the channels do not
 *   fill a subgroup (C < 8: the stem, where kr 3 left one lane of 8 busy, kr 1 three). Stem, ms
 *   per 2 CPU-s, load 9.5, three runs: width 16 v3 7.4 -> 3.1 (16x8/8 kr1), 7.5 -> 3.6 (16x4/8
 *   kr1, v6's tiling), 4.6 (16x8), 3.2 (16x12); width 8 3.7 -> 1.8 (8x4/8 kr1), 1.7 (8x8).
 *   PASSES=weight TILINGS="conv2dBackwardWeight=16x4/8/sg8/v4/kr1" npx tsx bench/lab/conv-backward.ts 16 64 7 src stem
 * - v7 (src, conv2dBackwardWeight's slideRows): where the lanes own every kernel row (kr = R) at
 *   stride 1, output row oh + 1 reuses R − 1 of oh's input rows: they are carried in registers
 *   and each step loads one input row instead of 3. Interleaved, load 3.6-3.8, ms per 2 CPU-s
 *   v6 -> v7 (ratio to the forward): layer1 3x3 17.1 -> 13.7 (1.14 -> 1.43), layer2 3x3 20.0 ->
 *   15.3 (0.92 -> 1.21), layer3 3x3 18.9 -> 16.4 (0.84 -> 0.97), layer4 3x3 27.6 -> 21.5 (0.58
 *   -> 0.75); all layers 309 -> 256.
 *   PASSES=weight npx tsx bench/lab/conv-backward.ts 16 64 7 v6,src 3x3
 *   At stride 2 the next output row shares R − sh rows (3x3: one of 3, two loaded per step), and
 *   lanes now own every kernel row there too (tiling.ts: kr = R where R > stride; 16x4/16 kr3,
 *   16x6/8 kr3 on 6-pixel rows). 3x3 s2 layers 2/3/4, load 4.5, ms per 2 CPU-s: v6's kr1
 *   tilings (32x4/16 on layers 2-3, 32x6/16 on layer4) 12.0/11.6/14.5 -> v7 8.7/10.3/13.2 (ratio
 *   0.66/0.67/0.52 -> 0.91/0.76/0.58); kr 3 without carrying (v6) 12.6/12.2/15.0. Before, one run
 *   at load 4.4 of kr 3 tilings with carrying: 16x4/8 ~ 16x4/16 (9.6-9.8 on layers 2-3), bm 8 and
 *   bn 6 worse there; layer4 s2: 16x6/8 12.7, bn 4 16.3-17.8.
 *   PASSES=weight TILINGS="conv2dBackwardWeight=32x4/16/sg8/v4/kr1;conv2dBackwardWeight=32x6/16/sg8/v4/kr1" npx tsx bench/lab/conv-backward.ts 16 64 7 v6,src "3x3 s2"
 *   The 6x6 last stage (stride 1, unaligned rows) with carrying: 3 columns per invocation instead
 *   of the row (16x3/8 kr3, two column blocks: half the loop body). layer4 3x3, ms per 2 CPU-s,
 *   16x6/8 -> 16x3/8: load 4.8 21.7 -> 16.0, load 4.8 25.5 -> 19.2 (16x2/8 19.6, 8x3/8 23.6,
 *   16x3/16 28.3, 32x3/8 30.3), load 5.5 20.3 -> 17.9 (ratio 0.82 -> 0.93; v6 22.4); width 64,
 *   load 5.8: 384.0 -> 330.8 (0.77 -> 0.89). On layers 1-3 (aligned rows) bn 3 or 2 was slower
 *   than bn 4; on layer4 3x3 s2 bn 3 too (14.2 vs 13.3).
 *   PASSES=weight TILINGS="conv2dBackwardWeight=16x6/8/sg8/v4/kr3" npx tsx bench/lab/conv-backward.ts 16 64 7 v6,src "layer4 3x3"
 * - v8 (src, conv2dBackwardWeight's groupChannels): a 1x1 layer as a layer of 4 kernel rows over
 *   groups of 4 channels (x read as [N, C/4, 4·H, W], kernel rows H input rows apart; gw's layout
 *   unchanged), so lanes own 4 channels (tiling.ts: kr 4 where C/4 fills a subgroup) and each gy
 *   value broadcast feeds 4 FMAs instead of 1. That is the 1- and 2-tap layers' problem here:
 *   one broadcast per FMA (v7 on 1x1: bm·bn broadcasts for bm·bn FMAs; 3x3 with kr 3: 9 FMAs
 *   each). 1x1 s2 layers 2/3/4, ms per 2 CPU-s, cg1 (v7) -> cg2/cg4/cg8: load 4.7 2.2/2.4/2.6 ->
 *   2.1/1.9/2.9, 2.0/1.4/2.0, 1.9/1.9/2.2; load 4.6 (9 rounds) 2.3/2.0/2.7 -> cg4 2.1/1.5/2.3
 *   (ratio to forward 1.06/0.76/0.49 -> 1.13/1.04/0.56), cg8 2.0/2.0/2.2 (cg2: kr 2 is not taken
 *   at stride 2, so it is v7). Width 64 (0.30-0.53 of forward either way, the next thing to look
 *   at; tilings 32x4/16 kr4, 16x8/16 kr4 no better): 80.4/74.1/81.9 -> cg4 76.4/63.8/78.8, cg8
 *   104.2/101.8/90.7.
 *   PASSES=weight npx tsx bench/lab/conv-backward.ts 16 64 9 cg1,src,cg8 1x1
 * - v6 (the branch point of v7/v8, BASE) -> v8 (src), one interleaved run, load 5.0-5.3, ms per 2 CPU-s
 *   (ratio to the forward): stem 3.0 -> 2.9 (1.26 -> 1.29), layer1 3x3 15.3 -> 13.6 (1.18 ->
 *   1.33), layer2 3x3 s2 11.7 -> 8.3 (0.76 -> 1.07), layer2 3x3 17.4 -> 13.9 (0.90 -> 1.12),
 *   layer2 1x1 s2 2.7 -> 2.3 (0.86 -> 0.99), layer3 3x3 s2 12.1 -> 8.0 (0.63 -> 0.95), layer3 3x3
 *   16.8 -> 13.9 (0.94 -> 1.14), layer3 1x1 s2 3.0 -> 1.6 (0.53 -> 0.98), layer4 3x3 s2 13.7 ->
 *   12.0 (0.55 -> 0.62), layer4 3x3 23.9 -> 16.4 (0.64 -> 0.93), layer4 1x1 s2 2.4 -> 1.9 (0.50
 *   -> 0.62); all layers of the net 284 -> 224 (forward 245). A whole train step (step-ab.ts,
 *   load 5.4): 1.06x best, 1.14x median of 6.
 *   Width 64 (2 rounds, load 4.9-6.2): 5293 -> 4571 over the net; 3x3 stride 1 layers 0.77-0.83 ->
 *   0.87-1.00, layer4 3x3 0.67 -> 0.88; 3x3 s2 layers 0.55-0.64 -> 0.55-0.67 (little gain); 1x1 s2
 *   0.31-0.35 -> 0.29-0.43 (noisy, still the weakest with the s2 layers at this width).
 *   BASE=/tmp/base PASSES=weight npx tsx bench/lab/conv-backward.ts 16 64 7 src
 *   BASE=/tmp/base PASSES=weight npx tsx bench/lab/conv-backward.ts 64 64 2 src
 */
import type { Device } from '../../src/gpu/device.js';
import {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  setConvBackwardInputPaths,
  setConvBackwardWeightPaths,
} from '../../src/kernels/conv2d/index.js';
import * as ref from '../../src/kernels/conv2d/reference.js';
import { conv2dGeometry } from '../../src/kernels/conv2d/shape.js';
import { splitSum } from '../../src/kernels/gemm/index.js';
import { chooseTiling, isSoftware, setTiling, type GemmOp, type Tiling } from '../../src/kernels/gemm/tiling.js';
import { cached, declareAcc, rowBases, rowLoads, subgroupDecls, tilingKey, unroll } from '../../src/kernels/gemm/wgsl.js';
import type { Kernel } from '../../src/gpu/device.js';
import type { Tensor } from '../../src/tensor.js';
import { ferShapes, gflops, labDevice, loadNote, parseTiling, randTensor, timeVariants, toCpu, validate } from './common.js';

// ------------------------------------------------------------------ v1 of both backwards

const PARAMS_V1 = /* wgsl */ `
struct Params {
  N: u32, C: u32, H: u32, W: u32,
  K: u32, P: u32, Q: u32, R: u32,
  S: u32, sh: u32, sw: u32, ph: u32,
  pw: u32, splitLen: u32, Kq: u32,
}
@group(0) @binding(0) var<uniform> p: Params;`;
const entry = (t: Tiling): string => `@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u${subgroupDecls(t).arg}`;
function columns(t: Tiling, n: string): string {
  return `let colBase = wid.x * ${t.wg * t.bn}u + lid.x;
  ${unroll(t.bn, (j) => `let col${j} = min(colBase + ${j * t.wg}u, ${n} - 1u);`)}`;
}
function store(t: Tiling, rows: string, cols: string, index: (i: number, j: number) => string): string {
  return unroll(t.bm, (i) =>
    unroll(t.bn, (j) => `if (row0 + ${i}u < ${rows} && colBase + ${j * t.wg}u < ${cols}) { out[${index(i, j)}] = acc_${i}_${j}; }`),
  );
}
const CHAIN = 2;
function stepRows(t: Tiling, u: number, load: (base: string) => string): string {
  return rowLoads(t, load).replace(/\b(u|ul)(\d+)\b/g, `$1${u}_$2`);
}
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

function bwdInputV1Kernel(t: Tiling): Kernel {
  return cached(
    `lab.bwdInputV1:${tilingKey(t)}`,
    () => /* wgsl */ `${subgroupDecls(t).enable}
${PARAMS_V1}
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
  ${unroll(
    t.bn,
    (j) => `let n${j} = col${j} / HW; let hw${j} = col${j} - n${j} * HW; let h${j} = hw${j} / p.W; let w${j} = hw${j} - h${j} * p.W;
  let gb${j} = n${j} * p.K * PQ;`,
  )}
  ${declareAcc(t)}
  for (var r = 0u; r < p.R; r++) {
    ${unroll(
      t.bn,
      (j) => `let th${j} = i32(h${j} + p.ph) - i32(r); let oh${j} = u32(th${j}) / p.sh;
    let hok${j} = th${j} >= 0 && oh${j} * p.sh == u32(th${j}) && oh${j} < p.P;`,
    )}
    for (var s = 0u; s < p.S; s++) {
      let ws = r * p.S + s;
      ${unroll(
        t.bn,
        (j) => `let tw${j} = i32(w${j} + p.pw) - i32(s); let ow${j} = u32(tw${j}) / p.sw;
      let ok${j} = hok${j} && tw${j} >= 0 && ow${j} * p.sw == u32(tw${j}) && ow${j} < p.Q;
      let g${j} = select(0u, gb${j} + oh${j} * p.Q + ow${j}, ok${j});`,
      )}
      ${chainedLoop(
        t,
        'k',
        'p.K',
        (u, k) => `let wk${u} = ${k} * CRS + ws;
        ${stepRows(t, u, (rb) => `wt[wk${u} + ${rb}]`)}
        ${unroll(t.bn, (j) => `let v${u}_${j} = select(0.0, gy[g${j} + ${k} * PQ], ok${j});`)}`,
      )}
    }
  }
  ${store(t, 'p.C', 'p.N * HW', (i, j) => `(n${j} * p.C + row0 + ${i}u) * HW + hw${j}`)}
}`,
  );
}

function bwdWeightV1Kernel(t: Tiling): Kernel {
  return cached(
    `lab.bwdWeightV1:${tilingKey(t)}`,
    () => /* wgsl */ `${subgroupDecls(t).enable}
${PARAMS_V1}
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
    ${unroll(
      t.bn,
      (j) => `let h${j} = i32(oh * p.sh + r${j}) - i32(p.ph); let hok${j} = h${j} >= 0 && h${j} < i32(p.H);
    let xr${j} = (n * p.C + c${j}) * HW + u32(h${j}) * p.W;`,
    )}
    ${chainedLoop(
      t,
      'q',
      'p.Q',
      (u, q) => `${stepRows(t, u, (rb) => `gy[${rb} + gr + ${q}]`)}
      ${unroll(
        t.bn,
        (
          j,
        ) => `let w${u}_${j} = i32(${q} * p.sw + s${j}) - i32(p.pw); let ok${u}_${j} = hok${j} && w${u}_${j} >= 0 && w${u}_${j} < i32(p.W);
      let v${u}_${j} = select(0.0, x[select(0u, xr${j} + u32(w${u}_${j}), ok${u}_${j})], ok${u}_${j});`,
      )}`,
    )}
  }
  ${store(t, 'p.K', 'CRS', (i, j) => `(wid.z * p.K + row0 + ${i}u) * CRS + colBase + ${j * t.wg}u`)}
}`,
  );
}

/** v1's tiling: chooseTiling's implicit-GEMM heuristic as it was (narrow backward-weight layers: bench/lab/bww-small.ts, since removed). */
function v1Tiling(device: Device, rows: number, cols: number, depth: number, weight: boolean): Tiling {
  const t = chooseTiling(device, 'matmul', { rows, cols, depth });
  if (!weight || !isSoftware(device)) return t;
  const lanes = t.sg || 8;
  const wg = Math.ceil(Math.ceil(cols / t.bn) / lanes) * lanes;
  if (wg < t.wg) {
    t.wg = wg;
    const groups = Math.ceil(rows / t.bm);
    while (groups * t.splits < 16 && depth / (t.splits * 2) >= 1024) t.splits *= 2;
  }
  return t;
}

function v1Params(g: ReturnType<typeof conv2dGeometry>, splitLen = 0): number[] {
  return [g.N, g.C, g.H, g.W, g.K, g.P, g.Q, g.R, g.S, g.strideH, g.strideW, g.padH, g.padW, splitLen, Math.ceil(g.K / 4)];
}

function bwdInputV1(gy: Tensor, w: Tensor, xShape: number[], opts: { stride: number; padding: number }): Tensor {
  const device = gy.device;
  const g = conv2dGeometry('v1', xShape, w.shape, opts);
  const gx = device.empty(xShape);
  const cols = g.N * g.H * g.W;
  const t = v1Tiling(device, g.C, cols, g.K * g.R * g.S, false);
  device.dispatch(bwdInputV1Kernel(t), {
    params: v1Params(g),
    buffers: [gy.buffer, w.buffer, gx.buffer],
    workgroups: [Math.ceil(cols / (t.wg * t.bn)), Math.ceil(g.C / t.bm)],
  });
  return gx;
}

function bwdWeightV1(gy: Tensor, x: Tensor, wShape: number[], opts: { stride: number; padding: number }): Tensor {
  const device = gy.device;
  const g = conv2dGeometry('v1', x.shape, wShape, opts);
  const cols = g.C * g.R * g.S;
  const rows = g.N * g.P;
  const t = v1Tiling(device, g.K, cols, rows * g.Q, true);
  const splitLen = Math.ceil(rows / Math.min(t.splits, rows));
  const splits = Math.ceil(rows / splitLen);
  const part = device.empty(splits > 1 ? [splits, g.K, cols] : wShape);
  device.dispatch(bwdWeightV1Kernel(t), {
    params: v1Params(g, splitLen),
    buffers: [gy.buffer, x.buffer, part.buffer],
    workgroups: [Math.ceil(cols / (t.wg * t.bn)), Math.ceil(g.K / t.bm), splits],
  });
  return splits > 1 ? splitSum(part, splits, wShape) : part;
}

// ------------------------------------------------------------------ the lab

const width = Number(process.argv[2] ?? 16);
const N = Number(process.argv[3] ?? 64);
const rounds = Number(process.argv[4] ?? 3);
const versions = (process.argv[5] ?? 'v1,src').split(',');
const filter = process.argv[6] ?? '';
/** PASSES=input or weight: time one backward only (default both). */
const passes = process.env.PASSES ?? 'input,weight';
const device = await labDevice();
/** conv2dBackwardInput with the zero-filling store (v3) and the one-pass phases (v4) on or off. */
function withKnobs(zeroFill: boolean, fuse: boolean): typeof conv2dBackwardInput {
  return (...args) => {
    const old = setConvBackwardInputPaths({ zeroFill, fusePhases: fuse });
    try {
      return conv2dBackwardInput(...args);
    } finally {
      setConvBackwardInputPaths(old);
    }
  };
}
const BWD_INPUT: Record<string, typeof conv2dBackwardInput> = {
  v1: bwdInputV1 as typeof conv2dBackwardInput,
  // v2: one forward per stride phase, gx filled first where a phase has no taps; v3: v2 with the
  // zero-filling store; src: v4
  v2: withKnobs(false, false),
  v3: withKnobs(true, false),
  src: conv2dBackwardInput,
};
const BWD_WEIGHT: Record<string, typeof conv2dBackwardWeight> = {
  v1: bwdWeightV1 as typeof conv2dBackwardWeight,
  // v6: every input row loaded for each output row; src: v7 (rows carried)
  v6: (...args) => {
    const old = setConvBackwardWeightPaths({ slideRows: false });
    try {
      return conv2dBackwardWeight(...args);
    } finally {
      setConvBackwardWeightPaths(old);
    }
  },
  src: conv2dBackwardWeight,
  // 1x1 layers with lanes over groups of 1 (v7), 2, 4 (src: v8), 8 channels
  ...Object.fromEntries(
    [1, 2, 4, 8].map((cg) => [
      `cg${cg}`,
      ((...args: Parameters<typeof conv2dBackwardWeight>) => {
        const old = setConvBackwardWeightPaths({ groupChannels: cg });
        try {
          return conv2dBackwardWeight(...args);
        } finally {
          setConvBackwardWeightPaths(old);
        }
      }) as typeof conv2dBackwardWeight,
    ]),
  ),
};
// BASE=<another worktree> adds its src as the version `base` (as bench/lab/step-ab.ts does)
if (process.env.BASE) {
  const base = (await import(`${process.env.BASE}/src/kernels/conv2d/index.js`)) as typeof import('../../src/kernels/conv2d/index.js');
  BWD_INPUT.base = base.conv2dBackwardInput;
  BWD_WEIGHT.base = base.conv2dBackwardWeight;
  if (!versions.includes('base')) versions.unshift('base');
}
// TILINGS="conv2dBackwardWeight=32x12/32/sg8/s4;conv2dBackwardInput=16x8/32/sg8" adds a variant
// per tiling (syntax of parseTiling) of the src version, e.g. `src 32x12/32/sg8/s4`
for (const spec of (process.env.TILINGS ?? '').split(';').filter(Boolean)) {
  const [op, tiling] = spec.split('=') as [GemmOp, string];
  const table = op === 'conv2dBackwardWeight' ? BWD_WEIGHT : BWD_INPUT;
  const fn = table.src!;
  table[tiling] = ((...args: Parameters<typeof fn>) => {
    setTiling(device, op, parseTiling(tiling));
    try {
      return fn(...args);
    } finally {
      setTiling(device, op, null);
    }
  }) as typeof fn;
  versions.push(tiling);
}
const totals = new Map<string, number>();
console.log(
  `${'shape'.padEnd(15)} ${'pass'.padEnd(16)} ${'ms'.padStart(7)} ${'GFLOP/s'.padStart(8)} ${'/ fwd'.padStart(6)}   (per 2 CPU-s; wall ms)`,
);
for (const s of ferShapes(width).filter((s) => s.name.includes(filter))) {
  const opts = { stride: s.stride, padding: s.R === 3 ? 1 : 0 };
  const P = Math.floor((s.H + 2 * opts.padding - s.R) / s.stride) + 1;
  const xShape = [N, s.C, s.H, s.H];
  const wShape = [s.K, s.C, s.R, s.R];
  const x = randTensor(device, xShape, 1);
  const w = randTensor(device, wShape, 2);
  const gy = randTensor(device, [N, s.K, P, P], 3);
  // check every version on 2 images against the f64 reference
  const x2 = randTensor(device, [2, s.C, s.H, s.H], 4);
  const gy2 = randTensor(device, [2, s.K, P, P], 5);
  const [x2c, wc, gy2c] = await Promise.all([toCpu(x2), toCpu(w), toCpu(gy2)]);
  const wantGx = ref.conv2dBackwardInput(gy2c, wc, x2.shape, opts);
  const wantGw = ref.conv2dBackwardWeight(gy2c, x2c, wShape, opts);
  for (const v of versions) {
    if (BWD_INPUT[v] && passes.includes('input'))
      validate(`${v} backward input ${s.name}`, await BWD_INPUT[v]!(gy2, w, x2.shape, opts).toArray(), wantGx, s.K * s.R * s.R);
    if (BWD_WEIGHT[v] && passes.includes('weight'))
      validate(`${v} backward weight ${s.name}`, await BWD_WEIGHT[v]!(gy2, x2, wShape, opts).toArray(), wantGw, 2 * P * P);
  }
  const variants: Array<[string, () => Tensor]> = [['forward', () => conv2d(x, w, opts)]];
  for (const v of versions) {
    if (s.name !== 'stem' && BWD_INPUT[v] && passes.includes('input'))
      variants.push([`bwdInput ${v}`, () => BWD_INPUT[v]!(gy, w, xShape, opts)]);
    if (BWD_WEIGHT[v] && passes.includes('weight')) variants.push([`bwdWeight ${v}`, () => BWD_WEIGHT[v]!(gy, x, wShape, opts)]);
  }
  const times = await timeVariants(device, variants, rounds);
  const flops = 2 * N * s.K * P * P * s.C * s.R * s.R;
  const fwd = gflops(flops, times.get('forward')!.cpuMs);
  for (const [name] of variants) {
    const t = times.get(name)!;
    const rate = gflops(flops, t.cpuMs);
    totals.set(name, (totals.get(name) ?? 0) + t.cpuMs * s.count);
    console.log(
      `${s.name.padEnd(15)} ${name.padEnd(16)} ${t.cpuMs.toFixed(1).padStart(7)} ${rate.toFixed(2).padStart(8)} ${(rate / fwd).toFixed(2).padStart(6)}   ${t.wallMs.toFixed(1)}`,
    );
  }
  for (const t of [x, w, gy, x2, gy2]) t.dispose();
}
console.log(
  `totals over one forward/backward of fer-resnet18(${width}), batch ${N} (ms per 2 CPU-s): ${[...totals].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}; ${loadNote()}`,
);
device.destroy();
