/**
 * The JSON schema of `fer-gpu bench --json` (schemaVersion 2), documented in bench/README.md.
 * Rows of different runs with the same `id` measure the same workload, so they can be compared.
 */
import type { StepProfile } from './profile.js';

/** The suites of the bench. */
export type Suite = 'kernels' | 'train' | 'infer' | 'data';
export const SUITES: readonly Suite[] = ['kernels', 'train', 'infer', 'data'];

/** Unit of a row's `figure`; every one is higher-is-better except 'us' (time per call). */
export type Unit = 'GFLOP/s' | 'GB/s' | 'images/s' | 'rows/s' | 'us';

/** True when a larger figure in this unit is better. */
export function higherIsBetter(unit: Unit): boolean {
  return unit !== 'us';
}

/** How many runs a figure comes from. */
export interface Iterations {
  /** Untimed runs before the timed ones (the first run, with shader compilation, included). */
  warmup: number;
  /** Timed runs: median/min/max are over these. */
  timed: number;
}

/** A peer framework's time for a row's workload (figure in the row's unit), or why it has none. */
export type PeerFigure =
  { median: number; min: number; max: number; figure: number; iterations: Iterations; note: string } | { skipped: string };

/** One measured workload. Times are milliseconds per iteration. */
export interface BenchRow {
  /** Stable key of the workload, e.g. 'conv3x3.forward' or 'train.fer-resnet18-16'. */
  id: string;
  /** Human name, e.g. 'conv3x3 forward'. */
  name: string;
  suite: Suite;
  /** The workload's shape in words, e.g. 'N=64 C=64 K=64 24x24 pad 1'. */
  shape: string;
  unit: Unit;
  /** Milliseconds per iteration over the timed runs. */
  median: number;
  min: number;
  max: number;
  /** The headline figure in `unit`, computed from the median. */
  figure: number;
  /** Speed-up over fer-gpu's f64 CPU reference (reference time / median), null when not measured. */
  vsCpuReference: number | null;
  /** The CPU reference's time for the whole workload (ms; scaled up from a sample when `note` says so). */
  cpuReferenceMs: number | null;
  iterations: Iterations;
  /** The first run's time (ms): shader compilation and first allocations; end-to-end rows only. */
  firstIterationMs: number | null;
  /** device.memory().peakBytesInUse after the workload; end-to-end rows only. */
  peakBytesInUse: number | null;
  /** Anything needed to read the figure: samples, scaling, quick mode. */
  note: string;
  /** The same workload run by peer frameworks, keyed by peer name ('tfjs-webgpu', 'torch-cpu'). */
  peers: Record<string, PeerFigure>;
  /** Train rows run with `--profile`: one step's GPU time by kernel class (bench/profile.ts). */
  profile?: StepProfile;
}

/** A peer framework's run as a whole. */
export interface PeerInfo {
  name: string;
  status: 'ran' | 'skipped';
  /** Why it was skipped (status 'skipped'), or '' */
  reason: string;
  version: string | null;
  /** Anything about how it ran (threads, backend). */
  details: string;
}

/** The whole report. */
export interface BenchReport {
  schemaVersion: 2;
  /** ISO 8601 time the run started. */
  date: string;
  adapter: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    backend: string;
    featureLevel: string;
    /** false when the run turned Dawn's bounds checks off (`FER_GPU_ROBUSTNESS=off`); absent otherwise. */
    robustness?: false;
  };
  versions: { ferGpu: string; node: string; dawn: string; peers: Record<string, string | null> };
  machine: { cpuModel: string; cores: number; memoryBytes: number; os: string };
  /** The options of the run (suites, quick, peers). */
  options: { suites: Suite[]; quick: boolean; peers: boolean; only: string | null };
  peers: PeerInfo[];
  rows: BenchRow[];
  /** Workloads that could not run on this adapter (e.g. a tensor over a binding limit), with why. */
  failed: Array<{ id: string; name: string; suite: Suite; reason: string }>;
}

export const SCHEMA_VERSION = 2 as const;

/** Median, min and max of a list of times. */
export function summarize(times: readonly number[]): { median: number; min: number; max: number } {
  if (times.length === 0) throw new Error('summarize: no times');
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

/**
 * The figure of `work` units done in `ms` milliseconds: work is flops (GFLOP/s), bytes (GB/s),
 * images or rows per iteration; for 'us' the figure is the time itself in microseconds.
 */
export function figureOf(unit: Unit, work: number, ms: number): number {
  switch (unit) {
    case 'GFLOP/s':
    case 'GB/s':
      return work / (ms * 1e6);
    case 'images/s':
    case 'rows/s':
      return (work * 1000) / ms;
    case 'us':
      return ms * 1000;
  }
}

/** Checks that a parsed object looks like a BenchReport, naming the first missing field. */
export function checkReport(r: unknown, where: string): BenchReport {
  const o = r as Partial<BenchReport> | null;
  if (!o || typeof o !== 'object') throw new Error(`${where}: not a JSON object`);
  if (o.schemaVersion !== SCHEMA_VERSION) throw new Error(`${where}: schemaVersion ${String(o.schemaVersion)}, expected ${SCHEMA_VERSION}`);
  for (const k of ['date', 'adapter', 'versions', 'machine', 'rows'] as const) {
    if (o[k] === undefined) throw new Error(`${where}: missing field '${k}'`);
  }
  if (!Array.isArray(o.rows)) throw new Error(`${where}: 'rows' is not an array`);
  o.rows.forEach((row, i) => {
    for (const k of ['id', 'name', 'suite', 'unit', 'median', 'figure'] as const) {
      if (row[k] === undefined) throw new Error(`${where}: rows[${i}] has no '${k}'`);
    }
  });
  return o as BenchReport;
}
