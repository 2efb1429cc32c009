/**
 * predict() in Node: image inputs are files, encoded bytes, decoded pixels or 48x48 gray
 * arrays (decodeImage), devices come from Dawn, and the shipped model from the package folder.
 * The platform-free half is makePredict in evaluate.ts; the browser's binding is
 * src/browser/predict.ts.
 */
import { createDevice } from '../gpu/dawn.js';
import { decodeImageWithSize, type ImageInput } from '../data/image.js';
import type { Tensor } from '../tensor.js';
import { makePredict, type PredictFunction } from './evaluate.js';
import { loadPretrained } from './pretrained.js';

/** What {@link predict} accepts in Node: images (paths, PNG/JPEG bytes, pixels, 48x48 gray arrays), or a model-ready tensor. */
export type { ImageInput } from '../data/image.js';

/**
 * Predicts the expression of faces. Inputs: PNG/JPEG files (paths) or their bytes, decoded
 * pixels `{ data, width, height }` (gray, RGB or RGBA: the shape of `ImageData`), each converted
 * to 48x48 gray as the data loaders do (see {@link decodeImage}); 48x48 gray `Uint8Array`s; or a
 * tensor [N, 1, 48, 48] that is already the model's input (normalised; no TTA). Images are
 * normalised with `mean`/`std`.
 *
 * Without a model, `predict(device, inputs)` uses the pretrained one shipped in the package (see
 * {@link defaultWeightsPath}; `options.weights` picks another checkpoint), with the mean, std and
 * class names its checkpoint records, and disposes of it afterwards. `predict(inputs)` does the
 * same on a device it creates and destroys (simplest; a program that predicts often should keep
 * one device).
 *
 * @example
 * const [p] = await predict(['face.jpg']);            // the shipped fer-resnet18, its own device
 * const mine = await predict(device, ['a.png'], { weights: 'runs/x/best.safetensors' });
 * const preds = await predict(model, ['a.png', fs.readFileSync('b.jpg')], { tta: true });
 * console.log(p.label, p.probabilities);
 */
export const predict: PredictFunction<ImageInput, string> = makePredict<ImageInput, string>({
  createDevice: () => createDevice(),
  loadPretrained: (device, weights) => loadPretrained(device, weights),
  decode: (input, i) => decodeImageWithSize(input, typeof input === 'string' ? input : `predict input ${i}`),
  fileOf: (input) => (typeof input === 'string' ? input : undefined),
});

/** Everything {@link predict} takes as its inputs in Node. */
export type PredictInputs = ImageInput[] | Tensor;
