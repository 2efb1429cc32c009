/**
 * Per-adapter autotuning of the GEMM-like kernels (matmul/linear and the three conv2d implicit
 * GEMMs). It sits above the ops it times (conv2d, matmul) and the engine whose tilings it sets
 * (gemm/tiling.ts), so none of them imports another. `autotune` times a few candidate tilings
 * of one op on a representative workload and keeps the fastest; `tuneKernels` does it for every op. Winners are kept per adapter and
 * fer-gpu version in a {@link TuneStore}: a JSON file in Node (kernels/tune-file.ts:
 * FER_GPU_CACHE_DIR, else ~/.cache/fer-gpu/tilings.json), IndexedDB in the browser
 * (kernels/tune-idb.ts), memory where none is set; chooseTiling reads it on later runs.
 * Without tuning, chooseTiling's heuristic applies. Nothing here throws for an unwritable or
 * corrupt store: tuning then lasts for the process (or page) only.
 */
import type { Device } from '../gpu/device.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { VERSION } from '../version.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './conv2d/index.js';
import { matmul } from './matmul/index.js';
import {
  chooseTiling,
  isSoftware,
  maxWorkgroupSize,
  setTiling,
  setTunedSource,
  softwareSubgroupSize,
  type GemmOp,
  type Tiling,
} from './gemm/tiling.js';

/** A workload to tune on: a matmul [M, K] x [K, N] or a conv2d input/weight shape with its geometry. */
export type TuneWorkload =
  | { M: number; K: number; N: number }
  | { x: [number, number, number, number]; w: [number, number, number, number]; stride?: number; padding?: number };

/** Tuned tilings by adapter key, then op. */
export type TuneCache = Record<string, Partial<Record<GemmOp, Tiling>>>;

/** Where tuned tilings persist between runs. Neither method may throw. */
export interface TuneStore {
  /** The stored tilings ({} when there are none or they cannot be read). */
  load(): TuneCache;
  /** Stores the tilings (best effort: a store that cannot write keeps them for this run). */
  save(cache: TuneCache): void;
}

/** Keeps tilings for the life of the process or page. */
export const memoryTuneStore: TuneStore = { load: () => ({}), save: () => {} };

let store: TuneStore = memoryTuneStore;
let cache: TuneCache | null = null;

/** Makes `next` the autotuner's store (the platform does: a file in Node, IndexedDB in the browser); its tilings are read on next use. */
export function setTuneStore(next: TuneStore): void {
  store = next;
  cache = null;
}

/**
 * The generation of the tiled kernels: bumped when a kernel's meaning of a tiling changes (2: the
 * backward-input runs the forward's kernel, the backward-weight has lanes over (c, kernel rows);
 * 3: backward-weight lanes with kr = R carry input rows, 1x1 layers take kr over channel groups),
 * so that winners timed on older kernels are not applied to new ones.
 */
const KERNELS = 3;

/** The cache key of an adapter: what it is, and the fer-gpu version whose kernels were timed. */
function adapterKey(device: Device): string {
  const i = device.info;
  return `${i.vendor}|${i.architecture}|${i.device}|${i.description}|${i.backend}|fer-gpu ${VERSION}|kernels ${KERNELS}`;
}

function readCache(): TuneCache {
  cache ??= store.load();
  return cache;
}

function writeCache(device: Device, op: GemmOp, t: Tiling): void {
  const c = readCache();
  (c[adapterKey(device)] ??= {})[op] = t;
  store.save(c);
}

setTunedSource((device, op) => readCache()[adapterKey(device)]?.[op]);

/** The default workloads: the ResNet 3x3 layer of bench/lab/conv2d.ts at batch 16, and 512³. */
const DEFAULTS: Record<GemmOp, TuneWorkload> = {
  matmul: { M: 512, K: 512, N: 512 },
  conv2d: { x: [16, 64, 24, 24], w: [64, 64, 3, 3], padding: 1 },
  conv2dBackwardInput: { x: [16, 64, 24, 24], w: [64, 64, 3, 3], padding: 1 },
  conv2dBackwardWeight: { x: [16, 64, 24, 24], w: [64, 64, 3, 3], padding: 1 },
};

/** 3–6 candidates around the heuristic's choice (which is always one of them). */
function candidates(device: Device, op: GemmOp, heuristic: Tiling): Tiling[] {
  const sg = isSoftware(device) ? Math.min(8, softwareSubgroupSize(device)) : 0;
  const list: Array<Partial<Tiling>> = sg
    ? [{}, { bm: 24, bn: 8 }, { bm: 32, bn: 4 }, { bm: 16, bn: 4 }, { bm: 8, bn: 4, sg: 0 }]
    : [{}, { bm: 4, bn: 4 }, { bm: 8, bn: 2, wg: 128 }, { bm: 4, bn: 4, wg: 256 }];
  if (op === 'conv2dBackwardWeight') list.push({ splits: heuristic.splits * 4 }, { kr: heuristic.kr === 1 ? 3 : 1 });
  const seen = new Set<string>();
  return list
    .map((c) => ({ ...heuristic, ...c }))
    .filter((t) => t.wg <= maxWorkgroupSize(device)) // the device's limits (SwiftShader: 256)
    .filter((t) => !seen.has(JSON.stringify(t)) && !!seen.add(JSON.stringify(t)));
}

/**
 * Times 3–6 candidate tilings of `op` on `workload` (default: a ResNet 3x3 layer, or 512³ for
 * matmul) and makes the fastest this adapter's tiling for `op`, kept in the TuneStore for later runs.
 * Returns the winner. Takes seconds on lavapipe (each candidate compiles its kernel once).
 * @example await autotune(device, 'conv2d'); // later conv2d calls use the winner
 */
export async function autotune(device: Device, op: GemmOp, workload: TuneWorkload = DEFAULTS[op], repeats = 2): Promise<Tiling> {
  const rng = new Rng(1);
  const rand = (shape: number[]): Tensor => device.tensor(rng.normals(shape.reduce((a, b) => a * b, 1)), shape);
  let run: () => Tensor;
  const held: Tensor[] = [];
  let dims: Parameters<typeof chooseTiling>[2];
  if ('M' in workload) {
    const [a, b] = [rand([workload.M, workload.K]), rand([workload.K, workload.N])];
    held.push(a, b);
    run = () => matmul(a, b);
    dims = { rows: workload.M, cols: workload.N, depth: workload.K };
  } else {
    const opts = { stride: workload.stride ?? 1, padding: workload.padding ?? 0 };
    const [x, w] = [rand(workload.x), rand(workload.w)];
    const y = device.noGrad(() => conv2d(x, w, opts));
    held.push(x, w, y);
    const [N, C, H, W] = workload.x;
    const [K, , R, S] = workload.w;
    const [P, Q] = [y.shape[2]!, y.shape[3]!];
    run =
      op === 'conv2d'
        ? () => conv2d(x, w, opts)
        : op === 'conv2dBackwardInput'
          ? () => conv2dBackwardInput(y, w, x.shape, opts)
          : () => conv2dBackwardWeight(y, x, w.shape, opts);
    // the dims conv2d/index.ts passes to chooseTiling for each op
    const [Pf, Qf] = op === 'conv2dBackwardInput' ? [H, W] : [P, Q];
    dims =
      op === 'conv2dBackwardWeight'
        ? { rows: K, cols: C * R, depth: N, rowLength: Q, kernelRows: R, stride: opts.stride }
        : { rows: op === 'conv2d' ? K : C, cols: N * Pf * Qf, depth: (op === 'conv2d' ? C : K) * R * S, rowLength: Qf };
  }
  setTiling(device, op, null);
  let best: { t: Tiling; ms: number } | null = null;
  try {
    for (const t of candidates(device, op, chooseTiling(device, op, dims))) {
      setTiling(device, op, t);
      device.noGrad(run).dispose(); // compile and warm up
      await device.sync();
      let ms = Infinity;
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        device.noGrad(run).dispose();
        await device.sync();
        ms = Math.min(ms, performance.now() - t0);
      }
      if (!best || ms < best.ms) best = { t, ms };
    }
  } finally {
    setTiling(device, op, null);
    for (const t of held) t.dispose();
  }
  writeCache(device, op, best!.t);
  return best!.t;
}

/** Autotunes every GEMM-like op on its default workload (see autotune); returns the winners. */
export async function tuneKernels(device: Device): Promise<Record<GemmOp, Tiling>> {
  const out: Partial<Record<GemmOp, Tiling>> = {};
  for (const op of Object.keys(DEFAULTS) as GemmOp[]) out[op] = await autotune(device, op);
  return out as Record<GemmOp, Tiling>;
}
