import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes `bytes` to `file` atomically: the bytes go to a temporary file in the same folder, which
 * is flushed to disk (fsync) and then renamed over `file`. A crash or error at any point leaves
 * either the complete previous file or the complete new one, never a torn mix; on error the
 * temporary file is removed and the error is re-thrown.
 */
export function writeFileAtomicSync(file: string, bytes: Uint8Array): void {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    for (let done = 0; done < bytes.length;) {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

/** Flushes a folder's entry list so the rename survives a power cut (not possible on Windows). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open or fsync a folder; the rename itself has already happened.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
