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
import { BlazeFace } from './blazeface.js';
import type { BlazeFaceRange } from './spec.js';
import type { DetectOptions, PixelImage } from './detect.js';
import { faceModelsOf, makeFaceFunctions, type DetectFacesFunction, type LoadedFaceModels, type RecognizeFunction } from './api.js';

/** What the Node functions accept as an image: a file path, a file's bytes (PNG/JPEG), or decoded pixels. */
export type { ImageInput } from '../data/image.js';

/** The shipped detector file of a range, inside the installed package. */
export function shippedDetectorPath(range: BlazeFaceRange): string {
  const root = packageRoot();
  if (!root)
    throw new InputError(`the fer-gpu package folder (with models/blazeface-${range}.safetensors) cannot be found from this bundle`);
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

/**
 * Loads the detectors and the expression model onto a device, for apps that call recognize() per frame.
 * @example
 * const models = loadFaceModels(device);
 * for (const frame of frames) console.log(await recognize(models, frame));
 * models.dispose();
 */
export function loadFaceModels(device: Device, options: FaceModelsOptions = {}): LoadedFaceModels {
  const detectors: Partial<Record<BlazeFaceRange, BlazeFace>> = {};
  try {
    for (const r of options.ranges ?? ['full', 'short']) detectors[r] = loadBlazeFace(device, r);
    return faceModelsOf(detectors, loadPretrained(device, options.weights));
  } catch (e) {
    for (const d of Object.values(detectors)) d.dispose();
    throw e;
  }
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

const faces = makeFaceFunctions<ImageInput, string>({ createDevice: () => createDevice(), loadFaceModels, readImage: readImageInput });

/**
 * Finds the faces in an image (or each image of an array, as one GPU batch) with BlazeFace:
 * boxes and the six keypoints in the image's pixels, best score first.
 * @example
 * const detector = loadBlazeFace(device);
 * const faces = await detectFaces(detector, 'group.jpg', { minScore: 0.7 });
 * // [{ box: { x, y, width, height }, score, keypoints: [{ name: 'rightEye', x, y }, …] }, …]
 */
export const detectFaces: DetectFacesFunction<ImageInput> = faces.detectFaces;

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
export const recognize: RecognizeFunction<ImageInput, string> = faces.recognize;
