/**
 * The pretrained model shipped in the package (`models/fer-resnet18.safetensors`, trained on
 * FER2013), used whenever no weights are given: `predict(device, files)`, `fer-gpu predict`,
 * `fer-gpu eval`. `$FER_GPU_WEIGHTS` replaces it with another checkpoint.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Device } from '../gpu/device.js';
import { InputError } from '../errors.js';
import { loadModel, type LoadedModel } from './checkpoint.js';
import { moduleDir, packageRoot } from '../package-root.js';

export { packageRoot };

/** Where the default weights sit inside the package. */
export const DEFAULT_WEIGHTS_FILE = 'models/fer-resnet18.safetensors';

/** Environment variable naming a checkpoint to use instead of the shipped one. */
export const WEIGHTS_ENV = 'FER_GPU_WEIGHTS';

/** The shipped checkpoint's path in this installation (whether or not the file is there); null when the package root is unknown. */
export function shippedWeightsPath(): string | null {
  const root = packageRoot();
  return root ? path.join(root, DEFAULT_WEIGHTS_FILE) : null;
}

/**
 * The checkpoint used when none is given: `$FER_GPU_WEIGHTS` when set, else the package's
 * `models/fer-resnet18.safetensors`.
 * @throws InputError when that file does not exist, saying how to pass weights instead.
 */
export function defaultWeightsPath(): string {
  const env = process.env[WEIGHTS_ENV];
  if (env) {
    if (!existsSync(env)) throw new InputError(`${WEIGHTS_ENV}=${env}: no such file`);
    return env;
  }
  const shipped = shippedWeightsPath();
  if (!shipped) {
    throw new InputError(
      `no weights given and the fer-gpu package folder (with ${DEFAULT_WEIGHTS_FILE}) cannot be found from ${moduleDir() ?? 'this bundle'}: ` +
        `pass weights (--weights <file>) or set ${WEIGHTS_ENV}`,
    );
  }
  if (!existsSync(shipped)) {
    throw new InputError(
      `no weights given and the default model ${shipped} is missing from this installation: ` +
        `pass weights (--weights <file>) or set ${WEIGHTS_ENV}=<file.safetensors>`,
    );
  }
  return shipped;
}

/** `weights` when given, else {@link defaultWeightsPath}. */
export function resolveWeights(weights?: string): string {
  return weights ?? defaultWeightsPath();
}

/**
 * Loads the pretrained fer-resnet18 (or `weights` when given) with its metadata (width, mean,
 * std, classes). The caller owns the model: `model.dispose()` when done.
 *
 * @example
 * const { model, info } = loadPretrained(device);
 * const [p] = await predict(device, model, ['face.jpg'], { mean: info.mean, std: info.std, classNames: info.classes });
 */
export function loadPretrained(device: Device, weights?: string): LoadedModel {
  return loadModel(device, resolveWeights(weights));
}
