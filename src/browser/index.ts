/**
 * fer-gpu in the browser (`import … from 'fer-gpu/browser'`): the same kernels, autograd, models,
 * optimizers, metrics and face detection as in Node, on `navigator.gpu`. Nothing here needs Node: devices come
 * from the browser, the shipped model is fetched over HTTP, images are whatever a web app has,
 * and tuned kernel tilings are kept in IndexedDB. The layout is the Node entry's: the main jobs at
 * the root, the rest in the `ops`, `nn`, `optim`, `metrics`, `data`, `io` and `training` namespaces.
 * @packageDocumentation
 */
export { createDevice, WebGPUUnavailableError } from '../gpu/navigator.js';
export { Device, type DeviceInfo } from '../gpu/device.js';
export { createDeviceFromGPU, type CommonDeviceOptions, type CommonDeviceOptions as DeviceOptions } from '../gpu/create.js';
export { Tensor, type TensorOptions, type DType } from '../tensor.js';
export { FER_CLASSES, FER_IMAGE_SIZE, type FerClass } from '../classes.js';
export * as ops from '../ops.js';
export * as nn from '../nn/index.js';
export * as optim from '../optim/index.js';
export * as metrics from '../metrics/scores.js';
export * as data from './data.js';
export * as io from './io.js';
export * as training from './training.js';
// The main jobs, also in their namespaces (as at the Node entry's root).
export { ferResNet18, FerResNet18, type FerResNet18Options } from '../nn/resnet.js';
export {
  evaluate,
  type EvaluateOptions,
  type Model,
  type PredictFunction,
  type PredictOptions,
  type Prediction,
} from '../train/evaluate.js';
export { predict, type PredictInputs } from './predict.js';
export { decodeImage, type BrowserImageInput } from './image.js';
export { loadPretrained, defaultWeightsUrl } from './pretrained.js';
export { loadModelFromBytes, type LoadedModel } from '../train/model-bytes.js';
export { holdout, type FerDataset, type FerSplit } from '../data/dataset.js';
export { syntheticFaces } from '../data/synthetic.js';
export {
  detectFaces,
  recognize,
  loadFaceModels,
  loadBlazeFace,
  defaultDetectorUrl,
  type FaceModelsOptions,
  type RecognizeOptions,
} from './faces.js';
export { BlazeFace, type RawDetections } from '../faces/blazeface.js';
export { drawFaces, faceLabel } from '../faces/draw.js';
export { KEYPOINT_NAMES, type KeypointName, type Box } from '../faces/postprocess.js';
export type { PixelImage } from '../data/pixels.js';
export type { BlazeFaceRange, BlazeFaceSpec, BlazeFaceGraph, GraphNode } from '../faces/spec.js';
export type {
  DetectedFace,
  RecognizedFace,
  FaceKeypoint,
  DetectOptions,
  FaceDetectors,
  FaceModels,
  ExpressionModel,
} from '../faces/detect.js';
export type { LoadedFaceModels, DetectFacesFunction, RecognizeFunction } from '../faces/api.js';
export { autotune, tuneKernels, type TuneWorkload } from '../kernels/autotune.js';
export { InputError } from '../errors.js';
export { Rng } from '../random.js';
export { VERSION } from '../version.js';
