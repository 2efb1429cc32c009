/**
 * A training run's folder: created safely, locked while a run writes in it, refused to a fresh
 * run when it already holds one, and brought back in line with its checkpoint on resume.
 *
 *     <dir>/run.lock                  while a run is in progress (pid, host, start time; touched every minute)
 *     <dir>/checkpoint.safetensors    what resume reads: model + optimizer + counters (checkpoint.ts)
 *     <dir>/last.safetensors          the model of the checkpoint's step
 *     <dir>/best.safetensors          the model of the best validated epoch
 *     <dir>/train-log.jsonl           one line per finished epoch
 *
 * Order of the writes at an epoch's end: checkpoint, last, best, log line. A crash between two of
 * them leaves a checkpoint from which the others can be rebuilt (see {@link repairRunFolder}).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomicSync } from '../io/atomic.js';
import { readSafetensors } from '../io/safetensors.js';
import type { FerDataset } from '../data/dataset.js';
import type { StateDict } from '../nn/module.js';
import { CHECKPOINT_FILE, saveStateDict, tensorsDigest, type ModelFileMeta } from './checkpoint.js';
import { optionName } from './options.js';

export const LOCK_FILE = 'run.lock';
export const LAST_FILE = 'last.safetensors';
export const BEST_FILE = 'best.safetensors';
export const LOG_FILE = 'train-log.jsonl';
/** The optimizer-state file of fer-gpu before checkpoints were one file. */
const LEGACY_STATE_FILE = 'last.state.safetensors';
/** The files a run writes (what `overwrite` removes). */
const RUN_FILES = [CHECKPOINT_FILE, LAST_FILE, BEST_FILE, LOG_FILE, LEGACY_STATE_FILE];

/**
 * `mkdir -p` that fails cleanly: Node's recursive mkdir loops forever on some paths (`/proc/x`),
 * so the missing folders are made one at a time. Errors are InputErrors naming `what`.
 */
export function makeDirs(dir: string, what = dir): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch {
      // missing: make it after its parent
    }
    if (st) {
      if (!st.isDirectory()) throw new InputError(`${what}: ${d} is not a folder`);
      break;
    }
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing.reverse()) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(`${what}: cannot create ${m}: ${(e as Error).message}`);
    }
  }
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  /** Unique per lock, so a stale lock is told apart from a fresh one. */
  token: string;
  /** The process's start time (Linux), so a reused pid is not mistaken for the run. */
  processStart?: string;
  /** The holder touches the file every {@link HEARTBEAT_MS} (locks of older fer-gpu versions do not). */
  heartbeat?: boolean;
}

/** How often a run touches its lock file, so that runs on other hosts can tell it is alive. */
export const HEARTBEAT_MS = 60_000;
/** A lock from another host whose heartbeat has not touched it for this long is stale. */
export const STALE_AFTER_MS = 10 * HEARTBEAT_MS;

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), where there is one. */
function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) && typeof info.token === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the run that holds a lock may still be running. On this host: its pid lives and is the
 * same process. From another host (a shared file system), only the heartbeat can tell: a lock
 * untouched for {@link STALE_AFTER_MS} is stale; one without a heartbeat always may be running.
 */
function holderAlive(info: LockInfo, file: string): boolean {
  if (info.host !== os.hostname()) {
    if (!info.heartbeat) return true;
    const touched = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
    return touched === undefined || Date.now() - touched < STALE_AFTER_MS;
  }
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // ESRCH: no such process
  }
  const start = processStart(info.pid);
  return !(info.processStart && start && start !== info.processStart);
}

/**
 * Locks a run folder (creating it) for this process: `run.lock`, made with an atomic link so it
 * is never seen half-written, and touched every minute while the process lives. A lock whose
 * process is gone (same host: pid dead or reused; another host: not touched for 10 minutes) is
 * stale and taken over. Returns the function that releases the lock.
 * @throws InputError naming the folder when another run holds it, or it cannot be written.
 */
export function lockRunFolder(dir: string): () => void {
  makeDirs(dir, `cannot use ${dir} as the run folder`);
  const file = path.join(dir, LOCK_FILE);
  const mine: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
    processStart: processStart(process.pid),
    heartbeat: true,
  };
  const tmp = `${file}.${mine.token}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(mine) + '\n', { flag: 'wx' });
  } catch (e) {
    throw new InputError(`${dir}: cannot write in the run folder: ${(e as Error).message}`);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new InputError(`${dir}: cannot lock the run folder: ${(e as Error).message}`);
      }
      const held = readLock(file);
      if (attempt >= 3 || (held && holderAlive(held, file))) {
        const who = held ? `pid ${held.pid} on ${held.host}, since ${held.since}` : 'an unreadable lock';
        throw new InputError(
          `${dir} is in use by another training run (${who}); wait for it to end, or use another folder. ` +
            `If that run is gone, delete ${file}.`,
        );
      }
      // Stale: move it aside, and give it back if another process replaced it meanwhile.
      const aside = `${file}.${mine.token}.stale`;
      try {
        fs.renameSync(file, aside);
      } catch {
        continue; // someone else removed it first
      }
      const moved = readLock(aside);
      if (held && moved?.token !== held.token) {
        try {
          fs.linkSync(aside, file);
        } catch {
          // a third lock appeared: the next attempt reports it
        }
      }
      fs.rmSync(aside, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const ours = () => readLock(file)?.token === mine.token;
  const heartbeat = setInterval(() => {
    if (!ours()) return;
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
    } catch {
      // the folder is gone or read-only now: the run's own writes will say so
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return () => {
    clearInterval(heartbeat);
    if (ours()) fs.rmSync(file, { force: true });
  };
}

/**
 * Checks a locked run folder before a run starts: a fresh run (no `resume`) refuses a folder
 * that holds a run unless `overwrite` (then that run's files are removed); a resumed run needs
 * a checkpoint, and says what to do with a folder of an older fer-gpu.
 * @returns the checkpoint's path.
 */
export function prepareRunFolder(dir: string, { resume, overwrite }: { resume?: boolean; overwrite?: boolean }): string {
  const checkpoint = path.join(dir, CHECKPOINT_FILE);
  const present = RUN_FILES.filter((f) => fs.existsSync(path.join(dir, f)));
  if (resume) {
    if (fs.existsSync(checkpoint)) return checkpoint;
    if (present.includes(LEGACY_STATE_FILE)) {
      throw new InputError(
        `train: ${path.join(dir, LEGACY_STATE_FILE)} was written by an older fer-gpu, whose checkpoints resume cannot verify; ` +
          `start a new run from its weights (fer-gpu train --init ${path.join(dir, LAST_FILE)})`,
      );
    }
    throw new InputError(`train: nothing to resume in ${dir} (no ${CHECKPOINT_FILE})`);
  }
  if (present.length > 0) {
    if (!overwrite) {
      throw new InputError(
        `train: ${dir} already holds a run (${present.join(', ')}); continue it with --resume, ` +
          `replace it with --overwrite, or choose another --out`,
      );
    }
    for (const f of present) fs.rmSync(path.join(dir, f), { force: true });
  }
  return checkpoint;
}

/** Whether a model file holds exactly these tensors (false when it is missing or unreadable). */
function holds(file: string, digest: string): boolean {
  try {
    return tensorsDigest(readSafetensors(file).tensors) === digest;
  } catch {
    return false;
  }
}

/**
 * Brings a run folder in line with the checkpoint a run resumes from, after a crash between the
 * writes of one step: `last.safetensors` is the checkpoint's model; `best.safetensors` is `best`
 * (default: the model; the EMA weights when they were selected) when the checkpoint was written
 * at the end of the best epoch; `train-log.jsonl` has one line per epoch of `history`. Earlier
 * writes are complete: a checkpoint is written only after them.
 */
export function repairRunFolder(
  dir: string,
  c: { model: StateDict; best?: StateDict; history: readonly object[]; bestIsCheckpoint: boolean },
  width: number,
  meta: ModelFileMeta,
): void {
  const exports: Array<[string, StateDict]> = [
    [LAST_FILE, c.model],
    ...(c.bestIsCheckpoint ? [[BEST_FILE, c.best ?? c.model] as [string, StateDict]] : []),
  ];
  for (const [f, state] of exports)
    if (!holds(path.join(dir, f), tensorsDigest(state))) saveStateDict(path.join(dir, f), state, width, meta);
  const log = path.join(dir, LOG_FILE);
  const lines = c.history.map((e) => JSON.stringify(e) + '\n').join('');
  let current: string | undefined;
  try {
    current = fs.readFileSync(log, 'utf8');
  } catch {
    // missing: written below
  }
  if (current !== lines) writeFileAtomicSync(log, Buffer.from(lines));
}

/** sha256 of a dataset's images, labels and splits: what a resumed run must train on again. */
export function datasetFingerprint(ds: FerDataset): string {
  return createHash('sha256').update(`${ds.length}\n`).update(ds.labels).update(ds.splits).update(ds.pixels).digest('hex');
}

/** JSON with object keys sorted, so equal settings compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * Refuses to resume a run with another configuration or other data than it was started with.
 * @throws InputError naming the checkpoint, the first field that differs (and its flag), and both values.
 */
export function checkSameRun(file: string, saved: Record<string, unknown>, now: Record<string, unknown>): void {
  for (const key of new Set([...Object.keys(saved), ...Object.keys(now)])) {
    const [was, is] = [canonical(saved[key]), canonical(now[key])];
    if (was === is) continue;
    const what = key === 'trainData' ? 'the training data (--data)' : key === 'valData' ? 'the validation data (--data)' : optionName(key);
    const values = key.endsWith('Data')
      ? `sha256 fingerprint ${was.slice(1, 13)}… in that run, ${is.slice(1, 13)}… now`
      : `${was} in that run, ${is} now`;
    throw new InputError(
      `train: cannot resume ${file}: ${what} differs: ${values}. A resumed run keeps its configuration and data; ` +
        `to change them, start a new run from its weights (fer-gpu train --init ${path.join(path.dirname(file), LAST_FILE)})`,
    );
  }
}
