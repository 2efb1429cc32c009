/**
 * FER data in the browser (`fer-gpu/browser`'s `data` namespace, the platform-free part of the
 * Node entry's): datasets in memory, splits, synthetic faces, decoding images, the GPU data loader
 * and augmentation. Loading FER2013 from files (CSV, folders) and the dataset checks are Node's.
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
} from '../data/dataset.js';
export { decodeImage, type BrowserImageInput } from './image.js';
export { resizeBilinear, toLuma, type PixelImage } from '../data/pixels.js';
export { syntheticFaces, type SyntheticFacesOptions } from '../data/synthetic.js';
export { DataLoader, type DataLoaderOptions, type Batch } from '../data/loader.js';
export { drawAugmentParams, tenCropParams, augmentBatch, GpuImages, type AugmentOptions } from '../data/augment/index.js';
