/**
 * Face detection and recognition on decoded images, platform-free: images go to the GPU, are
 * letterboxed into one batch for BlazeFace (one submission), and the faces found are cropped on
 * the GPU into one batch for the expression model (a second submission).
 */
import type { Device } from '../gpu/device.js';
import { InputError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { cropResize, GpuImage, type PixelImage } from '../kernels/crop-resize/index.js';
import type { BlazeFace } from './blazeface.js';
import type { BlazeFaceRange, BlazeFaceSpec } from './spec.js';
import {
  anchorCentres,
  decode,
  KEYPOINT_NAMES,
  letterbox,
  project,
  weightedNms,
  type Box,
  type Detection,
  type KeypointName,
} from './postprocess.js';
import { calibrateLogits, checkCalibration, softmaxRows, type Calibration } from '../train/calibration.js';

export type { PixelImage } from '../kernels/crop-resize/index.js';
export type { Box } from './postprocess.js';

/** A face keypoint in image pixels. */
export interface FaceKeypoint {
  name: KeypointName;
  x: number;
  y: number;
}

/** A face found in an image: box and keypoints in the image's pixels, detector score in [0, 1]. */
export interface DetectedFace {
  box: Box;
  score: number;
  keypoints: FaceKeypoint[];
}

/** A detected face with its expression. */
export interface RecognizedFace extends DetectedFace {
  label: string;
  probabilities: Record<string, number>;
}

/** Options of detectFaces and recognize. */
export interface DetectOptions {
  /** Lowest detector score kept (default MediaPipe's: 0.6 full range, 0.5 short range). */
  minScore?: number;
  /** Most faces returned per image, best first (default all). */
  maxFaces?: number;
  /** Which detector: 'full' (default; small faces, group photos) or 'short' (faces near the camera). */
  range?: BlazeFaceRange;
}

/** One detector, or one per range. */
export type FaceDetectors = BlazeFace | Partial<Record<BlazeFaceRange, BlazeFace>>;

/** The expression model and how its inputs are normalised. */
export interface ExpressionModel {
  model: Module & { numClasses?: number };
  mean: number;
  std: number;
  classes: readonly string[];
  /** Logit calibration applied before the softmax, as predict() applies it (the checkpoint's `info.calibration`); absent or null: none. */
  calibration?: Calibration | null;
}

/** Models for recognize(): detectors and the expression model, on one device. */
export interface FaceModels {
  detectors: FaceDetectors;
  expression: ExpressionModel;
}

/** The detector for options.range from one detector or a set of them. */
export function pickDetector(detectors: FaceDetectors, range?: BlazeFaceRange): BlazeFace {
  checkDetectOptions({ range });
  if ('spec' in detectors && 'forward' in detectors) {
    const d = detectors as BlazeFace;
    if (range && d.range !== range)
      throw new InputError(`options.range is '${range}' but this detector is the ${d.range}-range BlazeFace; load the ${range}-range one`);
    return d;
  }
  const set = detectors as Partial<Record<BlazeFaceRange, BlazeFace>>;
  const d = set[range ?? 'full'] ?? (range ? undefined : set.short);
  if (!d) throw new InputError(`no ${range ?? 'full'}-range detector loaded`);
  return d;
}

/** Checks detectFaces/recognize options against their domains (before any work). */
export function checkDetectOptions(o: DetectOptions): void {
  if (o.range !== undefined && o.range !== 'full' && o.range !== 'short')
    throw new InputError(`range must be 'full' or 'short', got ${JSON.stringify(o.range)}`);
  if (o.minScore !== undefined && !(o.minScore >= 0 && o.minScore <= 1))
    throw new InputError(`minScore must be in [0, 1], got ${o.minScore}`);
  if (o.maxFaces !== undefined && !(Number.isInteger(o.maxFaces) && o.maxFaces >= 0))
    throw new InputError(`maxFaces must be a non-negative integer, got ${o.maxFaces}`);
}

/**
 * An image that fits in one GPU buffer: the image itself, or a copy shrunk by an integer factor
 * (each output pixel the mean of a factor x factor block) with the factor, so detections can be
 * scaled back to the original's pixels. Huge images are shrunk, not refused: BlazeFace sees
 * 192x192 anyway.
 */
export function fitImage(image: PixelImage, maxBytes: number): { image: PixelImage; factor: number } {
  const { width, height, data } = image;
  if (!(width >= 1 && height >= 1)) return { image, factor: 1 }; // GpuImage.upload says what is wrong
  if (width * height * 4 <= maxBytes) return { image, factor: 1 };
  const channels = image.channels ?? data.length / (width * height);
  let factor = Math.ceil(Math.sqrt((width * height * 4) / maxBytes));
  while (Math.floor(width / factor) * Math.floor(height / factor) * 4 > maxBytes) factor++;
  const w = Math.max(1, Math.floor(width / factor));
  const h = Math.max(1, Math.floor(height / factor));
  const out = new Uint8Array(w * h * channels);
  const sum = new Float64Array(channels);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      sum.fill(0);
      for (let dy = 0; dy < factor; dy++)
        for (let dx = 0; dx < factor; dx++) {
          const o = ((y * factor + dy) * width + x * factor + dx) * channels;
          for (let c = 0; c < channels; c++) sum[c]! += data[o + c]!;
        }
      for (let c = 0; c < channels; c++) out[(y * w + x) * channels + c] = Math.round(sum[c]! / (factor * factor));
    }
  return { image: { width: w, height: h, channels, data: out }, factor };
}

/** Images uploaded to the GPU (shrunk where needed), with the factor back to their own pixels. */
export function uploadImages(
  device: Device,
  images: readonly PixelImage[],
  names?: readonly string[],
): Array<{ gpu: GpuImage; factor: number }> {
  const out: Array<{ gpu: GpuImage; factor: number }> = [];
  try {
    images.forEach((im, i) => {
      const { image, factor } = fitImage(im, device.maxTensorBytes);
      out.push({ gpu: GpuImage.upload(device, image, names?.[i] ?? `image ${i}`), factor });
    });
  } catch (e) {
    for (const u of out) u.gpu.dispose();
    throw e;
  }
  return out;
}

function toFace(d: Detection, factor: number): DetectedFace {
  return {
    box: { x: d.box.x * factor, y: d.box.y * factor, width: d.box.width * factor, height: d.box.height * factor },
    score: d.score,
    keypoints: KEYPOINT_NAMES.map((name, k) => ({ name, x: d.keypoints[2 * k]! * factor, y: d.keypoints[2 * k + 1]! * factor })),
  };
}

/**
 * Detects faces in images already on the GPU: one batch through BlazeFace (one submission, one
 * read-back), then decoding and weighted non-maximum suppression per image on the CPU.
 * Faces are sorted by score, best first, in the images' own pixels.
 */
export async function detectOnGpu(
  detector: BlazeFace,
  images: ReadonlyArray<{ gpu: GpuImage; factor: number }>,
  options: DetectOptions = {},
): Promise<DetectedFace[][]> {
  checkDetectOptions(options);
  if (images.length === 0) return [];
  const S = detector.spec.inputSize;
  const regions = images.map(({ gpu }) => letterbox(gpu.width, gpu.height));
  const x = cropResize(
    detector.device,
    images.map(({ gpu }, i) => ({ image: gpu, box: regions[i]! })),
    { size: [S, S], channels: 'rgb', filter: 'bilinear', scale: 1 / 127.5, offset: -1 },
  );
  let raw;
  try {
    raw = await detector.detectRaw(x);
  } finally {
    x.dispose();
  }
  const anchors = anchorCentres(detector.spec);
  const minScore = options.minScore ?? detector.spec.minScore;
  return images.map(({ factor }, n) =>
    weightedNms(decode(raw, n, detector.spec, anchors, minScore), detector.spec.iouThreshold, options.maxFaces).map((d) =>
      toFace(project(d, regions[n]!), factor),
    ),
  );
}

/**
 * The square crop (image pixels) of a detected face for the expression model, framed as FER2013
 * frames its faces: `spec.ferCrop.scale` times the box's larger side, centred `shiftY` box sides
 * below the box's centre (negative: above). See BlazeFaceSpec.ferCrop for how it was measured.
 */
export function faceCrop(box: Box, spec: BlazeFaceSpec): Box {
  const size = Math.max(box.width, box.height);
  const side = spec.ferCrop.scale * size;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2 + spec.ferCrop.shiftY * size;
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

/**
 * Detection, then the expression of every face: all faces of all images cropped to 48x48 gray on
 * the GPU (faceCrop, antialiased like the FER data loaders) and classified in one batch.
 */
export async function recognizeOnGpu(
  models: FaceModels,
  images: ReadonlyArray<{ gpu: GpuImage; factor: number }>,
  options: DetectOptions = {},
): Promise<RecognizedFace[][]> {
  const detector = pickDetector(models.detectors, options.range);
  const { model, mean, std, classes, calibration } = models.expression;
  if (model.device !== detector.device) throw new InputError('recognize: the detector and the expression model live on different devices');
  const faces = await detectOnGpu(detector, images, options);
  const crops = faces.flatMap((fs, n) =>
    fs.map((f) => ({ image: images[n]!.gpu, box: faceCrop(scaleBox(f.box, 1 / images[n]!.factor), detector.spec) })),
  );
  if (crops.length === 0) return faces.map(() => []);
  const device = model.device;
  const x = cropResize(device, crops, {
    size: [48, 48],
    channels: 'gray',
    filter: 'antialias',
    scale: 1 / (255 * std),
    offset: -mean / std,
  });
  const wasTraining = model.training;
  model.eval();
  let logits: Float32Array;
  try {
    const y = device.noGrad(() => model.forward(x));
    logits = await y.toArray();
    y.dispose();
  } finally {
    x.dispose();
    model.train(wasTraining);
  }
  const k = logits.length / crops.length;
  if (calibration) checkCalibration(calibration, k, 'recognize: expression calibration');
  const probs = softmaxRows(calibration ? calibrateLogits(logits, k, calibration) : logits, k);
  let row = 0;
  return faces.map((fs) =>
    fs.map((f) => {
      const p = Array.from(probs.subarray(row * k, ++row * k));
      let best = 0;
      for (let j = 1; j < k; j++) if (p[j]! > p[best]!) best = j;
      const probabilities = Object.fromEntries(p.map((v, j) => [classes[j] ?? String(j), v]));
      return { ...f, label: classes[best] ?? String(best), probabilities };
    }),
  );
}

function scaleBox(b: Box, s: number): Box {
  return { x: b.x * s, y: b.y * s, width: b.width * s, height: b.height * s };
}

/** detectOnGpu on decoded images: uploads them, detects, frees them. */
export async function detectInImages(
  detectors: FaceDetectors,
  images: readonly PixelImage[],
  options: DetectOptions = {},
  names?: readonly string[],
): Promise<DetectedFace[][]> {
  const detector = pickDetector(detectors, options.range);
  checkDetectOptions(options);
  const up = uploadImages(detector.device, images, names);
  try {
    return await detectOnGpu(detector, up, options);
  } finally {
    for (const u of up) u.gpu.dispose();
  }
}

/** recognizeOnGpu on decoded images: uploads them, recognizes, frees them. */
export async function recognizeInImages(
  models: FaceModels,
  images: readonly PixelImage[],
  options: DetectOptions = {},
  names?: readonly string[],
): Promise<RecognizedFace[][]> {
  const detector = pickDetector(models.detectors, options.range);
  checkDetectOptions(options);
  const up = uploadImages(detector.device, images, names);
  try {
    return await recognizeOnGpu(models, up, options);
  } finally {
    for (const u of up) u.gpu.dispose();
  }
}
