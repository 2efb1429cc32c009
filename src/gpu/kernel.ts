/**
 * What a dispatch is made of: a WGSL kernel, its uniform parameters and its workgroup grid.
 * Shared by the device (which records dispatches) and every op (which builds them); it imports
 * nothing, so any module may use it without pulling in the device or tensors.
 */

/** A compute kernel: WGSL source with one entry point. */
export interface Kernel {
  /** Short name for error messages and profiling. */
  name: string;
  /** WGSL source. Binding 0 is the uniform `params` when `params` are passed, then storage buffers in order. */
  code: string;
  /** Entry point (default `main`). */
  entry?: string;
}

/** What a dispatch takes: the uniform block's values, the storage buffers in binding order, the grid. */
export interface DispatchArgs {
  params?: readonly Param[];
  buffers: readonly GPUBuffer[];
  workgroups: readonly number[];
}

/** @internal The profiler's side of Device.profiler (gpu/profile.ts): begins the compute pass of one dispatch. */
export interface DispatchProfiler {
  beginPass(encoder: GPUCommandEncoder, kernel: Kernel, args: DispatchArgs): GPUComputePassEncoder;
}

/** A view of some words of a typed uniform block: numbers are u32 unless wrapped with f32(). */
export type Param = number | { f32: number } | { i32: number };
/** Wraps a number so it is written into the uniform block as an f32. */
export const f32 = (x: number): Param => ({ f32: x });
/** Wraps a number so it is written into the uniform block as an i32. */
export const i32 = (x: number): Param => ({ i32: x });

/** Writes kernel parameters into a uniform block at `offset` (u32, f32 or i32 words). */
export function writeParams(data: ArrayBuffer, offset: number, params: readonly Param[]): void {
  const view = new DataView(data, offset);
  params.forEach((p, i) => {
    if (typeof p === 'number') {
      if (!Number.isInteger(p) || p < 0 || p > 0xffffffff) throw new Error(`kernel param ${i} (${p}) is not a u32`);
      view.setUint32(i * 4, p, true);
    } else if ('f32' in p) view.setFloat32(i * 4, p.f32, true);
    else view.setInt32(i * 4, p.i32, true);
  });
}

/**
 * Workgroup counts for `n` invocations in workgroups of `size`, folded into 2D when more than
 * 65,535 workgroups are needed. Kernels recover the index with `linearIndex()` (see wgsl.ts).
 */
export function grid1d(n: number, size: number): [number, number] {
  const groups = Math.ceil(n / size);
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}
