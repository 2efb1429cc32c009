/**
 * FER data: loading FER2013 (CSV or image folders), checking it, synthetic faces, splits, the
 * GPU data loader and augmentation (the package's `data` namespace; loadFer2013,
 * loadImageFolder, holdout, syntheticFaces and decodeImage are also at the root).
 */
export {
  FER_PIXELS,
  FER_SPLITS,
  FerDataError,
  datasetMeanStd,
  holdout,
  splitIndices,
  subset,
  type FerDataset,
  type FerSplit,
  type HoldoutOptions,
  type LoadInfo,
  type LoadIssue,
  type OnError,
  type OnSkip,
  type SkipOptions,
  describeSkipped,
} from './dataset.js';
export { loadFer2013 } from './auto.js';
export { loadFer2013Csv, type FerUsage, type LoadCsvOptions } from './csv.js';
export { loadImageFolder, type FolderLayout, type LoadFolderOptions } from './folder.js';
export { decodeImage, resizeBilinear, toLuma, MAX_IMAGE_PIXELS, type RawImage } from './image.js';
export { syntheticFaces, type SyntheticFacesOptions } from './synthetic.js';
export { DataLoader, type DataLoaderOptions, type Batch } from './loader.js';
export { drawAugmentParams, tenCropParams, augmentBatch, GpuImages, type AugmentOptions } from './augment/index.js';
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
