import fs from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { checkDataset, formatCheckReport } from '../data/check.js';
import { loadFer2013Csv } from '../data/csv.js';
import { FerDataError, type FerDataset } from '../data/dataset.js';
import { loadImageFolder } from '../data/folder.js';
import { cliCommand, processIO, runCli, usageError, type CliIO } from './common.js';

export type { CliIO };

/**
 * `fer-gpu data <action> ...`: `argv` holds the arguments after `data`. The one action is
 * `check` (see {@link runDataCheck}); `fer-gpu data --help` lists it. Returns the exit code.
 */
export async function runData(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  if (argv[0] === 'check') return runDataCheck(argv.slice(1), io);
  const cmd = cliCommand('fer-gpu data', io)
    .description('Check FER data.')
    .usage('check <csv|dir> [options]')
    .argument('<action>', "'check'")
    .addHelpText(
      'after',
      '\nActions:\n  check <csv|dir>  counts, blank images, duplicates and train/test leakage (options: fer-gpu data check --help)',
    )
    .allowExcessArguments()
    .allowUnknownOption();
  return runCli(cmd, argv, io, async () => usageError(cmd, `unknown action '${cmd.args[0]}' (expected: fer-gpu data check <csv|dir>)`));
}

/**
 * `fer-gpu data check <csv|dir> [--json] [--no-cache] [--near-constant-std N]`.
 * `argv` holds the arguments after `data check`. Loads the CSV or image folder with
 * `onError: 'skip'`, prints the check (a table, or JSON with --json) to stdout and every
 * unreadable row/file to stderr (`fer-gpu: <file:line>: <problem>`). Returns the exit code: 0 when
 * everything could be read, 1 when anything could not (or the input could not be opened at all)
 * and for bad values, 2 for bad usage.
 */
export async function runDataCheck(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const cmd = cliCommand('fer-gpu data check', io)
    .description('Check a FER2013 CSV or image folder: counts, blank images, duplicates and train/test leakage.')
    .argument('<path>', 'fer2013.csv-style file or image folder (train/<class>/, test/<class>/)')
    .option('--json', 'print the report as JSON')
    .option('--no-cache', 'do not read or write the decoded cache')
    .option('--near-constant-std <n>', 'flag images whose pixel std (0-255) is below this', '2');
  return runCli(cmd, argv, io, () => check(cmd, io));
}

async function check(cmd: Command, io: CliIO): Promise<number> {
  const target = cmd.args[0]!;
  const opts = cmd.opts<{ json?: boolean; cache: boolean; nearConstantStd: string }>();
  const nearConstantStd = Number(opts.nearConstantStd);
  if (!(nearConstantStd >= 0)) throw new InputError(`--near-constant-std must be a number >= 0, got '${opts.nearConstantStd}'`);

  let ds: FerDataset;
  try {
    const isDir = fs.existsSync(target) && fs.statSync(target).isDirectory();
    const load = { onError: 'skip' as const, onSkip: () => {}, cache: opts.cache }; // every issue is printed below
    ds = isDir ? await loadImageFolder(target, load) : await loadFer2013Csv(target, load);
  } catch (e) {
    const issue =
      e instanceof FerDataError ? { location: e.location, message: e.detail } : { location: target, message: (e as Error).message };
    io.stderr(`fer-gpu: ${issue.location}: ${issue.message}\n`);
    if (opts.json) io.stdout(JSON.stringify({ source: target, ok: false, issues: [issue] }, null, 2) + '\n');
    return 1;
  }

  const report = checkDataset(ds, { nearConstantStd });
  for (const i of report.issues) io.stderr(`fer-gpu: ${i.location}: ${i.message}\n`);
  io.stdout((opts.json ? JSON.stringify(report, null, 2) : formatCheckReport(report)) + '\n');
  return report.ok ? 0 : 1;
}
