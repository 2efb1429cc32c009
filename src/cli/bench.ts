/**
 * `fer-gpu bench`: the benchmark suite (src/bench). Wired into src/cli/main.ts as
 * `process.exitCode = await runBench(args)` with the arguments after `bench`.
 *
 *   fer-gpu bench [--suite kernels|train|infer|data|all] [--out report.json] [--json] [--quick] [--peers] [--profile]
 *                 [--only <id part>] [--iterations <warmup>,<timed>] [--csv <fer2013.csv>] [--folder <dir>] [--backend <name>]
 *   fer-gpu bench compare a.json b.json … [--out chart.html]
 *   fer-gpu bench merge a.json b.json … --out merged.json
 *
 * --out writes a file (the report, the merged report, the chart); --json prints the JSON report
 * to stdout instead of the table.
 */
import path from 'node:path';
import { InputError } from '../errors.js';
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

import {
  checkOutputFile,
  cliCommand,
  collect,
  processIO,
  readInputText,
  runCli,
  usageError,
  writeOutputFile,
  type CliIO,
} from './common.js';

/** Where the command writes (tests capture it). */
export type BenchIO = CliIO;

function parseSuites(values: string[]): Suite[] {
  const names = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return [...SUITES];
  for (const n of names) {
    if (!SUITES.includes(n as Suite)) throw new InputError(`--suite must be one of ${SUITES.join(', ')} or all, got '${n}'`);
  }
  return names as Suite[];
}

function parseIterations(v: string): Iterations {
  const m = /^(\d+),(\d+)$/.exec(v.trim());
  if (!m || Number(m[2]) < 1) throw new InputError(`--iterations must be <warmup>,<timed> with timed >= 1, got '${v}'`);
  return { warmup: Number(m[1]), timed: Number(m[2]) };
}

function readReport(file: string): BenchReport {
  const text = readInputText(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message})`);
  }
  return checkReport(parsed, file);
}

/**
 * Runs `fer-gpu bench …` with the arguments after `bench`. Returns the exit code:
 * 0 ok, 1 bad values or input files or a failure while benchmarking, 2 bad usage.
 */
export async function runBench(argv: readonly string[], io: BenchIO = processIO): Promise<number> {
  const cmd = cliCommand('fer-gpu bench', io)
    .description('Benchmark fer-gpu on this adapter (and peers on the same workloads); compare or merge JSON reports.')
    .argument('[action]', "'compare' or 'merge' followed by report files; nothing to run the bench")
    .argument('[files...]', 'JSON reports (compare, merge)')
    .option('--suite <name>', `suite to run: ${SUITES.join(', ')} or all (repeatable, or comma-separated)`, collect, [])
    .option('--out <file>', 'write the JSON report here (merge: the merged report; compare: an HTML page with an SVG chart)')
    .option('--json', 'print the JSON report to stdout instead of the table (run, merge)')
    .option('--quick', 'fewer timed iterations for the slow fer-resnet18(64) rows (marked in the rows)')
    .option('--peers', 'also run TensorFlow.js WebGPU and PyTorch CPU on the same workloads (from a fer-gpu checkout)')
    .option('--only <text>', "keep only rows whose id contains this text, e.g. 'conv3x3' or 'fer-resnet18-16'")
    .option('--iterations <w,t>', 'warm-up and timed runs of every row (default 3,10)')
    .option('--profile', "train rows: also print one step's GPU time by kernel class, dispatches and submits")
    .option('--csv <file>', 'FER2013 CSV for the data suite (default: a synthetic one)')
    .option('--folder <dir>', 'FER2013 image folder for the data suite (default: a synthetic one)')
    .option('--backend <name>', 'force a backend: vulkan, metal, d3d12, opengl, opengles');
  return runCli(cmd, argv, io, () => bench(cmd, io));
}

async function bench(cmd: ReturnType<typeof cliCommand>, io: BenchIO): Promise<number> {
  const o = cmd.opts<{
    suite: string[];
    json?: boolean;
    quick?: boolean;
    peers?: boolean;
    only?: string;
    iterations?: string;
    profile?: boolean;
    csv?: string;
    folder?: string;
    backend?: Backend;
    out?: string;
  }>();
  const [action, files = []] = cmd.processedArgs as [string | undefined, string[] | undefined];

  if (action === 'compare' || action === 'merge') {
    if (files.length < (action === 'compare' ? 1 : 2))
      usageError(cmd, `bench ${action} needs ${action === 'compare' ? 'one or more' : 'two or more'} JSON files`);
    if (action === 'merge' && !o.out && !o.json) usageError(cmd, 'bench merge needs --out <merged.json> (or --json to print it)');
    if (action === 'compare' && o.json) usageError(cmd, 'bench compare prints a table; --out chart.html writes the chart');
    if (o.out) checkOutputFile(o.out, '--out', [action === 'merge' ? '.json' : '.html'], files);
    const reports = files.map(readReport);
    if (action === 'merge') {
      const merged = JSON.stringify(mergeReports(reports), null, 2) + '\n';
      if (o.out) {
        writeOutputFile(o.out, merged);
        if (!o.json) io.stdout(`merged ${files.length} reports into ${o.out}\n`);
      }
      if (o.json) io.stdout(merged);
      return 0;
    }
    const labeled = reports.map((report, i) => ({ label: path.basename(files[i]!).replace(/\.json$/i, ''), report }));
    io.stdout(compareReports(labeled) + '\n');
    if (o.out) {
      writeOutputFile(o.out, compareChartHtml(labeled));
      io.stdout(`chart written to ${o.out}\n`);
    }
    return 0;
  }
  if (action !== undefined) {
    const hint = /\.json$/i.test(action) ? ` (to write the report, use --out ${action}; --json prints it to stdout)` : '';
    usageError(cmd, `unknown bench action '${action}' (expected compare or merge, or options only)${hint}`);
  }

  const suites = parseSuites(o.suite);
  const iterations = o.iterations === undefined ? undefined : parseIterations(o.iterations);
  if (o.out)
    checkOutputFile(
      o.out,
      '--out',
      ['.json'],
      [o.csv, o.folder].filter((x): x is string => !!x),
    );
  const report = await runBenchmark({
    suites,
    quick: o.quick,
    peers: o.peers,
    only: o.only,
    iterations,
    profile: o.profile,
    csvFile: o.csv,
    folder: o.folder,
    backend: o.backend,
    log: (m) => io.stderr(`bench: ${m}\n`),
  });
  const json = JSON.stringify(report, null, 2) + '\n';
  io.stdout(o.json ? json : formatReport(report) + '\n');
  if (o.out) {
    writeOutputFile(o.out, json);
    if (!o.json) io.stdout(`JSON written to ${o.out}\n`);
  }
  return 0;
}
