/**
 * Per-kernel GPU time of recorded work (`fer-gpu bench --profile`). Two methods:
 * - 'timestamp-query' (adapters with that feature, lavapipe included): every dispatch gets its
 *   own compute pass with timestamp writes at its start and end;
 * - 'isolation' (elsewhere): the work runs once while its dispatches are recorded, then each
 *   dispatch is re-run alone and timed to completion, less the time of an empty submit. Re-running
 *   repeats in-place updates (optimizer steps, running statistics): use it on throwaway state.
 */
import type { Device } from './device.js';
import type { DispatchArgs, Kernel } from './kernel.js';
import { BufferUsage, MapMode } from './constants.js';

/** The GPU time of one dispatch. */
export interface DispatchTime {
  kernel: string;
  ms: number;
}

/** What profileWork measured. */
export interface WorkProfile {
  method: 'timestamp-query' | 'isolation';
  /** Every dispatch of the work in order (capped at `maxDispatches`). */
  dispatches: DispatchTime[];
  /** Queue submits the work made (dispatches beyond the cap are counted in `dispatchCount`). */
  submits: number;
  dispatchCount: number;
  /** Wall-clock time of the profiled run (timestamp method: with one pass per dispatch). */
  wallMs: number;
}

/**
 * Runs `work` (which records GPU commands; it is synced here) once under the profiler and returns
 * each dispatch's GPU time. `method` defaults to timestamps where the device has them.
 */
export async function profileWork(
  device: Device,
  work: () => void,
  options: { method?: WorkProfile['method']; maxDispatches?: number; repeats?: number } = {},
): Promise<WorkProfile> {
  const method = options.method ?? (device.info.features.includes('timestamp-query') ? 'timestamp-query' : 'isolation');
  const max = Math.min(options.maxDispatches ?? 2048, 2048); // a query set holds at most 4096 timestamps
  const recorded: Array<{ kernel: Kernel; args: DispatchArgs }> = [];
  let querySet: GPUQuerySet | null = null;
  if (method === 'timestamp-query') {
    if (!device.info.features.includes('timestamp-query'))
      throw new Error("profileWork: this adapter has no 'timestamp-query'; use method 'isolation'");
    querySet = device.gpu.createQuerySet({ type: 'timestamp', count: 2 * max });
  }
  await device.sync();
  const d0 = device.dispatches;
  const s0 = device.submits;
  device.profiler = {
    beginPass: (encoder, kernel, args) => {
      const k = recorded.length;
      if (k < max)
        recorded.push({
          kernel,
          args: { params: args.params && [...args.params], buffers: [...args.buffers], workgroups: [...args.workgroups] },
        });
      return querySet && k < max
        ? encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 } })
        : encoder.beginComputePass();
    },
  };
  const t0 = performance.now();
  try {
    work();
    await device.sync();
  } finally {
    device.profiler = null;
  }
  const wallMs = performance.now() - t0;
  const counts = { submits: device.submits - s0, dispatchCount: device.dispatches - d0 };
  if (querySet) {
    const n = recorded.length;
    const bytes = Math.max(2 * n, 2) * 8;
    const resolve = device.gpu.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const staging = device.gpu.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    try {
      const encoder = device.gpu.createCommandEncoder();
      if (n > 0) encoder.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, staging, 0, bytes);
      device.gpu.queue.submit([encoder.finish()]);
      await staging.mapAsync(MapMode.READ);
      const t = new BigInt64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      const dispatches = recorded.map((r, i) => ({ kernel: r.kernel.name, ms: Math.max(0, Number(t[2 * i + 1]! - t[2 * i]!) / 1e6) }));
      return { method, dispatches, wallMs, ...counts };
    } finally {
      resolve.destroy();
      staging.destroy();
      querySet.destroy();
    }
  }
  // isolation: each dispatch alone (best of `repeats`), less an empty submit's round trip
  const repeats = options.repeats ?? 3;
  const timeOf = async (fn: () => void): Promise<number> => {
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const t = performance.now();
      fn();
      await device.sync();
      best = Math.min(best, performance.now() - t);
    }
    return best;
  };
  const empty = await timeOf(() => device.gpu.queue.submit([]));
  const dispatches: DispatchTime[] = [];
  for (const r of recorded)
    dispatches.push({ kernel: r.kernel.name, ms: Math.max(0, (await timeOf(() => device.dispatch(r.kernel, r.args))) - empty) });
  return { method, dispatches, wallMs, ...counts };
}
