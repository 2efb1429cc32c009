/**
 * fer-gpu: facial-expression recognition on WebGPU.
 *
 * At the root: the device and tensors, the functions of the main jobs (predict expressions, load
 * data, train, evaluate, load and export models) and face detection (recognize, detectFaces and
 * their parts, as in fer-gpu/browser). Everything else is in a namespace: `ops`, `nn`, `optim`
 * (tensors and models), `data` (loading, checking, splitting, augmenting faces), `training`
 * (train() and its parts, model files, calibration, averaging, schedules), `io` (safetensors),
 * `metrics`, `drift`, `reference` (CPU references of the kernels) and `bench`.
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
export * as nn from './nn/index.js';
export * as data from './data/index.js';
export * as io from './io/index.js';
export * as training from './train/index.js';
// The main jobs, also in their namespaces.
export { loadFer2013, loadImageFolder, holdout, syntheticFaces, decodeImage, type FerDataset, type FerSplit } from './data/index.js';
export { ferResNet18, FerResNet18, type FerResNet18Options } from './nn/resnet.js';
export {
  train,
  evaluate,
  predict,
  loadPretrained,
  loadModel,
  saveModel,
  type TrainOptions,
  type TrainResult,
  type EvaluateOptions,
  type Prediction,
  type PredictInputs,
  type LoadedModel,
} from './train/index.js';
export * from './faces/index.js';
export { GpuImage, cropResize, type CropBox, type CropResizeOptions } from './kernels/crop-resize/index.js';
export { exportOnnx, ONNX_NAMES, DEFAULT_OPSET, type ExportOnnxOptions } from './onnx/index.js';
export { InputError } from './errors.js';
export { Rng } from './random.js';
export { VERSION } from './version.js';
// Types that public signatures name (test/package.test.ts checks that none is missing).
export type { Kernel, Param } from './gpu/device.js';
export type { DispatchArgs, DispatchProfiler } from './gpu/kernel.js';
export type { BufferPool } from './gpu/pool.js';
export type { GradNode, GradMode } from './autograd.js';
export type { Storage } from './tensor.js';
export type { GemmOp, Tiling } from './kernels/gemm/tiling.js';
export { autotune, tuneKernels, type TuneWorkload } from './kernels/autotune.js';
export { tuneCachePath } from './kernels/tune-file.js';
