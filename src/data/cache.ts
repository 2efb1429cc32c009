import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FER_PIXELS, type FerDataset } from './dataset.js';

/**
 * Decoded-dataset cache. One binary file per data source:
 *   8-byte magic | u32 LE header length | JSON header {fingerprint, length, keys} | labels | splits | pixels
 * It lives in `.fer-gpu-cache/` beside the data, or under `os.tmpdir()` when the data folder is
 * read-only. The fingerprint covers the size and mtime of every source file, so any change invalidates it.
 */

const MAGIC = Buffer.from('FERGPU\x01\n', 'latin1');
const VERSION = 1;

/** `true` (default): cache beside the data, else under os.tmpdir(); `false`: no cache; a string: this cache directory. */
export type CacheOption = boolean | string;

/** Cache files to try, in order, for a CSV file or image folder. */
export function cachePaths(source: string, option: CacheOption): string[] {
  if (option === false) return [];
  const abs = path.resolve(source);
  const id = createHash('sha1').update(abs).digest('hex').slice(0, 16);
  const file = `${path.basename(abs)}-${id}-v${VERSION}.bin`;
  if (typeof option === 'string') return [path.join(option, file)];
  let isDir = false;
  try {
    isDir = fs.statSync(abs).isDirectory();
  } catch {
    /* the loader reports a missing source */
  }
  const beside = isDir ? path.join(abs, '.fer-gpu-cache') : path.join(path.dirname(abs), '.fer-gpu-cache');
  return [path.join(beside, file), path.join(os.tmpdir(), 'fer-gpu-cache', file)];
}

/** Hash of `(relative path, size, mtime)` for every file, in the given order. */
export function fingerprint(entries: Iterable<{ path: string; size: number; mtimeMs: number }>): string {
  const h = createHash('sha256');
  h.update(`v${VERSION}\n`);
  for (const e of entries) h.update(`${e.path}\t${e.size}\t${e.mtimeMs}\n`);
  return h.digest('hex');
}

/** Reads the first cache file whose fingerprint matches, or returns null. */
export function readCache(paths: string[], fp: string, source: string): { ds: FerDataset; path: string } | null {
  for (const p of paths) {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(p);
    } catch {
      continue;
    }
    try {
      if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) continue;
      const headerLen = buf.readUInt32LE(MAGIC.length);
      let off = MAGIC.length + 4;
      const header = JSON.parse(buf.toString('utf8', off, off + headerLen)) as { fingerprint: string; length: number; keys: string[] };
      off += headerLen;
      const n = header.length;
      if (header.fingerprint !== fp || header.keys.length !== n || buf.length !== off + n * (2 + FER_PIXELS)) continue;
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      const labels = bytes.subarray(off, off + n);
      const splits = bytes.subarray(off + n, off + 2 * n);
      const pixels = bytes.subarray(off + 2 * n, off + 2 * n + n * FER_PIXELS);
      return { ds: { length: n, pixels, labels, splits, keys: header.keys, source, issues: [] }, path: p };
    } catch {
      continue; // a corrupt cache is ignored and rewritten
    }
  }
  return null;
}

/**
 * Whether we may write into `dir` (or create it inside its parent). A folder without any write bit
 * counts as read-only even for root, who could write there anyway: shared data must stay untouched.
 */
function mayWrite(dir: string): boolean {
  let d = dir;
  while (!fs.existsSync(d)) {
    const parent = path.dirname(d);
    if (parent === d) return false;
    d = parent;
  }
  try {
    fs.accessSync(d, fs.constants.W_OK);
    return (fs.statSync(d).mode & 0o222) !== 0;
  } catch {
    return false;
  }
}

/**
 * Writes the cache atomically (temp file + rename) to the first writable path.
 * Returns the path written, or null when none was writable.
 */
export function writeCache(paths: string[], fp: string, ds: FerDataset): string | null {
  const header = Buffer.from(JSON.stringify({ fingerprint: fp, length: ds.length, keys: ds.keys }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  for (const p of paths) {
    if (!mayWrite(path.dirname(p))) continue;
    const tmp = `${p}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      const fd = fs.openSync(tmp, 'w');
      try {
        for (const part of [MAGIC, len, header, ds.labels, ds.splits, ds.pixels]) {
          for (let done = 0; done < part.length; ) done += fs.writeSync(fd, part, done);
        }
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, p);
      return p;
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  }
  return null;
}
