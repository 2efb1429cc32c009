/**
 * fer-gpu's benchmark suite (`fer-gpu bench`, `npm run bench`): kernels, train, infer and data
 * suites on the reference workloads of bench/README.md, optional peers (TensorFlow.js WebGPU,
 * PyTorch CPU) on the same workloads, a terminal table and a JSON report (schema.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { createDevice, type Backend } from '../gpu/dawn.js';
import type { Device } from '../gpu/device.js';
import { VERSION } from '../version.js';
import { runKernelSuite } from './kernels.js';
import { runTrainSuite, runInferSuite } from './e2e.js';
import { runFacesSuite } from './faces.js';
import { runDataSuite } from './data.js';
import { runPeers } from './peers.js';
import { SCHEMA_VERSION, SUITES, type BenchReport, type BenchRow, type Iterations, type Suite } from './schema.js';

export * from './schema.js';
export { formatReport } from './table.js';
export { formatProfile, kernelClass, profileStep, type StepProfile } from './profile.js';
export { compareReports, compareChartHtml, mergeReports, type LabeledReport } from './compare.js';

/** Options of {@link runBenchmark}. */
export interface BenchOptions {
  /** Suites to run (default: all). */
  suites?: Suite[];
  /** Fewer timed iterations for the slow fer-resnet18(64) rows, and for the peers' slow rows. */
  quick?: boolean;
  /** Run the peers (TensorFlow.js WebGPU, PyTorch CPU) on the same workloads. */
  peers?: boolean;
  /** Keep only rows whose id contains this string (e.g. 'conv3x3', 'fer-resnet18-16'). */
  only?: string | null;
  /** Override every row's warm-up and timed run counts (the default is 3 + 10). */
  iterations?: Iterations;
  /** A FER2013 CSV for the data suite's CSV row (default: a synthetic one in a temp dir). */
  csvFile?: string | null;
  /** An image folder (train/<class>/…) for the data suite's folder rows (default: a synthetic one in a temp dir). */
  folder?: string | null;
  backend?: Backend;
  /** Train rows: also profile one step by kernel class (row.profile, printed under the table). */
  profile?: boolean;
  /** Progress messages (default: stderr). */
  log?: (msg: string) => void;
}

/** The version of the `webgpu` package (dawn.node), or 'unknown'. */
function dawnVersion(): string {
  try {
    // import.meta.url is undefined in the CommonJS build: resolve from the working directory then
    const req = createRequire(import.meta.url ?? path.join(process.cwd(), 'index.js'));
    const pkg = JSON.parse(fs.readFileSync(req.resolve('webgpu/package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** CPU model, cores, memory and OS of this machine. */
export function machineInfo(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** Runs the suites (and peers) and returns the report; the caller prints or saves it. */
export async function runBenchmark(options: BenchOptions = {}): Promise<BenchReport> {
  const suites = options.suites ?? [...SUITES];
  for (const s of suites) if (!SUITES.includes(s)) throw new Error(`bench: unknown suite '${s}' (expected ${SUITES.join(', ')})`);
  const log = options.log ?? ((m: string) => process.stderr.write(`bench: ${m}\n`));
  const failed: BenchReport['failed'] = [];
  const fail = (w: { id: string; name: string; suite: Suite }, reason: string): void => {
    log(`${w.name} failed: ${reason}`);
    failed.push({ id: w.id, name: w.name, suite: w.suite, reason });
  };
  const opts = {
    quick: !!options.quick,
    iterations: options.iterations,
    only: options.only ?? null,
    log,
    fail,
    profile: !!options.profile,
  };
  const date = new Date().toISOString();
  const newDevice = (): Promise<Device> => createDevice({ backend: options.backend });

  const rows: BenchRow[] = [];
  const device = await newDevice();
  const i = device.info;
  const adapter = {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    backend: i.backend,
    featureLevel: i.featureLevel,
    ...(i.robustness === false ? { robustness: false as const } : {}),
  };
  try {
    if (suites.includes('kernels')) rows.push(...(await runKernelSuite(device, opts)));
    if (suites.includes('data')) rows.push(...(await runDataSuite(device, { ...opts, csvFile: options.csvFile, folder: options.folder })));
  } finally {
    device.destroy();
  }
  if (suites.includes('train')) rows.push(...(await runTrainSuite(newDevice, opts)));
  if (suites.includes('infer')) rows.push(...(await runInferSuite(newDevice, opts)), ...(await runFacesSuite(newDevice, opts)));

  const peers = options.peers && rows.length > 0 ? runPeers(rows, opts) : [];
  return {
    schemaVersion: SCHEMA_VERSION,
    date,
    adapter,
    versions: {
      ferGpu: VERSION,
      node: process.version,
      dawn: dawnVersion(),
      peers: Object.fromEntries(peers.map((p) => [p.name, p.version])),
    },
    machine: machineInfo(),
    options: { suites, quick: opts.quick, peers: !!options.peers, only: opts.only },
    peers,
    rows,
    failed,
  };
}

/** A short file-name-safe name of the adapter, e.g. 'llvmpipe' or 'nvidia-h100'. */
export function adapterSlug(a: BenchReport['adapter']): string {
  const name = (a.description || a.device || a.vendor || 'adapter').toLowerCase();
  const short = name
    .replace(/[:(].*$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return short.split('-').slice(0, 3).join('-') || 'adapter';
}
