/**
 * What every `fer-gpu` command shares: where output goes, how errors print and which exit code
 * they give, argument parsing, and output-file arguments.
 *
 * Exit codes, everywhere: 0 done; 1 bad input (a file, a value, a shape: InputError) or a failed
 * run; 2 bad usage (an unknown option, a missing argument: commander's errors and usageError);
 * `drift --fail-on-drift` adds 3. Errors print as one line, `fer-gpu: <message>`
 * (FER_GPU_DEBUG=1 adds the stack of an unexpected error).
 *
 * @example
 * // a command usable as a function, as runDrift and runDataCheck are
 * export async function runThing(argv: readonly string[], io: CliIO = processIO): Promise<number> {
 *   const cmd = cliCommand('fer-gpu thing', io).argument('<file>').option('--out <file>', 'write here');
 *   return runCli(cmd, argv, io, async () => {
 *     const out = cmd.opts().out ? checkOutputFile(cmd.opts().out, '--out', ['.json']) : undefined;
 *     ... // work
 *   });
 * }
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { InputError } from '../errors.js';
import { writeFileAtomicSync } from '../io/atomic.js';
import { resolveWeights } from '../train/pretrained.js';

/** Where a command writes; the process streams by default (tests capture them). */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIO: CliIO = { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) };

/** Exit codes of every command (see the module comment). */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/**
 * Sets a command up the fer-gpu way: output through `io`, commander's own errors (unknown
 * option, missing argument) as one line `fer-gpu: <message> (see <name> --help)`, and errors
 * thrown instead of process.exit. `name` is the full command as a user types it.
 */
export function configureCli(cmd: Command, io: CliIO = processIO, name = cmd.name()): Command {
  return cmd.exitOverride().configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
    outputError: (message, write) => write(`fer-gpu: ${message.trim().replace(/^error: /, '')} (see ${name} --help)\n`),
  });
}

/** A new command set up by {@link configureCli}; `name` as a user types it ('fer-gpu drift'). */
export function cliCommand(name: string, io: CliIO = processIO): Command {
  return configureCli(new Command(name), io, name);
}

/**
 * The text of an input file.
 * @throws InputError `<file>: cannot read (<code>)`.
 */
export function readInputText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Reports bad usage the way commander does (one line, exit 2) and stops. */
export function usageError(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: EXIT.usage, code: 'fer-gpu.usage' });
}

/**
 * Prints an error as one line and returns its exit code: 0 after --help or --version, 2 for bad
 * usage (commander has printed its own line), 1 for anything else.
 */
export function reportError(e: unknown, io: CliIO = processIO): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const message = e instanceof Error ? e.message : String(e);
  io.stderr(`fer-gpu: ${message.replace(/^fer-gpu: /, '')}\n`);
  if (process.env.FER_GPU_DEBUG && !(e instanceof InputError) && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
  return EXIT.error;
}

/**
 * Parses `argv` (the arguments after the command's name) with `cmd`, then runs `action`; returns
 * the action's exit code (0 when it returns nothing), or the error's (see {@link reportError}).
 */
export async function runCli(cmd: Command, argv: readonly string[], io: CliIO, action: () => Promise<number | void>): Promise<number> {
  try {
    await cmd.parseAsync([...argv], { from: 'user' });
    return (await action()) ?? EXIT.ok;
  } catch (e) {
    return reportError(e, io);
  }
}

/** True when `inner` is `outer` or inside it (both resolved, symlinks followed where they exist). */
function within(inner: string, outer: string): boolean {
  const real = (p: string): string => {
    // the nearest existing ancestor's real path, plus the rest
    const rest: string[] = [];
    let at = path.resolve(p);
    for (;;) {
      try {
        return path.join(fs.realpathSync(at), ...rest.reverse());
      } catch {
        const up = path.dirname(at);
        if (up === at) return path.resolve(p);
        rest.push(path.basename(at));
        at = up;
      }
    }
  };
  const rel = path.relative(real(outer), real(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Checks an output-file argument before any work starts, so a long run does not fail at its end:
 * a known extension (returned, lower case, with its dot), not an input of the command nor inside
 * an input folder (nothing the user gave is overwritten), not a folder, and a folder it can be
 * written in (missing folders are created when writing).
 * @throws InputError naming the option and the file.
 */
export function checkOutputFile(file: string, option: string, extensions: readonly string[], inputs: readonly string[] = []): string {
  const what = `${option} ${file}`;
  const ext = path.extname(file).toLowerCase();
  if (!extensions.includes(ext))
    throw new InputError(`${what}: unsupported file type '${ext || '(none)'}' (expected ${extensions.join(', ')})`);
  for (const input of inputs) {
    if (within(file, input)) {
      throw new InputError(
        `${what}: ${path.resolve(file) === path.resolve(input) || !isFolder(input) ? 'is the input' : 'is inside the input folder'} ${input}; write the output elsewhere`,
      );
    }
  }
  if (isFolder(file)) throw new InputError(`${what}: is a folder; give a file name`);
  // The nearest existing folder must take a new file (a read-only disk, /proc, no permission).
  let dir = path.dirname(path.resolve(file));
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  if (!isFolder(dir)) throw new InputError(`${what}: ${dir} is not a folder`);
  const probe = path.join(dir, `.fer-gpu-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe);
    if (fs.existsSync(file)) fs.accessSync(file, fs.constants.W_OK);
  } catch (e) {
    throw new InputError(`${what}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return ext;
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Writes an output file atomically (the old file stays whole until the new one is complete), creating its folder. */
export function writeOutputFile(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomicSync(file, typeof data === 'string' ? Buffer.from(data) : data);
}

/** Collects a repeatable option's values (`--out a.html --out a.json`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The checkpoint a command uses (--weights, else the shipped one or $FER_GPU_WEIGHTS), checked to exist before any work. */
export function weightsFile(weights: string | undefined): string {
  const file = resolveWeights(weights);
  if (!fs.existsSync(file)) throw new InputError(`--weights ${file}: no such file`);
  return file;
}

/** Option parsers (commander's `argParser`): each names its flag in the error. A positive integer. */
export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InputError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
}
/** A finite number. */
export function finiteNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InputError(`--${name} must be a number, got '${v}'`);
    return n;
  };
}
/** A probability in [0, 1]. */
export function probability(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InputError(`--${name} must be a probability in [0, 1], got '${v}'`);
    return n;
  };
}
/** "0.8,1.2": a range of two positive numbers, low first. */
export function numberRange(name: string) {
  return (v: string): [number, number] => {
    const parts = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (parts.length !== 2 || !(parts[0]! > 0 && parts[1]! >= parts[0]!))
      throw new InputError(`--${name} must be two positive numbers low,high (e.g. 0.8,1.2), got '${v}'`);
    return [parts[0]!, parts[1]!];
  };
}

/** The --on-error value, checked. */
export function onErrorMode(value: string | undefined): 'throw' | 'skip' | undefined {
  if (value !== undefined && value !== 'throw' && value !== 'skip')
    throw new InputError(`--on-error must be throw or skip, got '${value}'`);
  return value;
}
