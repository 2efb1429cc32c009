/**
 * The Node layer of face detection: the shipped BlazeFace files, image files and encoded bytes,
 * and the one-call forms that make their own device. Everything it calls is platform-free
 * (detect.ts, blazeface.ts, postprocess.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDevice } from '../gpu/dawn.js';
import type { Device } from '../gpu/device.js';
import { InputError } from '../errors.js';
import { readSafetensors } from '../io/safetensors.js';
import { decodeRaw, type ImageInput } from '../data/image.js';
import { packageRoot, loadPretrained } from '../train/pretrained.js';
import { FER_CLASSES } from '../classes.js';
import { BlazeFace } from './blazeface.js';
import type { BlazeFaceRange } from './spec.js';
import { detectInImages, recognizeInImages, type DetectedFace, type DetectOptions, type FaceDetectors, type FaceModels, type PixelImage, type RecognizedFace } from './detect.js';

/** What the Node functions accept as an image: a file path, a file's bytes (PNG/JPEG), or decoded pixels. */
export type { ImageInput } from '../data/image.js';

/** The shipped detector file of a range, inside the installed package. */
export function shippedDetectorPath(range: BlazeFaceRange): string {
  const root = packageRoot();
  if (!root) throw new InputError(`the fer-gpu package folder (with models/blazeface-${range}.safetensors) cannot be found from this bundle`);
  return path.join(root, 'models', `blazeface-${range}.safetensors`);
}

/**
 * Loads a BlazeFace detector: the one shipped in the package for a range ('full' by default), or
 * a converted .safetensors file.
 * @example const detector = loadBlazeFace(device, 'short');
 */
export function loadBlazeFace(device: Device, rangeOrFile: BlazeFaceRange | string = 'full'): BlazeFace {
  const file = rangeOrFile === 'full' || rangeOrFile === 'short' ? shippedDetectorPath(rangeOrFile) : rangeOrFile;
  return BlazeFace.fromSafetensors(device, readSafetensors(file), file);
}

/** Options of loadFaceModels. */
export interface FaceModelsOptions {
  /** Detector ranges to load (default ['full', 'short']; each is small). */
  ranges?: readonly BlazeFaceRange[];
  /** Expression model checkpoint (default: the shipped fer-resnet18, or $FER_GPU_WEIGHTS). */
  weights?: string;
}

/** Loaded face models that can be disposed. */
export type LoadedFaceModels = FaceModels & { dispose(): void };

/**
 * Loads the detectors and the expression model onto a device, for apps that call recognize() per frame.
 * @example
 * const models = loadFaceModels(device);
 * for (const frame of frames) console.log(await recognize(models, frame));
 * models.dispose();
 */
export function loadFaceModels(device: Device, options: FaceModelsOptions = {}): LoadedFaceModels {
  const detectors: Partial<Record<BlazeFaceRange, BlazeFace>> = {};
  for (const r of options.ranges ?? ['full', 'short']) detectors[r] = loadBlazeFace(device, r);
  const { model, info } = loadPretrained(device, options.weights);
  return {
    detectors,
    expression: { model, mean: info.mean, std: info.std, classes: info.classes ?? FER_CLASSES, calibration: info.calibration },
    dispose() {
      for (const d of Object.values(detectors)) d?.dispose();
      model.dispose();
    },
  };
}

/** Decodes an image input (a PNG/JPEG path or bytes, or pixels as they are), naming it in errors. */
export function readImageInput(input: ImageInput, index = 0): { image: PixelImage; name: string } {
  if (typeof input === 'string') {
    let bytes: Buffer;
    try {
      bytes = readFileSync(input);
    } catch (e) {
      throw new InputError(`${input}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return { image: decodeRaw(bytes, input), name: input };
  }
  const name = `image ${index}`;
  if (input instanceof Uint8Array) return { image: decodeRaw(input, name), name };
  if (input && typeof input === 'object' && 'data' in input && 'width' in input) return { image: input, name };
  throw new InputError(`${name}: expected a file path, PNG/JPEG bytes or { width, height, data } pixels`);
}

function readAll(inputs: readonly ImageInput[]): { images: PixelImage[]; names: string[] } {
  const read = inputs.map((x, i) => readImageInput(x, i));
  return { images: read.map((r) => r.image), names: read.map((r) => r.name) };
}

/**
 * Finds the faces in an image (or each image of an array, as one GPU batch) with BlazeFace:
 * boxes and the six keypoints in the image's pixels, best score first.
 * @example
 * const detector = loadBlazeFace(device);
 * const faces = await detectFaces(detector, 'group.jpg', { minScore: 0.7 });
 * // [{ box: { x, y, width, height }, score, keypoints: [{ name: 'rightEye', x, y }, …] }, …]
 */
export async function detectFaces(detectors: FaceDetectors, image: ImageInput, options?: DetectOptions): Promise<DetectedFace[]>;
export async function detectFaces(detectors: FaceDetectors, images: readonly ImageInput[], options?: DetectOptions): Promise<DetectedFace[][]>;
export async function detectFaces(detectors: FaceDetectors, input: ImageInput | readonly ImageInput[], options: DetectOptions = {}): Promise<DetectedFace[] | DetectedFace[][]> {
  const batch = Array.isArray(input);
  const { images, names } = readAll(batch ? (input as ImageInput[]) : [input as ImageInput]);
  const out = await detectInImages(detectors, images, options, names);
  return batch ? out : out[0]!;
}

/** Options of recognize() without models. */
export interface RecognizeOptions extends DetectOptions {
  /** Expression model checkpoint (default: the shipped one). */
  weights?: string;
}

/**
 * Finds the faces in an image and the expression of each: `recognize(image)` loads the shipped
 * models on a device it creates and destroys (simplest); `recognize(models, image)` uses models
 * from loadFaceModels (per-frame use). An array of images is one batch: one GPU submission for
 * detection and one for every face's expression.
 * @example
 * const faces = await recognize('group.jpg');
 * for (const f of faces) console.log(f.label, f.box, f.probabilities);
 */
export async function recognize(image: ImageInput, options?: RecognizeOptions): Promise<RecognizedFace[]>;
export async function recognize(images: readonly ImageInput[], options?: RecognizeOptions): Promise<RecognizedFace[][]>;
export async function recognize(models: FaceModels, image: ImageInput, options?: DetectOptions): Promise<RecognizedFace[]>;
export async function recognize(models: FaceModels, images: readonly ImageInput[], options?: DetectOptions): Promise<RecognizedFace[][]>;
export async function recognize(...args: unknown[]): Promise<RecognizedFace[] | RecognizedFace[][]> {
  const withModels = !!args[0] && typeof args[0] === 'object' && 'detectors' in (args[0] as object) && 'expression' in (args[0] as object);
  if (!withModels) {
    const options = (args[1] ?? {}) as RecognizeOptions;
    const { images, names } = readAll(Array.isArray(args[0]) ? (args[0] as ImageInput[]) : [args[0] as ImageInput]);
    const device = await createDevice();
    try {
      const models = loadFaceModels(device, { ranges: [options.range ?? 'full'], weights: options.weights });
      try {
        const out = await recognizeInImages(models, images, options, names);
        return Array.isArray(args[0]) ? out : out[0]!;
      } finally {
        models.dispose();
      }
    } finally {
      device.destroy();
    }
  }
  const models = args[0] as FaceModels;
  const input = args[1] as ImageInput | ImageInput[];
  const { images, names } = readAll(Array.isArray(input) ? input : [input]);
  const out = await recognizeInImages(models, images, (args[2] ?? {}) as DetectOptions, names);
  return Array.isArray(input) ? out : out[0]!;
}
