/**
 * Faces in photos: BlazeFace detection and expression recognition (Node entry; the platform-free
 * parts are detect.ts, blazeface.ts, postprocess.ts, draw.ts).
 */
export { BlazeFace, type RawDetections } from './blazeface.js';
export { blazeFaceSpec, type BlazeFaceRange, type BlazeFaceSpec, type BlazeFaceGraph, type GraphNode } from './spec.js';
export { KEYPOINT_NAMES, type KeypointName, type Box } from './postprocess.js';
export {
  faceCrop,
  detectOnGpu,
  recognizeOnGpu,
  uploadImages,
  type DetectedFace,
  type RecognizedFace,
  type FaceKeypoint,
  type DetectOptions,
  type FaceDetectors,
  type FaceModels,
  type ExpressionModel,
  type PixelImage,
} from './detect.js';
export { drawFaces, faceLabel } from './draw.js';
export {
  detectFaces,
  recognize,
  loadBlazeFace,
  loadFaceModels,
  readImageInput,
  shippedDetectorPath,
  type ImageInput,
  type RecognizeOptions,
  type FaceModelsOptions,
} from './node.js';
export { type LoadedFaceModels, type DetectFacesFunction, type RecognizeFunction } from './api.js';
