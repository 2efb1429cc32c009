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
      if (!Number.isInteger(v) || v < 1) throw new Error(`setTiling: ${k} must be a positive integer, got ${v}`);
    }
    forDevice[op] = tiling;
  } else delete forDevice[op];
  overrides.set(device, forDevice);
}

/**
 * Chooses the tiling of a GEMM-like kernel with an output of `rows` x `cols` and a reduction of
 * length `depth`.
 */
export function chooseTiling(device: Device, op: GemmOp, dims: { rows: number; cols: number; depth: number }): Tiling {
  const software = /llvmpipe|lavapipe|swiftshader/i.test(`${device.info.device} ${device.info.description} ${device.info.architecture}`);
  // 8 rows x 4 columns per invocation, 64 invocations: the best of a sweep on lavapipe (see
  // bench/lab/tilings.ts); one block for every shape keeps the number of compiled variants low.
  const bm = 8;
  const bn = 4;
  const wg = 64;
  let splits = 1;
  if (op === 'conv2dBackwardWeight' && !software) {
    // A real GPU wants thousands of invocations; split the reduction until it has them, while
    // keeping each piece long (>= 256 terms).
    const invocations = Math.ceil(dims.rows / bm) * Math.ceil(dims.cols / bn);
    while (invocations * splits < 1 << 15 && dims.depth / (splits * 2) >= 256) splits *= 2;
  }
  return { bm, bn, wg, splits, ...overrides.get(device)?.[op] };
}
