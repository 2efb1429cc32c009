import fs from 'node:fs';
import path from 'node:path';
import { FER_CLASSES } from '../classes.js';
import { cacheFile, contentKey, fileDigest, readCache, writeCache, type CacheOption } from './cache.js';
import {
  DatasetBuilder,
  FER_SPLITS,
  FerDataError,
  reportSkipped,
  splitId,
  type FerDataset,
  type FerSplit,
  type LoadIssue,
  type SkipOptions,
} from './dataset.js';
import { decodeImageFile } from './image.js';

/** Options of {@link loadImageFolder}. */
export interface LoadFolderOptions extends SkipOptions {
  /** Decoded cache: `true` (default) in the user's cache folder (see cache.ts); `false` for none; or a cache folder. */
  cache?: CacheOption;
  /**
   * The split of every image in a folder without split folders (`<dir>/<class>/*` or unlabelled
   * images): default `'Training'`. The CLI's `eval --split X` passes X.
   */
  split?: FerSplit;
}

/**
 * How a folder is laid out (see {@link loadImageFolder}): `splits` (`<dir>/{train,val,test}/<class>/*`,
 * Kaggle's FER2013), `classes` (`<dir>/<class>/*`, torchvision's ImageFolder) or `unlabelled`
 * (images directly in `<dir>`).
 */
export type FolderLayout = 'splits' | 'classes' | 'unlabelled';

const IMAGE_EXT = /\.(jpe?g|png)$/i;
/** Split folders: train/ is Training, val/ (valid/, validation/) PublicTest, test/ by Kaggle's filename prefixes. */
const SPLIT_FOLDERS: Record<string, 'train' | 'val' | 'test'> = {
  train: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
};

interface ImageFile {
  path: string; // absolute, as reached (through symbolic links)
  rel: string;
  label: number;
  split: number;
}

/** Split of a file: train/ is Training, val/ PublicTest; in test/, Kaggle's PublicTest_/PrivateTest_ prefixes, else Test. */
function splitOf(folder: 'train' | 'val' | 'test', name: string): number {
  if (folder === 'train') return splitId('Training');
  if (folder === 'val') return splitId('PublicTest');
  if (name.startsWith('PublicTest_')) return splitId('PublicTest');
  if (name.startsWith('PrivateTest_')) return splitId('PrivateTest');
  return splitId('Test');
}

/** A folder entry with symbolic links followed: what it points to, or `broken`. */
interface Entry {
  name: string;
  path: string;
  kind: 'dir' | 'file' | 'broken' | 'other';
}

/**
 * Lists a folder's visible entries (hidden ones, like .DS_Store or an old .fer-gpu-cache, are not
 * data), sorted, with symbolic links followed. Refuses a folder already read through another path
 * (a symbolic link loop, or two links to one folder), recording it as a problem.
 */
function listDir(dir: string, problems: LoadIssue[], visited: Map<string, string>): Entry[] {
  let real: string;
  let names: string[];
  try {
    real = fs.realpathSync(dir);
    names = fs.readdirSync(dir);
  } catch (e) {
    problems.push({ location: dir, message: `cannot read folder: ${(e as Error).message}` });
    return [];
  }
  const seen = visited.get(real);
  if (seen !== undefined) {
    problems.push({ location: dir, message: `folder already read as ${seen} (a symbolic link loop or a second link to it)` });
    return [];
  }
  visited.set(real, dir);
  return names
    .filter((n) => !n.startsWith('.'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name): Entry => {
      const p = path.join(dir, name);
      try {
        const stat = fs.statSync(p); // follows symbolic links
        return { name, path: p, kind: stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other' };
      } catch {
        return { name, path: p, kind: 'broken' };
      }
    });
}

const BROKEN_LINK = 'cannot read file: a symbolic link to a missing file';

/** Label id of a class folder name (FER_CLASSES, any case), or -1. */
function classId(name: string): number {
  return (FER_CLASSES as readonly string[]).indexOf(name.toLowerCase());
}

/** The layout of a folder from its top-level entries (see {@link FolderLayout}). */
function layoutOf(root: string, top: Entry[]): FolderLayout {
  const dirs = top.filter((e) => e.kind === 'dir');
  if (dirs.some((e) => SPLIT_FOLDERS[e.name.toLowerCase()])) return 'splits';
  if (dirs.some((e) => classId(e.name) >= 0)) return 'classes';
  if (top.some((e) => e.kind === 'file' && IMAGE_EXT.test(e.name))) return 'unlabelled';
  throw new FerDataError(
    root,
    dirs.length > 0
      ? `no train/, val/ or test/ folder, no class folder (${FER_CLASSES.join(', ')}) and no images: found ${dirs.map((d) => `${d.name}/`).join(', ')}`
      : 'no train/ or test/ folder, no class folders and no .jpg/.png images (expected <dir>/train/<class>/*.jpg, <dir>/<class>/*.jpg or images in <dir>)',
  );
}

/** Adds the images of `dir` (a class folder, or an unlabelled folder) to `files`. */
function addImages(
  root: string,
  dir: string,
  label: number,
  split: (name: string) => number,
  files: ImageFile[],
  problems: LoadIssue[],
  visited: Map<string, string>,
  where: string,
): void {
  for (const f of listDir(dir, problems, visited)) {
    if (f.kind === 'broken') {
      problems.push({ location: f.path, message: BROKEN_LINK });
    } else if (f.kind !== 'file' || !IMAGE_EXT.test(f.name)) {
      problems.push({ location: f.path, message: f.kind === 'dir' ? `folder inside ${where}` : 'not a .jpg/.jpeg/.png file' });
    } else {
      files.push({ path: f.path, rel: path.relative(root, f.path), label, split: split(f.name) });
    }
  }
}

/** Adds `<dir>/<class>/*` to `files`, recording everything else that is not data as a problem. */
function addClassFolders(
  root: string,
  dir: string,
  entries: Entry[],
  split: (name: string) => number,
  files: ImageFile[],
  problems: LoadIssue[],
  visited: Map<string, string>,
  nested: boolean,
): void {
  for (const cls of entries) {
    const label = classId(cls.name);
    if (cls.kind === 'broken') problems.push({ location: cls.path, message: BROKEN_LINK });
    else if (cls.kind !== 'dir') {
      // files beside the class folders of an ImageFolder (README, licences) are not data; images there are misplaced
      if (nested || IMAGE_EXT.test(cls.name))
        problems.push({
          location: cls.path,
          message: `file outside a class folder (expected ${nested ? `${path.basename(dir)}/` : ''}<class>/<image>)`,
        });
    } else if (label < 0)
      problems.push({ location: cls.path, message: `unknown class folder '${cls.name}' (expected one of ${FER_CLASSES.join(', ')})` });
    else addImages(root, cls.path, label, split, files, problems, visited, 'a class folder');
  }
}

/** Lists the image files of a folder in any {@link FolderLayout}, recording everything else that is not data as a problem. */
function walk(root: string, defaultSplit: number): { files: ImageFile[]; problems: LoadIssue[]; layout: FolderLayout } {
  const files: ImageFile[] = [];
  const problems: LoadIssue[] = [];
  const visited = new Map<string, string>();
  const top = listDir(root, problems, visited);
  if (problems.length > 0) throw new FerDataError(problems[0]!.location, problems[0]!.message);
  const layout = layoutOf(root, top);
  if (layout === 'unlabelled') {
    visited.clear();
    addImages(
      root,
      root,
      0,
      () => defaultSplit,
      files,
      problems,
      visited,
      'an unlabelled image folder (expected images only, or <class>/ folders)',
    );
  } else if (layout === 'classes') {
    addClassFolders(root, root, top, () => defaultSplit, files, problems, visited, false);
  } else {
    for (const e of top) {
      if (e.kind !== 'dir') continue; // SOURCE.md, README, licences beside the split folders
      const folder = SPLIT_FOLDERS[e.name.toLowerCase()];
      if (!folder) {
        problems.push({ location: e.path, message: `unknown split folder '${e.name}' (expected train/, val/ or test/)` });
        continue;
      }
      addClassFolders(root, e.path, listDir(e.path, problems, visited), (name) => splitOf(folder, name), files, problems, visited, true);
    }
  }
  return { files, problems, layout };
}

/**
 * Loads FER images from a folder, in one of three layouts:
 * - `<dir>/train/<class>/*`, `<dir>/test/<class>/*` (Kaggle's FER2013; also `val/`): the split
 *   from the folder (train/ = Training, val/ = PublicTest) and, in test/, from Kaggle's
 *   `PublicTest_` / `PrivateTest_` filename prefixes (otherwise `Test`);
 * - `<dir>/<class>/*` (torchvision's ImageFolder): every image in `options.split` (default Training);
 * - images directly in `<dir>`, without labels (`labelled: false`; for `predict` and drift's current data).
 *
 * Classes are FER_CLASSES' names, in any case; images are .jpg/.jpeg/.png of any size, decoded
 * with {@link decodeImage} (gray, 48x48). Symbolic links to files and folders are followed; a
 * folder reached twice (a link loop) is a problem, not a hang. Keys are the paths as reached
 * (FER2013 has the same filename in two class folders).
 *
 * Hidden entries and plain files beside the split or class folders are ignored; anything else
 * that is not an image where one belongs, and any unreadable image, throws a
 * {@link FerDataError} naming the path, or with `onError: 'skip'` is skipped and recorded in `issues`.
 *
 * Decoded images are cached (see {@link LoadFolderOptions.cache}), keyed by the content of every
 * file, the layout and the split given; only complete loads (no issues) are cached.
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
  const split = splitId(opts.split ?? 'Training');
  if (split < 0) throw new FerDataError(dir, `unknown split '${opts.split}' (expected one of ${FER_SPLITS.join(', ')})`);
  const { files, problems, layout } = walk(root, split);
  if (problems.length > 0 && onError === 'throw') throw new FerDataError(problems[0]!.location, problems[0]!.message);
  const labelled = layout !== 'unlabelled';

  const cacheOpt = opts.cache ?? true;
  // Only complete loads are cached; a file that cannot be read is reported by the decode below.
  let cached = problems.length === 0 ? cacheFile(root, cacheOpt) : null;
  let key = '';
  try {
    // the layout and the split given decide labels and splits too
    if (cached)
      key = contentKey([
        { name: `\0${layout}`, digest: String(split) },
        ...files.map((f) => ({ name: f.rel, digest: fileDigest(f.path) })),
      ]);
  } catch {
    cached = null;
  }
  const hit = readCache(cached, key, dir);
  if (hit) return { ...hit.ds, ...(labelled ? {} : { labelled }), info: { cache: 'hit', cachePath: hit.path, ms: performance.now() - t0 } };

  const builder = new DatasetBuilder(files.length);
  const issues = [...problems];
  for (const f of files) {
    let pixels: Uint8Array;
    try {
      pixels = decodeImageFile(fs.readFileSync(f.path), f.path);
    } catch (e) {
      const issue =
        e instanceof FerDataError ? { location: e.location, message: e.detail } : { location: f.path, message: (e as Error).message };
      if (onError === 'throw') throw new FerDataError(issue.location, issue.message);
      issues.push(issue);
      continue;
    }
    builder.push(f.label, f.split, f.path).set(pixels);
  }
  const ds = { ...builder.build(dir, issues), ...(labelled ? {} : { labelled }) };
  let cache: 'written' | 'not-written' | 'off' = 'off';
  let cachePath: string | undefined;
  if (cacheOpt !== false) {
    cachePath = issues.length === 0 ? (writeCache(cached, key, ds) ?? undefined) : undefined;
    cache = cachePath ? 'written' : 'not-written';
  }
  reportSkipped(ds, opts.onSkip);
  return { ...ds, info: { cache, cachePath, ms: performance.now() - t0 } };
}
