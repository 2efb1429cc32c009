/**
 * The platform-free part of the `data` namespace, shared by the Node entry (data/index.ts) and
 * fer-gpu/browser (browser/data.ts): datasets in memory, splits, synthetic faces, pixels, the GPU
 * data loader and augmentation.
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
export { resizeBilinear, toLuma, type PixelImage } from './pixels.js';
export { syntheticFaces, type SyntheticFacesOptions } from './synthetic.js';
export { DataLoader, type DataLoaderOptions, type Batch } from './loader.js';
export { drawAugmentParams, tenCropParams, augmentBatch, GpuImages, type AugmentOptions } from './augment/index.js';
