/**
 * Faces in the browser: the same detectFaces/recognize as in Node (src/faces/api.ts), with the
 * browser's devices, the shipped BlazeFace files fetched from the package's models/ folder next
 * to the bundle (like the expression model: see pretrained.ts), and every image a web app has
 * (see decodeImage): ImageData, <img>, <canvas>, <video> frames, VideoFrame, Blob/File, URLs.
 */
import type { Device } from '../gpu/device.js';
import { createDevice } from '../gpu/navigator.js';
import { decodeSafetensors } from '../io/safetensors-bytes.js';
import { BlazeFace } from '../faces/blazeface.js';
import type { BlazeFaceRange } from '../faces/spec.js';
import { faceModelsOf, makeFaceFunctions, type DetectFacesFunction, type LoadedFaceModels, type RecognizeFunction } from '../faces/api.js';
import type { DetectOptions } from '../faces/detect.js';
import { fetchBytes } from './fetch.js';
import { decodePixels, inputName, type BrowserImageInput } from './image.js';
import { loadPretrained } from './pretrained.js';

/**
 * Where the shipped detector of a range is, relative to this module once built (dist/browser.js):
 * the package's models/blazeface-{full,short}.safetensors. Bundlers turn these literal forms into assets.
 */
export function defaultDetectorUrl(range: BlazeFaceRange = 'full'): URL {
  if (range === 'short') return new URL('../models/blazeface-short.safetensors', import.meta.url);
  if (range === 'full') return new URL('../models/blazeface-full.safetensors', import.meta.url);
  throw new Error(`BlazeFace range must be 'full' or 'short', got ${JSON.stringify(range)}`);
}

/**
 * Loads a BlazeFace detector: the one shipped in the package for a range ('full' by default,
 * fetched next to the bundle), or a converted .safetensors file's URL or bytes. Dispose when done.
 * @throws InputError naming the URL when it cannot be fetched or is not a BlazeFace file.
 * @example const detector = await loadBlazeFace(device, 'short');
 */
export async function loadBlazeFace(device: Device, source: BlazeFaceRange | string | URL | Uint8Array = 'full'): Promise<BlazeFace> {
  if (source instanceof Uint8Array) return BlazeFace.fromSafetensors(device, decodeSafetensors(source, { name: '<bytes>' }), '<bytes>');
  const url =
    source === 'full' || source === 'short'
      ? defaultDetectorUrl(source)
      : new URL(source, (globalThis as { location?: Location }).location?.href);
  const bytes = await fetchBytes(url.href, 'the BlazeFace detector');
  return BlazeFace.fromSafetensors(device, decodeSafetensors(bytes, { name: url.href }), url.href);
}

/** Options of loadFaceModels in the browser. */
export interface FaceModelsOptions {
  /** Detector ranges to load (default ['full', 'short']). */
  ranges?: readonly BlazeFaceRange[];
  /** Where each range's detector is, as a URL (absolute or relative to the page) or bytes (default: the shipped files, next to the bundle). */
  detectors?: Partial<Record<BlazeFaceRange, string | URL | Uint8Array>>;
  /** Expression model checkpoint's URL or bytes (default: the shipped fer-resnet18, next to the bundle). */
  weights?: string | URL | Uint8Array;
}

/**
 * Fetches the detectors and the expression model (in parallel) onto a device, for pages that call
 * recognize() per frame.
 * @example
 * const models = await loadFaceModels(device, { ranges: ['short'] });
 * const faces = await recognize(models, video, { range: 'short' }); // the video's current frame
 * models.dispose();
 */
export async function loadFaceModels(device: Device, options: FaceModelsOptions = {}): Promise<LoadedFaceModels> {
  const ranges = options.ranges ?? ['full', 'short'];
  const expression = loadPretrained(device, options.weights);
  const detectors = ranges.map((r) => loadBlazeFace(device, options.detectors?.[r] ?? r));
  const failure = (await Promise.allSettled([expression, ...detectors])).find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    // every load has settled: free what did load, then say what did not
    await expression.then(
      (m) => m.model.dispose(),
      () => {},
    );
    for (const d of detectors)
      await d.then(
        (x) => x.dispose(),
        () => {},
      );
    throw failure.reason;
  }
  const loaded = await Promise.all(detectors);
  return faceModelsOf(Object.fromEntries(ranges.map((r, i) => [r, loaded[i]!])), await expression);
}

const faces = makeFaceFunctions<BrowserImageInput, string | URL | Uint8Array>({
  createDevice: () => createDevice(),
  loadFaceModels: (device, options) => loadFaceModels(device, options),
  readImage: async (input, i) => {
    const name = inputName(input, `image ${i}`);
    return { image: await decodePixels(input, name), name };
  },
});

/**
 * Finds the faces in an image (or each image of an array, as one GPU batch) with BlazeFace:
 * boxes and the six keypoints in the image's pixels, best score first. Images: see decodeImage.
 * @example
 * const detector = await loadBlazeFace(device);
 * const faces = await detectFaces(detector, document.querySelector('img')!);
 */
export const detectFaces: DetectFacesFunction<BrowserImageInput> = faces.detectFaces;

/** Options of recognize() without models. */
export interface RecognizeOptions extends DetectOptions {
  /** Expression model checkpoint's URL or bytes (default: the shipped one). */
  weights?: string | URL | Uint8Array;
}

/**
 * Finds the faces in an image and the expression of each: `recognize(image)` loads the shipped
 * models on a device it creates and destroys (simplest); `recognize(models, image)` uses models
 * from loadFaceModels (a webcam: load once, call per frame). An array of images is one batch.
 * @example
 * const models = await loadFaceModels(await createDevice());
 * for (const f of await recognize(models, video)) console.log(f.label, f.box, f.probabilities);
 */
export const recognize: RecognizeFunction<BrowserImageInput, string | URL | Uint8Array> = faces.recognize;
