/**
 * Evaluation and prediction: eval-mode forward passes in batches, optional ten-crop
 * test-time augmentation (softmax averaged over the crops), and the metrics report.
 */
import type { Device } from '../gpu/device.js';
import { Tensor } from '../tensor.js';
import { Module, inEvalMode } from '../nn/module.js';
import { FER_CLASSES } from '../classes.js';
import { FER_PIXELS, type FerDataset, type FerSplit } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { GpuImages, augmentBatch, imageMean, tenCropParams } from '../data/augment/index.js';
import { classificationReport, type ClassificationReport } from '../metrics/report.js';
import { InputError } from '../errors.js';
import type { DecodedImage } from '../data/pixels.js';
import type { LoadedModel } from './model-bytes.js';
import { calibrateLogits, checkCalibration, softmaxRows, type Calibration } from './calibration.js';

/** A classifier `evaluate`/`predict` can run: a module whose forward gives logits [N, classes]. */
export type Model = Module & { numClasses?: number };

export interface EvaluateOptions {
  split?: FerSplit | readonly FerSplit[];
  batchSize?: number;
  mean?: number;
  std?: number;
  /** Ten-crop test-time augmentation. */
  tta?: boolean;
  classNames?: readonly string[];
  /**
   * Logit calibration applied before the softmax (each crop's, with TTA): a checkpoint's
   * `info.calibration` from loadModel. Absent or null: none.
   */
  calibration?: Calibration | null;
}

/** Class probabilities [n, k] of normalised images; with tta, images hold 10 crops per input. */
async function probabilities(
  model: Module,
  images: Tensor,
  k: number,
  tta: boolean,
  calibration?: Calibration | null,
): Promise<Float32Array> {
  const logits = images.device.noGrad(() => model.forward(images));
  const z = await logits.toArray();
  logits.dispose();
  const p = softmaxRows(calibration ? calibrateLogits(z, k, calibration) : z, k);
  if (!tta) return p;
  const n = p.length / k / 10;
  const avg = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let v = 0; v < 10; v++) for (let j = 0; j < k; j++) avg[i * k + j]! += p[(i * 10 + v) * k + j]! / 10;
  return avg;
}

/**
 * Predicted probabilities for every image of a dataset split, in dataset order of that split.
 * Runs in eval mode and leaves the model's mode and weights as they were (see inEvalMode).
 */
export async function predictDataset(
  device: Device,
  model: Module & { numClasses?: number },
  dataset: FerDataset,
  options: EvaluateOptions = {},
): Promise<{ probabilities: Float32Array; labels: Int32Array; indices: Int32Array }> {
  const k = model.numClasses ?? FER_CLASSES.length;
  if (options.calibration) checkCalibration(options.calibration, k);
  const loader = new DataLoader(device, dataset, {
    batchSize: options.tta ? Math.max(1, Math.floor((options.batchSize ?? 256) / 10)) : (options.batchSize ?? 256),
    split: options.split,
    mean: options.mean,
    std: options.std,
  });
  const probs = new Float32Array(loader.size * k);
  const labels = new Int32Array(loader.size);
  const indices = new Int32Array(loader.size);
  let at = 0;
  try {
    await inEvalMode(model, async () => {
      for (const batch of loader) {
        let images = batch.images;
        if (options.tta) {
          images.dispose();
          images = tenCropBatch(device, dataset, batch.indices, options);
        }
        const p = await probabilities(model, images, k, options.tta ?? false, options.calibration);
        images.dispose();
        probs.set(p, at * k);
        labels.set(batch.labels, at);
        indices.set(batch.indices, at);
        at += batch.labels.length;
      }
    });
  } finally {
    loader.dispose();
  }
  return { probabilities: probs, labels, indices };
}

function tenCropBatch(device: Device, dataset: FerDataset, indices: Int32Array, o: EvaluateOptions): Tensor {
  const pixels = new Uint8Array(indices.length * FER_PIXELS);
  indices.forEach((src, i) => pixels.set(dataset.pixels.subarray(src * FER_PIXELS, (src + 1) * FER_PIXELS), i * FER_PIXELS));
  const imgs = new GpuImages(device, pixels);
  const means = Array.from(indices, (_, i) => imageMean(pixels, i * FER_PIXELS));
  const sources = Int32Array.from({ length: indices.length * 10 }, (_, j) => Math.floor(j / 10));
  const out = augmentBatch(imgs, sources, tenCropParams(means), { mean: o.mean, std: o.std });
  imgs.dispose();
  return out;
}

/** Argmax of each row. */
export function argmaxRows(p: Float32Array, k: number): Int32Array {
  const out = new Int32Array(p.length / k);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[r * k + j]! > p[r * k + best]!) best = j;
    out[r] = best;
  }
  return out;
}

/**
 * Evaluates a model on a dataset split: scikit-learn's classification report (per-class
 * precision/recall/F1, accuracy, averages) plus log loss, ROC AUC, top-2 accuracy and ECE.
 * The model runs on its own device; the form with a leading `device` is kept for old callers.
 *
 * @example
 * const report = await evaluate(model, data, { split: 'PrivateTest', tta: true });
 * console.log(report.toString());
 */
export async function evaluate(model: Model, dataset: FerDataset, options?: EvaluateOptions): Promise<ClassificationReport>;
export async function evaluate(device: Device, model: Model, dataset: FerDataset, options?: EvaluateOptions): Promise<ClassificationReport>;
export async function evaluate(...args: unknown[]): Promise<ClassificationReport> {
  const [model, dataset, options = {}] = (args[0] instanceof Module ? args : args.slice(1)) as [Model, FerDataset, EvaluateOptions?];
  if (!(model instanceof Module)) throw new InputError('evaluate: expected (model, dataset, options?)');
  if (dataset.labelled === false)
    throw new InputError(
      `evaluate: ${dataset.source} has no labels (unlabelled images); use predict, or give labelled data (<dir>/<class>/*)`,
    );
  const k = model.numClasses ?? FER_CLASSES.length;
  const { probabilities: p, labels } = await predictDataset(model.device, model, dataset, options);
  const names = options.classNames ?? FER_CLASSES;
  const classes = Array.from({ length: k }, (_, i) => i);
  return classificationReport(labels, argmaxRows(p, k), {
    labels: classes,
    targetNames: classes.map((i) => names[i] ?? String(i)),
    probabilities: p,
  });
}

/** One prediction: the most likely class and every class's probability. */
export interface Prediction {
  file?: string;
  label: string;
  probabilities: Record<string, number>;
}

/** Options of {@link predict}. */
export interface PredictOptions {
  /** Normalisation; with the default model, its checkpoint's values unless given. */
  mean?: number;
  std?: number;
  /** Ten-crop test-time augmentation. */
  tta?: boolean;
  classNames?: readonly string[];
  /**
   * Logit calibration (temperature, logit bias) applied before the softmax. With the default
   * model, its checkpoint's calibration unless given; null ignores it.
   */
  calibration?: Calibration | null;
}

/**
 * What a platform gives {@link makePredict}: its own devices, its shipped model, and the
 * decoding of its image inputs (files in Node; DOM images, blobs and URLs in the browser).
 */
export interface PredictPlatform<Input, Weights> {
  createDevice(): Promise<Device>;
  /** The shipped model (or `weights`), with its checkpoint's metadata. */
  loadPretrained(device: Device, weights?: Weights): LoadedModel | Promise<LoadedModel>;
  /** Input `index` as a 48x48 gray image (2304 bytes), with the size it had. */
  decode(input: Input, index: number): DecodedImage | Promise<DecodedImage>;
  /** The file name a prediction reports for an input, if it has one. */
  fileOf(input: Input): string | undefined;
}

/** The forms of predict, for a platform's image inputs and weights. */
export interface PredictFunction<Input, Weights> {
  (inputs: Input[], options?: PredictOptions & { weights?: Weights }): Promise<Prediction[]>;
  (model: Model, inputs: Input[] | Tensor, options?: PredictOptions): Promise<Prediction[]>;
  (device: Device, inputs: Input[], options?: PredictOptions & { weights?: Weights }): Promise<Prediction[]>;
  (device: Device, model: Model, inputs: Input[] | Tensor, options?: PredictOptions): Promise<Prediction[]>;
}

/**
 * predict() for a platform (see predict.ts for Node's and src/browser/predict.ts for the
 * browser's). Without a model it loads the platform's shipped one with the mean, std and class
 * names its checkpoint records and disposes of it afterwards; without a device it also makes one
 * and destroys it.
 */
export function makePredict<Input, Weights>(platform: PredictPlatform<Input, Weights>): PredictFunction<Input, Weights> {
  async function predict(...args: unknown[]): Promise<Prediction[]> {
    if (Array.isArray(args[0])) {
      const device = await platform.createDevice();
      try {
        return await predict(device, args[0], args[1]);
      } finally {
        device.destroy();
      }
    }
    if (args[0] instanceof Module)
      return predictWith(platform, args[0] as Model, args[1] as Input[] | Tensor, (args[2] ?? {}) as PredictOptions);
    if (args[1] instanceof Module)
      return predictWith(platform, args[1] as Model, args[2] as Input[] | Tensor, (args[3] ?? {}) as PredictOptions);
    const device = args[0] as Device;
    const { weights, ...options } = (args[2] ?? {}) as PredictOptions & { weights?: Weights };
    const { model, info } = await platform.loadPretrained(device, weights);
    try {
      return await predictWith(platform, model, args[1] as Input[] | Tensor, {
        mean: info.mean,
        std: info.std,
        classNames: info.classes,
        calibration: info.calibration,
        ...definedOnly(options),
      });
    } finally {
      model.dispose();
    }
  }
  return predict as PredictFunction<Input, Weights>;
}

/** The entries whose value is not undefined (so they do not override defaults in a spread). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** One prediction per row of class probabilities [n, k]. */
function toPredictions(p: Float32Array, k: number, names: readonly string[], files?: Array<string | undefined>): Prediction[] {
  return Array.from({ length: p.length / k }, (_, i) => {
    const probs: Record<string, number> = {};
    let best = 0;
    for (let j = 0; j < k; j++) {
      probs[names[j] ?? String(j)] = p[i * k + j]!;
      if (p[i * k + j]! > p[i * k + best]!) best = j;
    }
    const file = files?.[i];
    return { ...(file !== undefined ? { file } : {}), label: names[best] ?? String(best), probabilities: probs };
  });
}

/**
 * True for an image that could be a face crop: nearly square (sides within 1.25x of each other)
 * and not larger than 800 pixels a side; a 640x480 scene or a 4000x3000 photo is not.
 */
export function looksLikeFaceCrop(width: number, height: number): boolean {
  return Math.max(width, height) <= 1.25 * Math.min(width, height) && Math.max(width, height) <= 800;
}

async function predictWith<Input>(
  platform: PredictPlatform<Input, unknown>,
  model: Model,
  inputs: Input[] | Tensor,
  options: PredictOptions,
): Promise<Prediction[]> {
  const k = model.numClasses ?? FER_CLASSES.length;
  const names = options.classNames ?? FER_CLASSES;
  if (inputs instanceof Tensor) {
    const [, c, h, w] = inputs.shape;
    if (inputs.shape.length !== 4 || c !== 1 || h !== 48 || w !== 48) {
      throw new InputError(`predict: a tensor input must be [N, 1, 48, 48] (normalised images), got [${inputs.shape.join(', ')}]`);
    }
    if (options.tta) throw new InputError('predict: ten-crop TTA needs images, not a tensor');
    if (options.calibration) checkCalibration(options.calibration, k);
    return toPredictions(await inEvalMode(model, () => probabilities(model, inputs, k, false, options.calibration)), k, names);
  }
  if (!Array.isArray(inputs)) throw new InputError('predict: inputs must be an array of images, or a [N, 1, 48, 48] tensor');
  const pixels = new Uint8Array(inputs.length * FER_PIXELS);
  const files = inputs.map((x) => platform.fileOf(x));
  const notCrops: string[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const img = await platform.decode(inputs[i]!, i);
    if (img.pixels.length !== FER_PIXELS)
      throw new InputError(`predict: input ${i} has ${img.pixels.length} pixels, not 48x48 = ${FER_PIXELS}`);
    pixels.set(img.pixels, i * FER_PIXELS);
    if (files[i] !== undefined && !looksLikeFaceCrop(img.width, img.height)) notCrops.push(`${files[i]} (${img.width}x${img.height})`);
  }
  if (notCrops.length > 0) {
    console.warn(
      `predict: ${notCrops.slice(0, 3).join(', ')}${notCrops.length > 3 ? ` and ${notCrops.length - 3} more` : ''} ` +
        `${notCrops.length === 1 ? 'does' : 'do'} not look like a face crop (predict squeezes the whole image to 48x48); ` +
        'to find the faces in a photo first, use recognize() (fer-gpu detect on the command line)',
    );
  }
  const dataset: FerDataset = {
    length: inputs.length,
    pixels,
    labels: new Uint8Array(inputs.length),
    splits: new Uint8Array(inputs.length),
    keys: files.map((f, i) => f ?? `input:${i}`),
    source: 'predict',
    issues: [],
  };
  const { probabilities: p } = await predictDataset(model.device, model, dataset, { ...options, batchSize: 64 });
  return toPredictions(p, k, names, files);
}
