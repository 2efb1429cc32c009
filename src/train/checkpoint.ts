/**
 * Model checkpoints as safetensors with PyTorch state-dict names and fer-gpu metadata, and the
 * training state (optimizer, epoch, history) beside them for resume. Every file is written
 * atomically (temp + rename), so a crash never destroys the last good checkpoint.
 */
import { existsSync } from 'node:fs';
import type { Device } from '../gpu/device.js';
import { InputError } from '../errors.js';
import { readSafetensors, writeSafetensors, type SafetensorsTensor } from '../io/safetensors.js';
import { ferMetadata, parseFerMetadata, type FerCheckpointInfo } from '../io/fer-metadata.js';
import { FerResNet18 } from '../nn/resnet.js';
import type { StateDict } from '../nn/module.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';

/** Writes a model's state dict with fer-gpu metadata. */
export async function saveModel(
  file: string,
  model: FerResNet18,
  { mean = 0.5, std = 0.5, classes }: { mean?: number; std?: number; classes?: readonly string[] } = {},
): Promise<void> {
  const state = await model.stateDict();
  writeSafetensors(file, state as Record<string, SafetensorsTensor>, ferMetadata({ width: model.width, mean, std, classes }));
}

/** A model loaded from a checkpoint, with what its metadata says. */
export interface LoadedModel {
  model: FerResNet18;
  info: FerCheckpointInfo & { width: number };
}

/**
 * Loads fer-resnet18 weights (written by fer-gpu or by PyTorch from fer_resnet18.py). The width
 * comes from the metadata or from conv1's shape; names and shapes must match (strict).
 */
export function loadModel(device: Device, file: string): LoadedModel {
  const { tensors, metadata } = readSafetensors(file);
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
  return { model, info: { ...info, width } };
}

/** What a training-state file holds besides the optimizer's tensors. */
export interface TrainState {
  epoch: number;
  /** Best validation metric so far and its epoch. */
  best: { metric: number; epoch: number } | null;
  /** Epochs since the best one (early stopping). */
  staleEpochs: number;
  /** Learning-rate schedule state. */
  schedule: unknown;
  seed: number;
  /** Set when the checkpoint was written mid-epoch: the progress of the unfinished epoch `epoch`. */
  partial?: PartialEpoch;
}

/** Counters of an unfinished epoch, so a resumed run continues it where it stopped. */
export interface PartialEpoch {
  /** Optimizer steps done in this epoch. */
  steps: number;
  lossSum: number;
  seen: number;
  correct: number;
  sampled: number;
  seconds: number;
}

/** Saves the optimizer state and the trainer's counters (for resume). */
export async function saveTrainState(file: string, optimizer: Optimizer<{ lr: number }>, state: TrainState): Promise<void> {
  const dict = await optimizer.stateDict();
  const tensors: Record<string, SafetensorsTensor> = {};
  const steps: Record<string, number> = {};
  for (const [i, entry] of Object.entries(dict.state)) {
    steps[i] = entry.step;
    for (const [k, v] of Object.entries(entry)) {
      if (v instanceof Float32Array) tensors[`optim.${i}.${k}`] = { dtype: 'F32', shape: [v.length], data: v };
    }
  }
  writeSafetensors(file, tensors, {
    'fer-gpu.train-state': JSON.stringify({ ...state, paramGroups: dict.paramGroups, steps }),
  });
}

/** Loads what saveTrainState wrote into the optimizer; returns the counters. */
export function loadTrainState(file: string, optimizer: Optimizer<{ lr: number }>): TrainState {
  if (!existsSync(file)) throw new InputError(`${file}: no training state to resume from`);
  const { tensors, metadata } = readSafetensors(file);
  let parsed: TrainState & { paramGroups: OptimizerStateDict<{ lr: number }>['paramGroups']; steps: Record<string, number> };
  try {
    parsed = JSON.parse(metadata['fer-gpu.train-state'] ?? '');
  } catch {
    throw new InputError(`${file}: missing or malformed 'fer-gpu.train-state' metadata`);
  }
  const state: OptimizerStateDict<{ lr: number }>['state'] = {};
  for (const [i, step] of Object.entries(parsed.steps)) state[Number(i)] = { step };
  for (const [name, t] of Object.entries(tensors)) {
    const m = /^optim\.(\d+)\.(\w+)$/.exec(name);
    if (!m || !(t.data instanceof Float32Array)) throw new InputError(`${file}: unexpected tensor '${name}'`);
    (state[Number(m[1])] ??= { step: 0 })[m[2]!] = t.data;
  }
  optimizer.loadStateDict({ state, paramGroups: parsed.paramGroups });
  const { paramGroups: _g, steps: _s, ...rest } = parsed;
  void _g;
  void _s;
  return rest;
}
