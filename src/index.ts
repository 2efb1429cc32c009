/**
 * fer-gpu: facial-expression recognition on WebGPU.
 * @packageDocumentation
 */
export { createDevice, type DeviceOptions, type Backend } from './gpu/dawn.js';
export { Device, type DeviceInfo } from './gpu/device.js';
export { createDeviceFromGPU, type CommonDeviceOptions } from './gpu/create.js';
export { Tensor, type TensorOptions, type DType } from './tensor.js';
export { FER_CLASSES, FER_IMAGE_SIZE, type FerClass } from './classes.js';
export * as ops from './ops.js';
export * as reference from './reference/index.js';
export * as optim from './optim/index.js';
export * as metrics from './metrics/index.js';
export * as drift from './drift/index.js';
export * as bench from './bench/index.js';
export * from './data/index.js';
export { loadFer2013 } from './data/auto.js';
export { syntheticFaces } from './data/synthetic.js';
export { DataLoader, type DataLoaderOptions, type Batch } from './data/loader.js';
export { drawAugmentParams, tenCropParams, augmentBatch, GpuImages, type AugmentOptions } from './data/augment/index.js';
export {
  readSafetensors,
  writeSafetensors,
  encodeSafetensors,
  decodeSafetensors,
  ferMetadata,
  parseFerMetadata,
  FER_METADATA_KEYS,
  type SafetensorsTensor,
  type SafetensorsDtype,
  type SafetensorsContent,
  type FerCheckpointInfo,
} from './io/index.js';
export * as nn from './nn/index.js';
export { ferResNet18, FerResNet18, type FerResNet18Options } from './nn/resnet.js';
export { train, defaultLogger, NonFiniteLossError, type TrainOptions, type TrainResult, type EpochLog } from './train/trainer.js';
export * from './faces/index.js';
export { GpuImage, cropResize, type CropBox, type CropResizeOptions } from './kernels/crop-resize/index.js';
export { evaluate, predictDataset, type EvaluateOptions, type PredictOptions, type Prediction } from './train/evaluate.js';
export { predict, type PredictInputs } from './train/predict.js';
export { saveModel, loadModel, loadModelFromBytes, type LoadedModel, type ModelFileMeta } from './train/checkpoint.js';
export {
  calibrateLogits,
  calibrationScores,
  fitTemperature,
  fitLogitBias,
  type Calibration,
  type CalibrationFit,
  type CalibrationScores,
} from './train/calibration.js';
export { fitCalibration, writeCalibratedCheckpoint, type FitCalibrationOptions } from './train/calibrate.js';
export { ModelEma, recalibrateBatchNorm, type ModelEmaOptions, type ModelEmaState } from './train/averaging.js';
export {
  loadPretrained,
  defaultWeightsPath,
  shippedWeightsPath,
  resolveWeights,
  packageRoot,
  DEFAULT_WEIGHTS_FILE,
  WEIGHTS_ENV,
} from './train/pretrained.js';
export { LrSchedule, type ScheduleSpec } from './train/schedules.js';
export { exportOnnx, ONNX_NAMES, DEFAULT_OPSET, type ExportOnnxOptions } from './onnx/index.js';
export { InputError } from './errors.js';
export { Rng } from './random.js';
export { VERSION } from './version.js';
// Types that public signatures name (test/package.test.ts checks that none is missing).
export type { Kernel, Param } from './gpu/device.js';
export type { BufferPool } from './gpu/pool.js';
export type { GradNode, GradMode } from './autograd.js';
export type { Storage } from './tensor.js';
export type { RawImage } from './data/image.js';
export type { SyntheticFacesOptions } from './data/synthetic.js';
export type { ReadSafetensorsOptions } from './io/safetensors.js';
export { FER_ARCH } from './io/fer-metadata.js';
export type { Logger } from './train/trainer.js';
export type { Model, PredictFunction } from './train/evaluate.js';
export type { GemmOp, Tiling } from './kernels/matmul/tiling.js';
export { autotune, tuneKernels, type TuneWorkload } from './kernels/matmul/autotune.js';
export { tuneCachePath } from './kernels/matmul/tune-file.js';
