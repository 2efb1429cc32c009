/**
 * detectFaces() and recognize() for a platform (node.ts for Node, src/browser/faces.ts for the
 * browser), as makePredict does for predict(): the platform says how it makes a device, loads the
 * shipped models and reads its image inputs; the forms of the two functions are the same on both.
 */
import type { Device } from '../gpu/device.js';
import type { LoadedModel } from '../train/model-bytes.js';
import { FER_CLASSES } from '../classes.js';
import type { BlazeFace } from './blazeface.js';
import type { BlazeFaceRange } from './spec.js';
import {
  checkDetectOptions,
  detectInImages,
  recognizeInImages,
  type DetectedFace,
  type DetectOptions,
  type FaceDetectors,
  type FaceModels,
  type PixelImage,
  type RecognizedFace,
} from './detect.js';

/** Face models that own their GPU memory: `dispose()` when done. */
export type LoadedFaceModels = FaceModels & { dispose(): void };

/** Detectors and a loaded expression checkpoint as face models (normalised and calibrated as its metadata says). */
export function faceModelsOf(detectors: Partial<Record<BlazeFaceRange, BlazeFace>>, { model, info }: LoadedModel): LoadedFaceModels {
  return {
    detectors,
    expression: { model, mean: info.mean, std: info.std, classes: info.classes ?? FER_CLASSES, calibration: info.calibration },
    dispose() {
      for (const d of Object.values(detectors)) d?.dispose();
      model.dispose();
    },
  };
}

/** What a platform gives {@link makeFaceFunctions}. */
export interface FacePlatform<Input, Weights> {
  createDevice(): Promise<Device>;
  /** The shipped detectors of `ranges` and the shipped expression model (or `weights`). */
  loadFaceModels(device: Device, options: { ranges: BlazeFaceRange[]; weights?: Weights }): LoadedFaceModels | Promise<LoadedFaceModels>;
  /** Input `index` decoded to pixels, with the name errors give it. */
  readImage(input: Input, index: number): { image: PixelImage; name: string } | Promise<{ image: PixelImage; name: string }>;
}

/** The forms of detectFaces for a platform's image inputs. */
export interface DetectFacesFunction<Input> {
  (detectors: FaceDetectors, image: Input, options?: DetectOptions): Promise<DetectedFace[]>;
  (detectors: FaceDetectors, images: readonly Input[], options?: DetectOptions): Promise<DetectedFace[][]>;
}

/** The forms of recognize for a platform's image inputs and weights. */
export interface RecognizeFunction<Input, Weights> {
  (image: Input, options?: DetectOptions & { weights?: Weights }): Promise<RecognizedFace[]>;
  (images: readonly Input[], options?: DetectOptions & { weights?: Weights }): Promise<RecognizedFace[][]>;
  (models: FaceModels, image: Input, options?: DetectOptions): Promise<RecognizedFace[]>;
  (models: FaceModels, images: readonly Input[], options?: DetectOptions): Promise<RecognizedFace[][]>;
}

/** True for models from loadFaceModels (or made by hand), as opposed to an image. */
export function isFaceModels(x: unknown): x is FaceModels {
  return !!x && typeof x === 'object' && 'detectors' in x && 'expression' in x;
}

/**
 * detectFaces and recognize for a platform. Inputs are all read (and their errors thrown) before
 * any device is made; an array of images is one batch: one GPU submission for detection and one
 * for every face's expression.
 */
export function makeFaceFunctions<Input, Weights>(
  platform: FacePlatform<Input, Weights>,
): { detectFaces: DetectFacesFunction<Input>; recognize: RecognizeFunction<Input, Weights> } {
  async function readAll(inputs: readonly Input[]): Promise<{ images: PixelImage[]; names: string[] }> {
    const read = await Promise.all(inputs.map((x, i) => platform.readImage(x, i)));
    return { images: read.map((r) => r.image), names: read.map((r) => r.name) };
  }

  async function detectFaces(
    detectors: FaceDetectors,
    input: Input | readonly Input[],
    options: DetectOptions = {},
  ): Promise<DetectedFace[] | DetectedFace[][]> {
    const batch = Array.isArray(input);
    const { images, names } = await readAll(batch ? (input as readonly Input[]) : [input as Input]);
    const out = await detectInImages(detectors, images, options, names);
    return batch ? out : out[0]!;
  }

  async function recognize(...args: unknown[]): Promise<RecognizedFace[] | RecognizedFace[][]> {
    const withModels = isFaceModels(args[0]);
    const input = (withModels ? args[1] : args[0]) as Input | readonly Input[];
    const batch = Array.isArray(input);
    const { images, names } = await readAll(batch ? (input as readonly Input[]) : [input as Input]);
    let out: RecognizedFace[][];
    if (withModels) out = await recognizeInImages(args[0] as FaceModels, images, (args[2] ?? {}) as DetectOptions, names);
    else {
      const { weights, ...options } = (args[1] ?? {}) as DetectOptions & { weights?: Weights };
      checkDetectOptions(options);
      const device = await platform.createDevice();
      try {
        const models = await platform.loadFaceModels(device, { ranges: [options.range ?? 'full'], weights });
        try {
          out = await recognizeInImages(models, images, options, names);
        } finally {
          models.dispose();
        }
      } finally {
        device.destroy();
      }
    }
    return batch ? out : out[0]!;
  }

  return { detectFaces: detectFaces as DetectFacesFunction<Input>, recognize: recognize as RecognizeFunction<Input, Weights> };
}
