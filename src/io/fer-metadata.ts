/**
 * The `__metadata__` entries fer-gpu puts in its safetensors checkpoints, so a checkpoint says
 * how to rebuild the model and preprocess images: architecture, width, normalization, classes,
 * and, when fitted, calibration (temperature, per-class logit bias).
 */
import { FER_CLASSES } from '../classes.js';
import { InputError } from '../errors.js';

/** Metadata keys of fer-gpu checkpoints. */
export const FER_METADATA_KEYS = {
  arch: 'fer-gpu.arch',
  width: 'fer-gpu.width',
  mean: 'fer-gpu.mean',
  std: 'fer-gpu.std',
  classes: 'fer-gpu.classes',
  /** Calibration (optional): probabilities = softmax(logits / temperature + logitBias). */
  temperature: 'fer-gpu.temperature',
  /** Per-class logit bias, comma-separated in class order (optional; see temperature). */
  logitBias: 'fer-gpu.logit-bias',
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
  /**
   * Calibration, when the checkpoint has it: calibrated probabilities are
   * softmax(logits / temperature + logitBias); an absent part is 1 (temperature) or 0 (bias).
   */
  temperature?: number;
  /** One logit offset per class (see temperature). */
  logitBias?: number[];
}

/**
 * Builds the metadata of a fer-gpu checkpoint (plus `format: "pt"`, the Hugging Face marker for
 * tensors in PyTorch layout).
 * @throws InputError for a non-positive width, non-finite mean, std <= 0, or a bad class name.
 */
export function ferMetadata({
  width,
  mean = 0.5,
  std = 0.5,
  classes = FER_CLASSES,
  temperature,
  logitBias,
}: {
  width: number;
  mean?: number;
  std?: number;
  classes?: readonly string[];
  temperature?: number;
  logitBias?: readonly number[];
}): Record<string, string> {
  if (!Number.isSafeInteger(width) || width <= 0) throw new InputError(`width must be a positive integer, got ${width}`);
  if (!Number.isFinite(mean)) throw new InputError(`mean must be a finite number, got ${mean}`);
  if (!(Number.isFinite(std) && std > 0)) throw new InputError(`std must be a positive number, got ${std}`);
  checkClasses(classes, 'classes');
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature > 0)) {
    throw new InputError(`temperature must be a positive number, got ${temperature}`);
  }
  if (logitBias !== undefined && (logitBias.length !== classes.length || !logitBias.every(Number.isFinite))) {
    throw new InputError(`logitBias must hold ${classes.length} finite numbers (one per class), got [${logitBias.join(', ')}]`);
  }
  return {
    format: 'pt',
    [FER_METADATA_KEYS.arch]: FER_ARCH,
    [FER_METADATA_KEYS.width]: String(width),
    [FER_METADATA_KEYS.mean]: String(mean),
    [FER_METADATA_KEYS.std]: String(std),
    [FER_METADATA_KEYS.classes]: classes.join(','),
    ...(temperature !== undefined ? { [FER_METADATA_KEYS.temperature]: String(temperature) } : {}),
    ...(logitBias !== undefined ? { [FER_METADATA_KEYS.logitBias]: logitBias.join(',') } : {}),
  };
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
  if (get(FER_METADATA_KEYS.temperature) !== undefined) {
    info.temperature = number(FER_METADATA_KEYS.temperature, 1);
    if (!(info.temperature > 0)) throw bad(FER_METADATA_KEYS.temperature, 'must be positive');
  }
  const biasText = get(FER_METADATA_KEYS.logitBias);
  if (biasText !== undefined) {
    info.logitBias = biasText.split(',').map(toNumber);
    if (info.logitBias.length !== classes.length || !info.logitBias.every(Number.isFinite)) {
      throw bad(FER_METADATA_KEYS.logitBias, `must hold ${classes.length} comma-separated finite numbers, one per class`);
    }
  }
  return info;
}

function checkClasses(classes: readonly string[], what: string): void {
  if (classes.length < 2) throw new InputError(`${what} must list at least 2 classes, got ${JSON.stringify(classes)}`);
  const seen = new Set<string>();
  for (const c of classes) {
    if (c === '' || c.includes(',')) throw new InputError(`${what}: class names must be non-empty and free of commas, got ${JSON.stringify(c)}`);
    if (seen.has(c)) throw new InputError(`${what}: class ${JSON.stringify(c)} appears twice`);
    seen.add(c);
  }
}
