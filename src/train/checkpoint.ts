/**
 * Model files as safetensors with PyTorch state-dict names and fer-gpu metadata, and the
 * training checkpoint: one file holding the model, the optimizer state and the trainer's counters
 * of one step, with a checksum. Every file is written atomically (temp + rename), so a crash
 * leaves the complete previous checkpoint or the complete new one.
 */
import { createHash } from 'node:crypto';
import type { Device } from '../gpu/device.js';
import { InputError } from '../errors.js';
import { readSafetensors, writeSafetensors, type SafetensorsTensor } from '../io/safetensors.js';
import { ferMetadata } from '../io/fer-metadata.js';
import { FER_CLASSES } from '../classes.js';
import { FerResNet18 } from '../nn/resnet.js';
import type { StateDict, StateEntry } from '../nn/module.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { modelFromSafetensors, type LoadedModel } from './model-bytes.js';

export { loadModelFromBytes, type LoadedModel } from './model-bytes.js';

/** Writes a model's state dict with fer-gpu metadata. */
export async function saveModel(file: string, model: FerResNet18, meta: ModelFileMeta = {}): Promise<void> {
  saveStateDict(file, await model.stateDict(), model.width, meta);
}

/** Normalisation and class names a model file records (defaults: mean 0.5, std 0.5, FER2013's classes). */
export interface ModelFileMeta {
  mean?: number;
  std?: number;
  classes?: readonly string[];
}

/** Writes a fer-resnet18(`width`) state dict already read back from the GPU as a model file. */
export function saveStateDict(file: string, state: StateDict, width: number, { mean = 0.5, std = 0.5, classes }: ModelFileMeta = {}): void {
  const outputs = state['fc.weight']?.shape[0];
  const names = classes ?? FER_CLASSES;
  if (outputs !== undefined && outputs !== names.length) {
    throw new InputError(`saveModel: the model has ${outputs} outputs but ${names.length} class names; pass classes (one name per output)`);
  }
  writeSafetensors(file, state as Record<string, SafetensorsTensor>, ferMetadata({ width, mean, std, classes }));
}

/**
 * The model's tensors and metadata in a model file, or in a training checkpoint (which holds the
 * model under `model.`: its checksum is verified, and its own metadata entry left out).
 */
export function readModelFile(
  file: string,
  content = readSafetensors(file),
): { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> } {
  if (!Object.hasOwn(content.metadata, CHECKPOINT_KEY)) return content;
  const { [CHECKPOINT_KEY]: _checkpoint, ...metadata } = content.metadata;
  void _checkpoint;
  return { tensors: readCheckpoint(file, content).model as Record<string, SafetensorsTensor>, metadata };
}

/**
 * Loads fer-resnet18 weights (written by fer-gpu or by PyTorch from fer_resnet18.py), from a
 * model file or from a training checkpoint (its model). The width comes from the metadata or from
 * conv1's shape; names and shapes must match (strict). The model comes back in eval mode, ready
 * for inference (`model.train()` before training it further).
 */
export function loadModel(device: Device, file: string): LoadedModel {
  return modelFromSafetensors(device, readModelFile(file), file);
}

/**
 * The file of a run folder that `resume` reads: the model, the optimizer state and the trainer's
 * counters of one step, written with one atomic rename, so they always belong together.
 */
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const CHECKPOINT_KEY = 'fer-gpu.checkpoint';
const CHECKPOINT_FORMAT = 1;

/**
 * What a checkpoint holds. Each tensor set is stored under its own name prefix (`model.`,
 * `optim.`, `ema.`); another set is one more prefix in the same file.
 */
export interface Checkpoint<S extends object> {
  /** The model's state dict. */
  model: StateDict;
  optimizer: OptimizerStateDict<{ lr: number }>;
  /** The state dict of the weights' moving average (ModelEma), when the run keeps one. */
  ema?: StateDict;
  /** The trainer's counters (JSON). */
  state: S;
}

/** The checkpoint's own entries in its metadata, besides the trainer's state. */
interface CheckpointHeader {
  format: number;
  /** sha256 of every tensor (name, dtype, shape, bytes), in name order. */
  sha256: string;
  paramGroups: OptimizerStateDict<{ lr: number }>['paramGroups'];
  /** The optimizer's step count per parameter index. */
  optimSteps: Record<string, number>;
}

/** sha256 of a set of tensors: names, dtypes, shapes and bytes, in name order (independent of the file layout). */
export function tensorsDigest(tensors: Record<string, { dtype: string; shape: readonly number[]; data: ArrayBufferView }>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(tensors).sort()) {
    const { dtype, shape, data } = tensors[name]!;
    h.update(`${name}\0${dtype}\0${shape.join(',')}\0`);
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex');
}

/** Writes a checkpoint atomically (one file, one rename). `meta` describes the model as in a model file. */
export function writeCheckpoint<S extends object>(file: string, c: Checkpoint<S>, width: number, meta: ModelFileMeta = {}): void {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, entry] of Object.entries(c.model)) tensors[`model.${name}`] = entry as SafetensorsTensor;
  for (const [name, entry] of Object.entries(c.ema ?? {})) tensors[`ema.${name}`] = entry as SafetensorsTensor;
  const optimSteps: Record<string, number> = {};
  for (const [i, entry] of Object.entries(c.optimizer.state)) {
    optimSteps[i] = entry.step;
    for (const [k, v] of Object.entries(entry)) {
      if (v instanceof Float32Array) tensors[`optim.${i}.${k}`] = { dtype: 'F32', shape: [v.length], data: v };
    }
  }
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    sha256: tensorsDigest(tensors),
    paramGroups: c.optimizer.paramGroups,
    optimSteps,
  };
  const { mean = 0.5, std = 0.5, classes } = meta;
  writeSafetensors(file, tensors, {
    ...ferMetadata({ width, mean, std, classes }),
    [CHECKPOINT_KEY]: JSON.stringify({ ...c.state, ...header }),
  });
}

/**
 * Reads a checkpoint and verifies it: its format, and the checksum of every tensor in it.
 * @throws InputError naming the file when it is not a fer-gpu checkpoint or does not match its checksum.
 */
export function readCheckpoint(file: string, content = readSafetensors(file)): Checkpoint<Record<string, unknown>> {
  const { tensors, metadata } = content;
  let parsed: Record<string, unknown> & CheckpointHeader;
  try {
    parsed = JSON.parse(metadata[CHECKPOINT_KEY] ?? '');
  } catch {
    throw new InputError(`${file}: not a fer-gpu training checkpoint (missing or malformed '${CHECKPOINT_KEY}' metadata)`);
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.format !== CHECKPOINT_FORMAT) {
    throw new InputError(
      `${file}: checkpoint format ${JSON.stringify(parsed?.format)} is not one this fer-gpu reads (${CHECKPOINT_FORMAT})`,
    );
  }
  const { format: _f, sha256, paramGroups, optimSteps, ...state } = parsed;
  void _f;
  if (tensorsDigest(tensors) !== sha256) {
    throw new InputError(`${file}: the tensors do not match the checkpoint's checksum (sha256): the file is damaged or was edited`);
  }
  const model: StateDict = {};
  const ema: StateDict = {};
  const optimState: OptimizerStateDict<{ lr: number }>['state'] = {};
  for (const [i, step] of Object.entries(optimSteps ?? {})) optimState[Number(i)] = { step };
  for (const [name, t] of Object.entries(tensors)) {
    const m = /^optim\.(\d+)\.(\w+)$/.exec(name);
    const isState = t.dtype === 'F32' || t.dtype === 'I64';
    if (name.startsWith('model.') && isState) model[name.slice(6)] = t as StateEntry;
    else if (name.startsWith('ema.') && isState) ema[name.slice(4)] = t as StateEntry;
    else if (m && t.data instanceof Float32Array) (optimState[Number(m[1])] ??= { step: 0 })[m[2]!] = t.data;
    else throw new InputError(`${file}: unexpected tensor '${name}' in a checkpoint`);
  }
  return { model, optimizer: { state: optimState, paramGroups }, ...(Object.keys(ema).length ? { ema } : {}), state };
}
