/**
 * The one place that picks the register block and workgroup size of the GEMM-like kernels
 * (matmul, linear and the three conv2d implicit GEMMs). A per-adapter autotuner plugs in here.
 *
 * Every such kernel computes an output "matrix" whose rows are uniform across a workgroup
 * (output channels, or matrix rows) and whose columns are spread over the invocations (pixels,
 * or matrix columns). Each invocation accumulates a `bm` x `bn` block in registers, with no
 * workgroup memory and no barriers: that suits lavapipe (where barriers are very costly and
 * loads whose address is uniform across a workgroup are cheap) and is correct everywhere.
 */
import type { Device } from '../../gpu/device.js';

/** The kernels that take a tiling. */
export type GemmOp = 'matmul' | 'conv2d' | 'conv2dBackwardInput' | 'conv2dBackwardWeight';

export interface Tiling {
  /** Output rows per invocation (uniform across the workgroup). */
  bm: number;
  /** Output columns per invocation, `wg` apart so neighbouring invocations read neighbouring data. */
  bn: number;
  /** Invocations per workgroup (1-D). */
  wg: number;
  /**
   * conv2dBackwardWeight only: how many workgroups split the long reduction over N·P·Q (their
   * partial sums are added by a second pass when > 1).
   */
  splits: number;
  /**
   * Subgroup lanes that share the row operands (0: off). With sg > 0, lane l of each subgroup
   * loads row l of every group of sg rows and the others take it with subgroupBroadcast: on
   * lavapipe a load inside a loop costs about 100 instructions (one bounds-checked scalar load per
   * lane) while a broadcast is a register shuffle. Needs the 'subgroups' feature, subgroups of at
   * least sg lanes, and wg a multiple of sg.
   */
  sg: number;
  /**
   * conv2d forward kernel only (conv2d, conv2dBackwardInput): 4 reads the weight packed 4 output channels to a vec4
   * (packConv2dWeight) and, where rows are 4-aligned, the input as vec4s; 0 or absent: scalar
   * loads. Needs bm % 4 == 0.
   */
  vec?: number;
  /**
   * conv2dBackwardWeight only: kernel rows per invocation (its lanes are (input channel, block of
   * kr kernel rows)); 1 or absent: one row.
   */
  kr?: number;
}

const overrides = new WeakMap<Device, Partial<Record<GemmOp, Partial<Tiling>>>>();

/**
 * Overrides (part of) the tiling of one op on one device, or restores the default with null:
 * the hook for a per-adapter autotuner, and for tests that exercise other variants.
 */
export function setTiling(device: Device, op: GemmOp, tiling: Partial<Tiling> | null): void {
  const forDevice = overrides.get(device) ?? {};
  if (tiling) {
    for (const [k, v] of Object.entries(tiling)) {
      const min = k === 'sg' || k === 'vec' ? 0 : 1;
      if (!Number.isInteger(v) || v < min) throw new Error(`setTiling: ${k} must be an integer >= ${min}, got ${v}`);
    }
    forDevice[op] = tiling;
  } else delete forDevice[op];
  overrides.set(device, forDevice);
}

/**
 * The subgroup width of a lavapipe adapter (its SIMD width: the device name ends in
 * "-256-bits" for 8 lanes), or 0 where subgroups are off or the width is unknown.
 */
export function softwareSubgroupSize(device: Device): number {
  if (!device.info.features.includes('subgroups')) return 0;
  const bits = /(\d+)-bits/.exec(device.info.device);
  return bits ? Number(bits[1]) / 32 : 0;
}

/** True on CPU adapters (lavapipe/llvmpipe, SwiftShader). */
export function isSoftware(device: Device): boolean {
  return /llvmpipe|lavapipe|swiftshader|software/i.test(`${device.info.device} ${device.info.description} ${device.info.architecture}`);
}

/** Where chooseTiling finds an autotuned tiling for (device, op), if any (set by autotune.ts). */
let tuned: (device: Device, op: GemmOp) => Partial<Tiling> | undefined = () => undefined;
/** @internal autotune.ts plugs its per-adapter cache in here. */
export function setTunedSource(source: typeof tuned): void {
  tuned = source;
}

/**
 * Chooses the tiling of a GEMM-like kernel with an output of `rows` x `cols` and a reduction of
 * length `depth`: setTiling's override, else the adapter's autotuned winner (autotune.ts), else
 * the heuristic below. For the conv2d forward kernel (conv2d, conv2dBackwardInput), `rowLength`
 * is the output row width Q (its invocations cover bn consecutive pixels of a row).
 */
export function chooseTiling(
  device: Device,
  op: GemmOp,
  dims: { rows: number; cols: number; depth: number; rowLength?: number; kernelRows?: number; stride?: number },
): Tiling {
  const software = isSoftware(device);
  const sgLanes = software ? softwareSubgroupSize(device) : 0;
  // lavapipe with subgroups: 16 rows (two broadcast groups of 8) x 8 columns, 64 invocations,
  // the best of bench/lab/matmul-lab.ts (v7); otherwise 8 x 4, the best without broadcasts.
  const heuristic: Omit<Tiling, 'splits'> = sgLanes >= 8 ? { bm: 16, bn: 8, wg: 64, sg: 8 } : { bm: 8, bn: 4, wg: 64, sg: 0 };
  if (sgLanes >= 8) {
    // Few columns (a narrow matmul): clamped duplicate columns would waste up to half the work,
    // so take the block width from 4..10 that wastes least, when it saves over 5% (576 columns =
    // 64 x 9: bn 9 doubled the rate of the implicit-GEMM backward-weight that had 576).
    const waste = (bn: number): number => (Math.ceil(dims.cols / (heuristic.wg * bn)) * heuristic.wg * bn - dims.cols) / dims.cols;
    for (let bn = 4; bn <= 10; bn++) if (waste(bn) < waste(heuristic.bn) - 0.05) heuristic.bn = bn;
  }
  // conv2d forward, and conv2dBackwardInput, which runs the forward's kernel over gy
  if ((op === 'conv2d' || op === 'conv2dBackwardInput') && dims.rowLength !== undefined) {
    const Q = dims.rowLength;
    if (sgLanes >= 8) {
      // lavapipe (bench/lab/conv2d.ts v9-v11): packed vec4 weights, 32 output channels x 6
      // pixels per invocation (16 x 8 for K <= 16), 32 invocations per workgroup; the forward
      // loops over kernel rows (index.ts) so the block's code stays small.
      const bm = dims.rows <= 16 ? Math.max(4, Math.ceil(dims.rows / 4) * 4) : 32;
      const chunks = Math.ceil(Q / (bm <= 16 ? 8 : 6));
      Object.assign(heuristic, { bm, bn: Math.ceil(Q / chunks), wg: 32, sg: 8, vec: 4 });
    } else {
      // The forward covers bn consecutive pixels of one output row (rowLength = Q of them) per
      // invocation: take the widest bn in 4..8 that wastes least on the row's last block.
      const waste = (bn: number): number => Math.ceil(Q / bn) * bn - Q;
      heuristic.bn = Math.min(8, Q);
      for (let bn = 7; bn >= 4; bn--) if (waste(bn) < waste(heuristic.bn)) heuristic.bn = bn;
    }
  }
  let splits = 1;
  if (op === 'conv2dBackwardWeight' && dims.rowLength !== undefined) {
    // rows = K, cols = C·R lanes, depth = N images, rowLength = Q, kernelRows = R, stride
    // (conv2dBackwardWeightKernel). lavapipe (bench/lab/conv-backward.ts v2, v3): 16 workgroup
    // lanes; 3x3 stride 1 on 4-aligned rows: lanes own all 3 kernel rows, 16 output channels x 4
    // columns (fer-resnet18(16) layers 1-3: 0.8-1.1x the forward's rate); 3x3 stride 1 on
    // unaligned rows (the 6x6 last stage): all 3 kernel rows, 16 channels x 3 columns, 8 lanes
    // (v3: 1.2-1.3x v2's rate there at width 64; v7: 3 columns); otherwise one kernel row per lane, 32 channels x 4 columns
    // (x the row, up to 8, on unaligned rows).
    const Q = dims.rowLength;
    const R = dims.kernelRows ?? 1;
    const waste = (bn: number): number => Math.ceil(Q / bn) * bn - Q;
    let bn = Q % 4 === 0 ? 4 : Math.min(8, Q);
    for (const b of [7, 6, 5]) if (Q % 4 !== 0 && b <= Q && waste(b) < waste(bn)) bn = b;
    // (all kernel rows per lane only with a subgroup of channels: C lanes; the stem, C = 1, would
    // leave 7 of 8 idle, kr 1 there: 2.4x, bench/lab/conv-backward.ts backward-weight v6)
    // (stride 2 too, since v7 carries the rows that the next output row shares: 3x3 stride 2,
    // 1.1-1.4x kr 1)
    const kr = sgLanes >= 8 && R > (dims.stride ?? 1) && dims.cols / R >= sgLanes ? R : 1;
    const lanes = Math.ceil(dims.cols / kr);
    const lanesPerGroup = kr > 1 && Q % 4 !== 0 ? 8 : 16;
    // all kernel rows at stride 1 on unaligned rows (the 6x6 last stage): 3 columns, not the row
    // (v7's loop body halves: layer4 3x3 0.70-0.88 -> 0.93-1.19 of the forward)
    const bnRows = kr > 1 && dims.stride === 1 && Q % 4 !== 0 && Q % 3 === 0 ? 3 : bn;
    Object.assign(
      heuristic,
      sgLanes >= 8
        ? {
            bm: Math.min(kr > 1 ? 16 : 32, Math.ceil(dims.rows / 8) * 8),
            bn: bnRows,
            wg: Math.min(lanesPerGroup, Math.ceil(lanes / 8) * 8),
            sg: 8,
            vec: 4,
            kr,
          }
        : { bm: 8, bn: Math.min(4, bn), wg: 64, sg: 0, vec: 4, kr: 1 },
    );
    // split the images until there are enough workgroups (lavapipe: >= 32, one per thread at a
    // time; GPUs: >= 2^15 invocations), each keeping at least one image
    const groups = Math.ceil(lanes / heuristic.wg) * Math.ceil(dims.rows / heuristic.bm) * Math.ceil(Q / heuristic.bn);
    const enough = software ? 32 : Math.ceil((1 << 15) / heuristic.wg);
    while (groups * splits < enough && dims.depth / (splits * 2) >= 1) splits *= 2;
  }
  const t: Tiling = { ...heuristic, splits, ...tuned(device, op), ...overrides.get(device)?.[op] };
  // a tuned or overridden workgroup may exceed this device's limits (SwiftShader: 256)
  t.wg = Math.min(t.wg, maxWorkgroupSize(device));
  // broadcasts need whole subgroups of at least sg lanes: turn them off where that may not hold
  if (t.sg > 0 && (t.sg > sgLanes || t.wg % t.sg !== 0)) t.sg = 0;
  return t;
}

/** The most invocations a 1-D workgroup may have on this device. */
export function maxWorkgroupSize(device: Device): number {
  const l = device.gpu.limits;
  return Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX);
}
