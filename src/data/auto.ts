/** Loads FER data from a path: a fer2013.csv-style file or an image folder. */
import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { loadFer2013Csv } from './csv.js';
import { loadImageFolder, type LoadFolderOptions } from './folder.js';
import type { FerDataset, SkipOptions } from './dataset.js';

/**
 * Loads `path` as fer2013.csv (a file) or an image folder (a directory, in any layout
 * {@link loadImageFolder} reads); `onError: 'skip'` skips bad rows or files and reports them.
 * `split` and `cache` apply to folders.
 */
export async function loadFer2013(
  path: string,
  options: SkipOptions & Pick<LoadFolderOptions, 'split' | 'cache'> = {},
): Promise<FerDataset> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new InputError(`${path}: no such file or folder`);
  }
  if (isDir) return loadImageFolder(path, options);
  const { split: _split, ...csvOptions } = options;
  return loadFer2013Csv(path, csvOptions);
}
