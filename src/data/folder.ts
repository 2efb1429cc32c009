import fs from 'node:fs';
import path from 'node:path';
import { FER_CLASSES } from '../classes.js';
import { cacheFile, contentKey, fileDigest, readCache, writeCache, type CacheOption } from './cache.js';
import { DatasetBuilder, FerDataError, reportSkipped, splitId, type FerDataset, type LoadIssue, type OnError, type SkipOptions } from './dataset.js';
import { decodeImage } from './image.js';

/** Options of {@link loadImageFolder}. */
export interface LoadFolderOptions extends SkipOptions {
  /** Decoded cache: `true` (default) in the user's cache folder (see cache.ts); `false` for none; or a cache folder. */
  cache?: CacheOption;
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;
const SPLIT_FOLDERS = ['train', 'test'] as const;

interface ImageFile {
  path: string; // absolute
  rel: string;
  label: number;
  split: number;
}

/** Split of a file: train/ is Training; in test/, Kaggle's PublicTest_/PrivateTest_ prefixes, else Test. */
function splitOf(folder: (typeof SPLIT_FOLDERS)[number], name: string): number {
  if (folder === 'train') return splitId('Training');
  if (name.startsWith('PublicTest_')) return splitId('PublicTest');
  if (name.startsWith('PrivateTest_')) return splitId('PrivateTest');
  return splitId('Test');
}

function listDir(dir: string, problems: LoadIssue[]): fs.Dirent[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.')) // hidden files (.DS_Store, an old .fer-gpu-cache) are not data
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    problems.push({ location: dir, message: `cannot read folder: ${(e as Error).message}` });
    return [];
  }
}

/** Lists the image files of `<root>/{train,test}/<class>/`, recording everything else that is not data as a problem. */
function walk(root: string): { files: ImageFile[]; problems: LoadIssue[] } {
  const files: ImageFile[] = [];
  const problems: LoadIssue[] = [];
  let splitsFound = 0;
  for (const top of listDir(root, problems)) {
    if (!top.isDirectory()) continue; // SOURCE.md, README, licences beside the split folders
    const folder = SPLIT_FOLDERS.find((s) => s === top.name.toLowerCase());
    const topPath = path.join(root, top.name);
    if (!folder) {
      problems.push({ location: topPath, message: `unknown split folder '${top.name}' (expected train/ or test/)` });
      continue;
    }
    splitsFound++;
    for (const cls of listDir(topPath, problems)) {
      const clsPath = path.join(topPath, cls.name);
      const label = (FER_CLASSES as readonly string[]).indexOf(cls.name.toLowerCase());
      if (!cls.isDirectory()) {
        problems.push({ location: clsPath, message: `file outside a class folder (expected ${top.name}/<class>/<image>)` });
        continue;
      }
      if (label < 0) {
        problems.push({ location: clsPath, message: `unknown class folder '${cls.name}' (expected one of ${FER_CLASSES.join(', ')})` });
        continue;
      }
      for (const f of listDir(clsPath, problems)) {
        const p = path.join(clsPath, f.name);
        let isFile = f.isFile();
        if (f.isSymbolicLink()) {
          // A link counts as what it points to.
          try {
            isFile = fs.statSync(p).isFile();
          } catch {
            problems.push({ location: p, message: 'cannot read file: a symbolic link to a missing file' });
            continue;
          }
        }
        if (!isFile || !IMAGE_EXT.test(f.name)) {
          problems.push({ location: p, message: `not a .jpg/.jpeg/.png file` });
          continue;
        }
        files.push({ path: p, rel: path.relative(root, p), label, split: splitOf(folder, f.name) });
      }
    }
  }
  if (splitsFound === 0 && problems.every((p) => p.location !== root)) {
    throw new FerDataError(root, 'no train/ or test/ folder (expected <dir>/train/<class>/*.jpg and/or <dir>/test/<class>/*.jpg)');
  }
  return { files, problems };
}

/**
 * Loads the image-folder variant of FER2013: `<dir>/train/<class>/*.{jpg,png}` and
 * `<dir>/test/<class>/*.{jpg,png}`. The class comes from the folder name (FER_CLASSES, any case),
 * the split from the folder (train/ = Training) and, in test/, from Kaggle's `PublicTest_` /
 * `PrivateTest_` filename prefixes (otherwise `Test`). Images are decoded with {@link decodeImage}
 * (gray, 48x48). Keys are absolute paths (FER2013 has the same filename in two class folders).
 *
 * Hidden entries and plain files beside train/ and test/ are ignored; anything else that is not an
 * image in a known class folder, and any unreadable image, throws a {@link FerDataError} naming
 * the path, or with `onError: 'skip'` is skipped and recorded in `issues`.
 *
 * Decoded images are cached (see {@link LoadFolderOptions.cache}), keyed by the content of every
 * file; only complete loads (no issues) are cached.
 */
export async function loadImageFolder(dir: string, opts: LoadFolderOptions = {}): Promise<FerDataset> {
  const t0 = performance.now();
  const root = path.resolve(dir);
  try {
    if (!fs.statSync(root).isDirectory()) throw new FerDataError(dir, 'not a folder');
  } catch (e) {
    if (e instanceof FerDataError) throw e;
    throw new FerDataError(dir, `cannot read folder: ${(e as Error).message}`);
  }
  const onError = opts.onError ?? 'throw';
  const { files, problems } = walk(root);
  if (problems.length > 0 && onError === 'throw') throw new FerDataError(problems[0]!.location, problems[0]!.message);

  const cacheOpt = opts.cache ?? true;
  // Only complete loads are cached; a file that cannot be read is reported by the decode below.
  let cached = problems.length === 0 ? cacheFile(root, cacheOpt) : null;
  let key = '';
  try {
    if (cached) key = contentKey(files.map((f) => ({ name: f.rel, digest: fileDigest(f.path) })));
  } catch {
    cached = null;
  }
  const hit = readCache(cached, key, dir);
  if (hit) return { ...hit.ds, info: { cache: 'hit', cachePath: hit.path, ms: performance.now() - t0 } };

  const builder = new DatasetBuilder(files.length);
  const issues = [...problems];
  for (const f of files) {
    let pixels: Uint8Array;
    try {
      pixels = decodeImage(fs.readFileSync(f.path), f.path);
    } catch (e) {
      const issue = e instanceof FerDataError ? { location: e.location, message: e.detail } : { location: f.path, message: (e as Error).message };
      if (onError === 'throw') throw new FerDataError(issue.location, issue.message);
      issues.push(issue);
      continue;
    }
    builder.push(f.label, f.split, f.path).set(pixels);
  }
  const ds = builder.build(dir, issues);
  let cache: 'written' | 'not-written' | 'off' = 'off';
  let cachePath: string | undefined;
  if (cacheOpt !== false) {
    cachePath = issues.length === 0 ? (writeCache(cached, key, ds) ?? undefined) : undefined;
    cache = cachePath ? 'written' : 'not-written';
  }
  reportSkipped(ds, opts.onSkip);
  return { ...ds, info: { cache, cachePath, ms: performance.now() - t0 } };
}
