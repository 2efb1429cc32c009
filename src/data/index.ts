/**
 * FER data: loading FER2013 (CSV or image folders), checking it, synthetic faces, splits, the
 * GPU data loader and augmentation (the package's `data` namespace; loadFer2013,
 * loadImageFolder, holdout, syntheticFaces and decodeImage are also at the root).
 */
export * from './portable.js';
export { loadFer2013 } from './auto.js';
export { loadFer2013Csv, type FerUsage, type LoadCsvOptions } from './csv.js';
export { loadImageFolder, type FolderLayout, type LoadFolderOptions } from './folder.js';
export { decodeImage, MAX_IMAGE_PIXELS, type RawImage } from './image.js';
export {
  checkDataset,
  formatCheckReport,
  findTrainingDuplicates,
  withoutTrainingDuplicates,
  pixelHash,
  type CheckOptions,
  type CrossSplitDuplicates,
  type DataCheckReport,
  type TrainingDuplicates,
} from './check.js';
export type { CacheOption } from './cache.js';
