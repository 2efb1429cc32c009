/**
 * fer-resnet18 models from safetensors content (platform-free): what `loadModel` does once a
 * file is read, and `loadModelFromBytes` for weights fetched over HTTP or bundled.
 */
import type { Device } from '../gpu/device.js';
import { InputError } from '../errors.js';
import { decodeSafetensors, type SafetensorsContent, type SafetensorsTensor } from '../io/safetensors-bytes.js';
import { FER_METADATA_KEYS, parseFerMetadata, type FerCheckpointInfo } from '../io/fer-metadata.js';
import { FER_CLASSES } from '../classes.js';
import { FerResNet18 } from '../nn/resnet.js';
import type { StateDict } from '../nn/module.js';

/** A model loaded from a checkpoint, with what its metadata says. */
export interface LoadedModel {
  model: FerResNet18;
  info: FerCheckpointInfo & { width: number };
}

/** Refuses a checkpoint with NaN or infinite values, naming the file and the tensors. */
function checkFinite(tensors: Record<string, SafetensorsTensor>, file: string): void {
  const bad: Array<[string, number]> = [];
  for (const name of Object.keys(tensors).sort()) {
    const { data } = tensors[name]!;
    if (!(data instanceof Float32Array || data instanceof Float64Array)) continue;
    let n = 0;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) n++;
    if (n) bad.push([name, n]);
  }
  if (bad.length === 0) return;
  const [name, n] = bad[0]!;
  const more =
    bad.length > 1
      ? ` (and ${bad.length - 1} more tensor${bad.length > 2 ? 's' : ''}: ${bad
          .slice(1, 6)
          .map(([t]) => t)
          .join(', ')}${bad.length > 6 ? ', …' : ''})`
      : '';
  throw new InputError(`${file}: '${name}' has ${n} NaN or infinite value${n > 1 ? 's' : ''}${more}; the weights are unusable`);
}

/**
 * Builds fer-resnet18 from a model file's content (written by fer-gpu or by PyTorch from
 * fer_resnet18.py). The width comes from the metadata or from conv1's shape; names and shapes
 * must match (strict); class names must fit the outputs and every value be finite. `file` names
 * the source in error messages. The model comes back in eval mode.
 */
export function modelFromSafetensors(device: Device, { tensors, metadata }: SafetensorsContent, file: string): LoadedModel {
  const info = parseFerMetadata(metadata, file);
  const conv1 = tensors['conv1.weight'];
  if (!conv1) throw new InputError(`${file}: no 'conv1.weight' tensor: not a fer-resnet18 checkpoint`);
  const width = conv1.shape[0] ?? 0;
  const inChannels = conv1.shape[1] ?? 0;
  const numClasses = tensors['fc.weight']?.shape[0] ?? 0;
  // Check the shapes that fix the architecture before building it, so a bad or hostile file
  // fails at once with its name (the model's size is then bounded by the file's own size).
  const expect = (name: string, shape: number[]) => {
    const t = tensors[name];
    if (!t) throw new InputError(`${file}: no '${name}' tensor: not a fer-resnet18 checkpoint`);
    if (t.shape.join() !== shape.join()) {
      throw new InputError(`${file}: '${name}' has shape [${t.shape.join(', ')}], fer-resnet18(${width}) needs [${shape.join(', ')}]`);
    }
  };
  expect('conv1.weight', [width, inChannels, 3, 3]);
  if (width < 1 || inChannels < 1) throw new InputError(`${file}: 'conv1.weight' has an empty shape [${conv1.shape.join(', ')}]`);
  if (info.width !== undefined && info.width !== width) {
    throw new InputError(`${file}: metadata says width ${info.width}, but 'conv1.weight' has ${width} output channels`);
  }
  expect('layer4.1.conv2.weight', [8 * width, 8 * width, 3, 3]);
  expect('fc.weight', [numClasses, 8 * width]);
  if (numClasses < 1) throw new InputError(`${file}: 'fc.weight' has no classes`);
  if (!Object.hasOwn(metadata, FER_METADATA_KEYS.classes)) {
    if (numClasses !== FER_CLASSES.length) {
      throw new InputError(
        `${file}: the model has ${numClasses} outputs but no "${FER_METADATA_KEYS.classes}" metadata naming them ` +
          `(without it, FER2013's ${FER_CLASSES.length} classes are assumed)`,
      );
    }
  } else if (info.classes.length !== numClasses) {
    throw new InputError(
      `${file}: metadata "${FER_METADATA_KEYS.classes}" names ${info.classes.length} classes (${info.classes.join(', ')}), ` +
        `but the model has ${numClasses} outputs ('fc.weight' is [${tensors['fc.weight']!.shape.join(', ')}])`,
    );
  }
  checkFinite(tensors, file);
  let model: FerResNet18;
  try {
    model = new FerResNet18(device, { width, numClasses, inChannels });
  } catch (e) {
    throw new InputError(`${file}: cannot build fer-resnet18(${width}): ${(e as Error).message}`);
  }
  try {
    model.loadStateDict(tensors as StateDict);
  } catch (e) {
    model.dispose();
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
  return { model: model.eval(), info: { ...info, width } };
}

/** Metadata key of a training checkpoint (checkpoint.ts), which holds the model under `model.`. */
const CHECKPOINT_KEY = 'fer-gpu.checkpoint';

/**
 * Loads fer-resnet18 weights from the bytes of a safetensors model file (fetched, bundled or read
 * by the caller); `name` is used in error messages. The model comes back in eval mode; the caller
 * owns it.
 * @example
 * const bytes = new Uint8Array(await (await fetch('my-model.safetensors')).arrayBuffer());
 * const { model, info } = loadModelFromBytes(device, bytes, 'my-model.safetensors');
 */
export function loadModelFromBytes(device: Device, bytes: Uint8Array, name = '<bytes>'): LoadedModel {
  const content = decodeSafetensors(bytes, { name });
  if (Object.hasOwn(content.metadata, CHECKPOINT_KEY)) {
    throw new InputError(`${name}: a training checkpoint, not a model file: load the run's best.safetensors (or loadModel in Node)`);
  }
  return modelFromSafetensors(device, content, name);
}
