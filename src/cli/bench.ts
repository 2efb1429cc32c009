/**
 * `fer-gpu bench`: the benchmark suite (src/bench). Wired into src/cli/main.ts as
 * `process.exitCode = await runBench(args)` with the arguments after `bench`.
 *
 *   fer-gpu bench [--suite kernels|train|infer|data|all] [--json out.json] [--quick] [--peers]
 *                 [--only <id part>] [--iterations <warmup>,<timed>] [--csv <fer2013.csv>] [--folder <dir>] [--backend <name>]
 *   fer-gpu bench compare a.json b.json … [--out chart.html]
 *   fer-gpu bench merge a.json b.json … --json out.json
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import type { Backend } from '../gpu/device.js';
import {
  SUITES,
  checkReport,
  compareChartHtml,
  compareReports,
  formatReport,
  mergeReports,
  runBenchmark,
  type BenchReport,
  type Iterations,
  type Suite,
} from '../bench/index.js';

/** Where the command writes (tests capture it). */
export interface BenchIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}
const processIO: BenchIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

function parseSuites(values: string[]): Suite[] {
  const names = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0 || names.includes('all')) return [...SUITES];
  for (const n of names) {
    if (!SUITES.includes(n as Suite)) throw new Error(`--suite must be one of ${SUITES.join(', ')} or all, got '${n}'`);
  }
  return names as Suite[];
}

function parseIterations(v: string): Iterations {
  const m = /^(\d+),(\d+)$/.exec(v.trim());
  if (!m || Number(m[2]) < 1) throw new Error(`--iterations must be <warmup>,<timed> with timed >= 1, got '${v}'`);
  return { warmup: Number(m[1]), timed: Number(m[2]) };
}

function readReport(file: string): BenchReport {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  return checkReport(parsed, file);
}

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

/**
 * Runs `fer-gpu bench …` with the arguments after `bench`. Returns the exit code:
 * 0 ok, 1 bad arguments or input files, 2 a failure while benchmarking.
 */
export async function runBench(argv: readonly string[], io: BenchIO = processIO): Promise<number> {
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  const cmd = new Command('fer-gpu bench')
    .description('Benchmark fer-gpu on this adapter (and peers on the same workloads); compare or merge JSON reports.')
    .argument('[action]', "'compare' or 'merge' followed by report files; nothing to run the bench")
    .argument('[files...]', 'JSON reports (compare, merge)')
    .option('--suite <name>', `suite to run: ${SUITES.join(', ')} or all (repeatable, or comma-separated)`, collect, [])
    .option('--json <file>', 'write the JSON report here (merge: the merged report)')
    .option('--quick', 'fewer timed iterations for the slow fer-resnet18(64) rows (marked in the rows)')
    .option('--peers', 'also run TensorFlow.js WebGPU and PyTorch CPU on the same workloads (from a fer-gpu checkout)')
    .option('--only <text>', "keep only rows whose id contains this text, e.g. 'conv3x3' or 'fer-resnet18-16'")
    .option('--iterations <w,t>', 'warm-up and timed runs of every row (default 3,10)')
    .option('--csv <file>', 'FER2013 CSV for the data suite (default: a synthetic one)')
    .option('--folder <dir>', 'FER2013 image folder for the data suite (default: a synthetic one)')
    .option('--backend <name>', 'force a backend: vulkan, metal, d3d12, opengl, opengles')
    .option('--out <file>', 'compare: write an HTML page with an SVG chart here')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  const o = cmd.opts<{
    suite: string[];
    json?: string;
    quick?: boolean;
    peers?: boolean;
    only?: string;
    iterations?: string;
    csv?: string;
    folder?: string;
    backend?: Backend;
    out?: string;
  }>();
  const [action, files = []] = cmd.processedArgs as [string | undefined, string[] | undefined];

  if (action === 'compare' || action === 'merge') {
    let reports: BenchReport[];
    try {
      if (files.length < (action === 'compare' ? 1 : 2)) throw new Error(`bench ${action} needs ${action === 'compare' ? 'one or more' : 'two or more'} JSON files`);
      if (action === 'merge' && !o.json) throw new Error('bench merge needs --json <out.json>');
      reports = files.map(readReport);
      if (action === 'merge') {
        writeFile(o.json!, JSON.stringify(mergeReports(reports), null, 2) + '\n');
        io.stdout(`merged ${files.length} reports into ${o.json}\n`);
        return 0;
      }
    } catch (e) {
      io.stderr(`error: ${(e as Error).message}\n`);
      return 1;
    }
    const labeled = reports.map((report, i) => ({ label: path.basename(files[i]!).replace(/\.json$/i, ''), report }));
    io.stdout(compareReports(labeled) + '\n');
    if (o.out) {
      writeFile(o.out, compareChartHtml(labeled));
      io.stdout(`chart written to ${o.out}\n`);
    }
    return 0;
  }
  if (action !== undefined) {
    io.stderr(`error: unknown bench action '${action}' (expected compare or merge, or options only)\n`);
    return 1;
  }

  let suites: Suite[];
  let iterations: Iterations | undefined;
  try {
    suites = parseSuites(o.suite);
    iterations = o.iterations === undefined ? undefined : parseIterations(o.iterations);
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n`);
    return 1;
  }
  const report = await runBenchmark({
    suites,
    quick: o.quick,
    peers: o.peers,
    only: o.only,
    iterations,
    csvFile: o.csv,
    folder: o.folder,
    backend: o.backend,
    log: (m) => io.stderr(`bench: ${m}\n`),
  });
  io.stdout(formatReport(report) + '\n');
  if (o.json) {
    writeFile(o.json, JSON.stringify(report, null, 2) + '\n');
    io.stdout(`JSON written to ${o.json}\n`);
  }
  return 0;
}
