/**
 * The `__metadata__` entries fer-gpu puts in its safetensors checkpoints, so a checkpoint says
 * how to rebuild the model and preprocess images: architecture, width, normalization, classes,
 * and (after `fer-gpu calibrate`) how to calibrate its logits.
 *
 * | key | value |
 * | --- | --- |
 * | `fer-gpu.arch` | `fer-resnet18` |
 * | `fer-gpu.width` | channels of the first conv, e.g. `8` |
 * | `fer-gpu.mean`, `fer-gpu.std` | inputs are `(pixel / 255 − mean) / std` |
 * | `fer-gpu.classes` | class names in label-id order, comma-separated |
 * | `fer-gpu.temperature` | optional: calibrated logits are `logits / temperature` (a positive number) … |
 * | `fer-gpu.logit-bias` | optional: … `+ logitBias[j]` for class j (comma-separated numbers, one per class, label-id order); probabilities are their softmax |
 * | `fer-gpu.calibration` | optional, informational: JSON saying how the calibration was fitted (split, images, scores before and after) |
 *
 * A consumer that exports or serves the model (ONNX, a server) applies
 * `softmax(logits / temperature + logitBias)`; absent keys mean temperature 1 and bias 0.
 * exportOnnx (`fer-gpu export`) writes the same entries into the ONNX file's metadata_props.
 */
import { FER_CLASSES } from '../classes.js';
import { InputError } from '../errors.js';
import { checkCalibration, type Calibration } from '../train/calibration.js';

/** Metadata keys of fer-gpu checkpoints. */
export const FER_METADATA_KEYS = {
  arch: 'fer-gpu.arch',
  width: 'fer-gpu.width',
  mean: 'fer-gpu.mean',
  std: 'fer-gpu.std',
  classes: 'fer-gpu.classes',
  temperature: 'fer-gpu.temperature',
  logitBias: 'fer-gpu.logit-bias',
  calibration: 'fer-gpu.calibration',
} as const;

/** The one architecture fer-gpu checkpoints hold today. */
export const FER_ARCH = 'fer-resnet18';

/** What a checkpoint's metadata says about its model. */
export interface FerCheckpointInfo {
  arch: typeof FER_ARCH;
  /** Channels of the first conv; undefined when absent (infer it from `conv1.weight`'s shape). */
  width: number | undefined;
  /** Inputs are `(pixel / 255 - mean) / std`. */
  mean: number;
  std: number;
  /** Class names in label-id order. */
  classes: string[];
  /** Logit calibration (`fer-gpu.temperature`, `fer-gpu.logit-bias`); undefined when the checkpoint has none. */
  calibration?: Calibration;
  /** How the calibration was fitted (`fer-gpu.calibration`, a JSON object); informational. */
  calibrationInfo?: object;
}

/**
 * Builds the metadata of a fer-gpu checkpoint (plus `format: "pt"`, the Hugging Face marker for
 * tensors in PyTorch layout).
 * @throws InputError for a non-positive width, non-finite mean, std <= 0, a bad class name, or an
 *   invalid calibration (see checkCalibration).
 */
export function ferMetadata({
  width,
  mean = 0.5,
  std = 0.5,
  classes = FER_CLASSES,
  calibration,
  calibrationInfo,
}: {
  width: number;
  mean?: number;
  std?: number;
  classes?: readonly string[];
  /** Logit calibration to record (see the table above). */
  calibration?: Calibration;
  /** How the calibration was fitted (written as JSON under `fer-gpu.calibration`). */
  calibrationInfo?: object;
}): Record<string, string> {
  if (!Number.isSafeInteger(width) || width <= 0) throw new InputError(`width must be a positive integer, got ${width}`);
  if (!Number.isFinite(mean)) throw new InputError(`mean must be a finite number, got ${mean}`);
  if (!(Number.isFinite(std) && std > 0)) throw new InputError(`std must be a positive number, got ${std}`);
  checkClasses(classes, 'classes');
  return {
    format: 'pt',
    [FER_METADATA_KEYS.arch]: FER_ARCH,
    [FER_METADATA_KEYS.width]: String(width),
    [FER_METADATA_KEYS.mean]: String(mean),
    [FER_METADATA_KEYS.std]: String(std),
    [FER_METADATA_KEYS.classes]: classes.join(','),
    ...(calibration ? calibrationMetadata(calibration, classes.length, calibrationInfo) : {}),
  };
}

/**
 * The metadata entries of a logit calibration: `fer-gpu.temperature`, `fer-gpu.logit-bias`
 * (when it has a bias) and `fer-gpu.calibration` (when `info` is given).
 * @throws InputError for an invalid calibration (see checkCalibration).
 */
export function calibrationMetadata(calibration: Calibration, numClasses: number, info?: object): Record<string, string> {
  checkCalibration(calibration, numClasses);
  const out: Record<string, string> = { [FER_METADATA_KEYS.temperature]: String(calibration.temperature) };
  if (calibration.logitBias) out[FER_METADATA_KEYS.logitBias] = calibration.logitBias.map(String).join(',');
  if (info) out[FER_METADATA_KEYS.calibration] = JSON.stringify(info);
  return out;
}

/**
 * Reads fer-gpu entries from a checkpoint's metadata. Absent entries get defaults (arch
 * fer-resnet18, width undefined, mean 0.5, std 0.5, FER2013's seven classes), so a plain
 * PyTorch state dict saved without metadata still loads.
 * @param file names the checkpoint in error messages.
 * @throws InputError naming the file and the entry for any present but invalid entry.
 */
export function parseFerMetadata(meta: Record<string, string>, file = 'checkpoint'): FerCheckpointInfo {
  const get = (key: string): string | undefined => (Object.hasOwn(meta, key) ? meta[key] : undefined);
  const bad = (key: string, why: string) => new InputError(`${file}: metadata "${key}" ${why}, got ${JSON.stringify(get(key))}`);

  const arch = get(FER_METADATA_KEYS.arch) ?? FER_ARCH;
  if (arch !== FER_ARCH) throw bad(FER_METADATA_KEYS.arch, `must be "${FER_ARCH}" (the only architecture fer-gpu builds)`);

  const widthText = get(FER_METADATA_KEYS.width);
  let width: number | undefined;
  if (widthText !== undefined) {
    width = /^[0-9]+$/.test(widthText) ? Number(widthText) : NaN;
    if (!(Number.isSafeInteger(width) && width > 0)) throw bad(FER_METADATA_KEYS.width, 'must be a positive integer');
  }

  const toNumber = (text: string): number => (text.trim() === '' ? NaN : Number(text));
  const number = (key: string, fallback: number): number => {
    const text = get(key);
    if (text === undefined) return fallback;
    const value = toNumber(text);
    if (!Number.isFinite(value)) throw bad(key, 'must be a finite number');
    return value;
  };
  const mean = number(FER_METADATA_KEYS.mean, 0.5);
  const std = number(FER_METADATA_KEYS.std, 0.5);
  if (!(std > 0)) throw bad(FER_METADATA_KEYS.std, 'must be positive');

  const classesText = get(FER_METADATA_KEYS.classes);
  const classes = classesText === undefined ? [...FER_CLASSES] : classesText.split(',');
  checkClasses(classes, `${file}: metadata "${FER_METADATA_KEYS.classes}"`);

  const info: FerCheckpointInfo = { arch: FER_ARCH, width, mean, std, classes };
  const biasText = get(FER_METADATA_KEYS.logitBias);
  if (get(FER_METADATA_KEYS.temperature) !== undefined || biasText !== undefined) {
    const temperature = number(FER_METADATA_KEYS.temperature, 1);
    if (!(temperature > 0)) throw bad(FER_METADATA_KEYS.temperature, 'must be positive');
    info.calibration = { temperature };
    if (biasText !== undefined) {
      const logitBias = biasText.split(',').map(toNumber);
      if (!logitBias.every(Number.isFinite)) throw bad(FER_METADATA_KEYS.logitBias, 'must be comma-separated finite numbers');
      if (logitBias.length !== classes.length) throw bad(FER_METADATA_KEYS.logitBias, `must have one number per class (${classes.length})`);
      info.calibration.logitBias = logitBias;
    }
  }
  const infoText = get(FER_METADATA_KEYS.calibration);
  if (infoText !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(infoText);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw bad(FER_METADATA_KEYS.calibration, 'must be a JSON object');
    info.calibrationInfo = parsed;
  }
  return info;
}

function checkClasses(classes: readonly string[], what: string): void {
  if (classes.length < 2) throw new InputError(`${what} must list at least 2 classes, got ${JSON.stringify(classes)}`);
  const seen = new Set<string>();
  for (const c of classes) {
    if (c === '' || c.includes(','))
      throw new InputError(`${what}: class names must be non-empty and free of commas, got ${JSON.stringify(c)}`);
    if (seen.has(c)) throw new InputError(`${what}: class ${JSON.stringify(c)} appears twice`);
    seen.add(c);
  }
}
