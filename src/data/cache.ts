import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FER_PIXELS, type FerDataset } from './dataset.js';
import { userCacheDir } from '../io/cache-dir.js';

/**
 * Decoded-dataset cache: one binary file per data source (CSV file or image folder),
 *   8-byte magic | u32 LE header length | JSON header | labels | splits | pixels
 * where the header holds `key` (sha256 of the source's content: every byte of the CSV, or every
 * image's relative path and bytes) and `sha256` (of the cached data itself).
 *
 * It lives in the user's own cache folder, `$FER_GPU_CACHE_DIR`, else `$XDG_CACHE_HOME/fer-gpu`,
 * else `~/.cache/fer-gpu` (under `data/`), created private (0700); never beside the data or in a
 * shared temporary folder. A cache file is used only when it is owned by the user, writable by no
 * one else, its key is the content hash of the data as it is now (any edit, even one that keeps
 * sizes and times, invalidates it) and its data match their checksum; anything else is ignored
 * and rewritten.
 */

const MAGIC = Buffer.from('FERGPU\x02\n', 'latin1');
const VERSION = 2;

/** `true` (default): the user's cache folder; `false`: no cache; a string: this cache folder. */
export type CacheOption = boolean | string;

/** The cache file of a CSV file or image folder, or null for none. */
export function cacheFile(source: string, option: CacheOption): string | null {
  if (option === false) return null;
  const abs = path.resolve(source);
  const id = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  return path.join(typeof option === 'string' ? option : path.join(userCacheDir(), 'data'), `${path.basename(abs)}-${id}-v${VERSION}.bin`);
}

/** sha256 of a file's bytes, read in 1 MiB chunks (no stream, so no stray 'error' event). */
export function fileDigest(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** The cache key of a source: sha256 over `(name, content digest)` of each of its files, in order. */
export function contentKey(entries: Iterable<{ name: string; digest: string }>): string {
  const h = createHash('sha256');
  h.update(`fer-gpu data cache v${VERSION}\n`);
  for (const e of entries) h.update(`${e.name}\0${e.digest}\n`);
  return h.digest('hex');
}

/** sha256 of a dataset's content as cached (labels, splits, pixels, keys). */
function dataDigest(ds: Pick<FerDataset, 'labels' | 'splits' | 'pixels' | 'keys'>): string {
  return createHash('sha256').update(ds.labels).update(ds.splits).update(ds.pixels).update(JSON.stringify(ds.keys)).digest('hex');
}

/**
 * Whether a file or folder may be trusted as the user's own: owned by the user and writable by
 * no one else. (Where there are no user ids, as on Windows, every file passes.)
 */
function ownedPrivately(st: fs.Stats): boolean {
  const uid = process.getuid?.();
  return uid === undefined || (st.uid === uid && (st.mode & 0o022) === 0);
}

/** Reads the cache file if it is the user's own, holds `key` and its data match their checksum; else null. */
export function readCache(file: string | null, key: string, source: string): { ds: FerDataset; path: string } | null {
  if (!file) return null;
  let buf: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      if (!ownedPrivately(fs.fstatSync(fd))) return null; // checked on the file actually read
      buf = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  try {
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    const headerLen = buf.readUInt32LE(MAGIC.length);
    let off = MAGIC.length + 4;
    const header = JSON.parse(buf.toString('utf8', off, off + headerLen)) as {
      key: string;
      sha256: string;
      length: number;
      keys: string[];
    };
    off += headerLen;
    const n = header.length;
    if (header.key !== key || !Array.isArray(header.keys) || header.keys.length !== n || buf.length !== off + n * (2 + FER_PIXELS))
      return null;
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const labels = bytes.subarray(off, off + n);
    const splits = bytes.subarray(off + n, off + 2 * n);
    const pixels = bytes.subarray(off + 2 * n, off + 2 * n + n * FER_PIXELS);
    const ds = { length: n, pixels, labels, splits, keys: header.keys, source, issues: [] };
    return dataDigest(ds) === header.sha256 ? { ds, path: file } : null;
  } catch {
    return null; // a corrupt cache is ignored and rewritten
  }
}

/**
 * Makes the cache folder (private) if needed. The default folder must be the user's own; a folder
 * the caller chose may be shared, since each cache file read is checked itself.
 */
function cacheFolderReady(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir !== path.join(userCacheDir(), 'data') || ownedPrivately(fs.statSync(dir));
  } catch {
    return false;
  }
}

/**
 * Writes the cache file atomically (temp file + rename), private to the user.
 * Returns its path, or null when it could not be written.
 */
export function writeCache(file: string | null, key: string, ds: FerDataset): string | null {
  if (!file || !cacheFolderReady(path.dirname(file))) return null;
  const header = Buffer.from(JSON.stringify({ key, sha256: dataDigest(ds), length: ds.length, keys: ds.keys }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      for (const part of [MAGIC, len, header, ds.labels, ds.splits, ds.pixels]) {
        for (let done = 0; done < part.length;) done += fs.writeSync(fd, part, done);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return file;
  } catch {
    fs.rmSync(tmp, { force: true });
    return null;
  }
}
