/**
 * Dawn prints two lines to the process's stderr (file descriptor 2, from C++) the first time an
 * instance looks at a Vulkan adapter whose driver reports more dynamic buffers than Dawn supports
 * (lavapipe, RADV, NVIDIA):
 *
 *   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 ...
 *   Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 ...
 *
 * They come from Dawn's adapter-limit normalisation (dawn/native/Limits.cpp), whatever limits
 * are requested, and Dawn offers no switch or callback for them. With {@link filterDawnWarnings}
 * (the CLI turns it on), adapter discovery runs with fd 2 pointed at a temporary file; what
 * lands there is copied back to stderr without those two lines. This needs Linux (the real stderr
 * is reopened through /proc/self/fd) and stderr on a terminal or a pipe; elsewhere (a file, which
 * a reopen would not share the offset of, or another OS) nothing is filtered. It swaps fd 2 only
 * while nothing else runs (the CLI creates its device between steps), so it is off in the library.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The lines dropped (Dawn's dynamic-offset limit clamp). */
export const DAWN_LIMIT_WARNING =
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

let enabled = false;

/** Filters Dawn's limit warnings from now on (see the module comment). */
export function filterDawnWarnings(on = true): void {
  enabled = on;
}

/** Whether fd `fd` is open. */
function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** Opens `file` and checks it landed on fd 2 (the lowest free descriptor after closing 2). */
function openAt2(file: string, flags: number): boolean {
  const fd = fs.openSync(file, flags);
  if (fd === 2) return true;
  fs.closeSync(fd);
  return false;
}

/**
 * Runs `fn` with native writes to fd 2 captured, then writes them to stderr less the lines that
 * match `drop`. Runs `fn` as it is when the filter is off or cannot be applied safely.
 */
export async function withFilteredStderr<T>(fn: () => Promise<T>, drop: RegExp = DAWN_LIMIT_WARNING): Promise<T> {
  if (!enabled || process.platform !== 'linux') return fn();
  void process.stderr; // Node's own stderr stream is set up on the real fd 2 before it is swapped
  let kind: fs.Stats;
  try {
    kind = fs.fstatSync(2);
  } catch {
    return fn();
  }
  if (!(kind.isCharacterDevice() || kind.isFIFO()) || !isOpen(0) || !isOpen(1)) return fn();
  let saved: number;
  try {
    saved = fs.openSync('/proc/self/fd/2', fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
  } catch {
    return fn();
  }
  const capture = path.join(os.tmpdir(), `fer-gpu-stderr-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.closeSync(2);
  let swapped = false;
  try {
    swapped = openAt2(capture, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL);
  } catch {
    // no capture file: stderr goes straight back
  }
  const reopenStderr = (): void => {
    if (!openAt2(`/proc/self/fd/${saved}`, fs.constants.O_WRONLY | fs.constants.O_NOCTTY)) {
      throw new Error('fer-gpu: could not restore stderr after filtering Dawn warnings');
    }
  };
  if (!swapped) {
    if (!isOpen(2)) reopenStderr();
    fs.closeSync(saved);
    fs.rmSync(capture, { force: true });
    return fn();
  }
  try {
    return await fn();
  } finally {
    fs.closeSync(2);
    reopenStderr();
    fs.closeSync(saved);
    const text = fs.readFileSync(capture, 'utf8');
    fs.rmSync(capture, { force: true });
    const kept = text.split('\n').filter((line, i, all) => !drop.test(line) && !(i === all.length - 1 && line === ''));
    if (kept.length > 0) fs.writeSync(2, kept.join('\n') + '\n');
  }
}
