/**
 * predict() in the browser: the same as in Node (makePredict in train/evaluate.ts) with the
 * browser's devices (navigator.gpu), the shipped model fetched over HTTP, and every image a web
 * app has (see decodeImage).
 */
import { createDevice } from '../gpu/navigator.js';
import type { Tensor } from '../tensor.js';
import { makePredict, type PredictFunction } from '../train/evaluate.js';
import { decodeImageWithSize, inputName, type BrowserImageInput } from './image.js';
import { loadPretrained } from './pretrained.js';

/** Everything predict takes as its inputs in the browser. */
export type PredictInputs = BrowserImageInput[] | Tensor;

/**
 * Predicts the expression of faces: `ImageData`, `ImageBitmap`, `<img>`, `<canvas>`, `<video>`
 * (its current frame), `VideoFrame`, `Blob`/`File`, image bytes, URLs, 48x48 gray `Uint8Array`s
 * (each converted to 48x48 gray as the data loaders do: see {@link decodeImage}), or a tensor
 * [N, 1, 48, 48] that is already the model's input (normalised; no TTA).
 *
 * Without a model, `predict(device, inputs)` loads the pretrained one shipped in the package
 * (`options.weights`: another checkpoint's URL or bytes) with the mean, std and class names its
 * checkpoint records, and disposes of it afterwards; `predict(inputs)` also makes its own device.
 * A page that predicts often (a webcam) should load the model once and call `predict(model, …)`.
 *
 * @example
 * const device = await createDevice();
 * const { model, info } = await loadPretrained(device);
 * const [p] = await predict(model, [video], { mean: info.mean, std: info.std, classNames: info.classes });
 * console.log(p.label, p.probabilities);
 */
export const predict: PredictFunction<BrowserImageInput, string | URL | Uint8Array> = makePredict<
  BrowserImageInput,
  string | URL | Uint8Array
>({
  createDevice: () => createDevice(),
  loadPretrained: (device, weights) => loadPretrained(device, weights),
  decode: (input, i) => decodeImageWithSize(input, inputName(input, `predict input ${i}`)),
  fileOf: (input) =>
    typeof input === 'string' || (typeof File === 'function' && input instanceof File) ? inputName(input, '') : undefined,
});
