/** Timing helpers shared by the suites: GPU work timed to completion, CPU work by wall clock. */
import type { Device } from '../gpu/device.js';
import { figureOf, summarize, type BenchRow, type Iterations, type Suite, type Unit } from './schema.js';

/** What one row measures: `work` is flops, bytes, images or rows per iteration (see figureOf). */
export interface Workload {
  id: string;
  name: string;
  suite: Suite;
  shape: string;
  unit: Unit;
  work: number;
}

/** Options every suite takes. */
export interface SuiteOptions {
  /** Fewer timed iterations for the slow end-to-end rows (marked in each row's note). */
  quick: boolean;
  /** Overrides every row's warm-up/timed counts (tests use { warmup: 0, timed: 1 }). */
  iterations?: Iterations;
  /** Keeps only rows whose id contains this string. */
  only?: string | null;
  /** Progress messages (stderr by default). */
  log: (msg: string) => void;
  /** Records a workload that failed (the suite goes on with the next one). */
  fail: (w: Workload, reason: string) => void;
  /** Train rows: also profile one step by kernel class (`--profile`). */
  profile?: boolean;
}

/** The standard plan: 3 warm-up and 10 timed runs, unless overridden. */
export function plan(opts: SuiteOptions, fallback: Iterations = { warmup: 3, timed: 10 }): Iterations {
  return opts.iterations ?? fallback;
}

export function wanted(opts: SuiteOptions, id: string): boolean {
  return !opts.only || id.includes(opts.only);
}

/**
 * Runs `fn` warmup + timed times, each time waiting for the GPU to finish (`device.sync()`).
 * Returns the timed runs' milliseconds and the very first run's.
 */
export async function timeGpu(device: Device, fn: () => void, it: Iterations): Promise<{ times: number[]; first: number }> {
  const times: number[] = [];
  let first = NaN;
  for (let i = 0; i < it.warmup + it.timed; i++) {
    const t0 = performance.now();
    fn();
    await device.sync();
    const ms = performance.now() - t0;
    if (i === 0) first = ms;
    if (i >= it.warmup) times.push(ms);
  }
  return { times, first };
}

/** Runs synchronous (or async) CPU work warmup + timed times; returns the timed milliseconds. */
export async function timeCpu(fn: () => unknown, it: Iterations): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < it.warmup + it.timed; i++) {
    const t0 = performance.now();
    await fn();
    if (i >= it.warmup) times.push(performance.now() - t0);
  }
  return times;
}

/** The CPU reference's plan: 1 warm-up and 3 timed runs (fewer when the row's plan is smaller). */
export function referencePlan(it: Iterations): Iterations {
  return { warmup: Math.min(1, it.warmup), timed: Math.max(1, Math.min(3, it.timed)) };
}

/**
 * Builds a row from the timed runs. `reference` is the CPU reference's median time on a sample
 * and the factor that scales it to the whole workload (1 when it ran on all of it).
 */
export function makeRow(
  w: Workload,
  times: number[],
  it: Iterations,
  extra: {
    reference?: { ms: number; scale: number; sample?: string } | null;
    firstIterationMs?: number | null;
    peakBytesInUse?: number | null;
    note?: string[];
  } = {},
): BenchRow {
  const s = summarize(times);
  const note = [...(extra.note ?? [])];
  let cpuReferenceMs: number | null = null;
  if (extra.reference) {
    cpuReferenceMs = extra.reference.ms * extra.reference.scale;
    if (extra.reference.scale !== 1) {
      note.push(`CPU reference timed on ${extra.reference.sample}, scaled x${extra.reference.scale}`);
    }
  }
  note.push(`${it.warmup} warm-up + ${it.timed} timed`);
  return {
    id: w.id,
    name: w.name,
    suite: w.suite,
    shape: w.shape,
    unit: w.unit,
    ...s,
    figure: figureOf(w.unit, w.work, s.median),
    vsCpuReference: cpuReferenceMs === null ? null : cpuReferenceMs / s.median,
    cpuReferenceMs,
    iterations: it,
    firstIterationMs: extra.firstIterationMs ?? null,
    peakBytesInUse: extra.peakBytesInUse ?? null,
    note: note.join('; '),
    peers: {},
  };
}
