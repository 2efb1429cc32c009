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
export { loadFer2013Csv, type FerUsage, type LoadCsvOptions } from './csv.js';
export { loadImageFolder, type FolderLayout, type LoadFolderOptions } from './folder.js';
export { decodeImage, resizeBilinear, toLuma, MAX_IMAGE_PIXELS } from './image.js';
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
