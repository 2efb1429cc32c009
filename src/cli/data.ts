import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { checkDataset, formatCheckReport } from '../data/check.js';
import { loadFer2013Csv } from '../data/csv.js';
import { FerDataError, type FerDataset } from '../data/dataset.js';
import { loadImageFolder } from '../data/folder.js';

/** Where {@link runDataCheck} writes; defaults to the process streams. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIO: CliIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/**
 * `fer-gpu data check <csv|dir> [--json] [--no-cache] [--near-constant-std N]`.
 * `argv` holds the arguments after `data check`. Loads the CSV or image folder with
 * `onError: 'skip'`, prints the check (a table, or JSON with --json) to stdout and every
 * unreadable row/file to stderr. Returns the exit code: 0 when everything could be read,
 * 1 when anything could not (or the input could not be opened at all) and for bad arguments.
 */
export async function runDataCheck(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const cmd = new Command('fer-gpu data check')
    .description('Check a FER2013 CSV or image folder: counts, blank images, duplicates and train/test leakage.')
    .argument('<path>', 'fer2013.csv-style file or image folder (train/<class>/, test/<class>/)')
    .option('--json', 'print the report as JSON')
    .option('--no-cache', 'do not read or write the decoded cache')
    .option('--near-constant-std <n>', 'flag images whose pixel std (0-255) is below this', '2')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  const target = cmd.args[0]!;
  const opts = cmd.opts<{ json?: boolean; cache: boolean; nearConstantStd: string }>();
  const nearConstantStd = Number(opts.nearConstantStd);
  if (!(nearConstantStd >= 0)) {
    io.stderr(`error: --near-constant-std must be a number >= 0, got '${opts.nearConstantStd}'\n`);
    return 1;
  }

  let ds: FerDataset;
  try {
    const isDir = fs.existsSync(target) && fs.statSync(target).isDirectory();
    const load = { onError: 'skip' as const, cache: opts.cache };
    ds = isDir ? await loadImageFolder(target, load) : await loadFer2013Csv(target, load);
  } catch (e) {
    const issue = e instanceof FerDataError ? { location: e.location, message: e.detail } : { location: target, message: (e as Error).message };
    io.stderr(`error: ${issue.location}: ${issue.message}\n`);
    if (opts.json) io.stdout(JSON.stringify({ source: target, ok: false, issues: [issue] }, null, 2) + '\n');
    return 1;
  }

  const report = checkDataset(ds, { nearConstantStd });
  for (const i of report.issues) io.stderr(`error: ${i.location}: ${i.message}\n`);
  io.stdout((opts.json ? JSON.stringify(report, null, 2) : formatCheckReport(report)) + '\n');
  return report.ok ? 0 : 1;
}
