/**
 * SGD steps of a small fer-resnet18, platform-free: the training-parity test runs this module in
 * Node (Dawn) and, bundled, in Chromium (navigator.gpu). A training state (weights and momentum)
 * travels between them as safetensors bytes.
 */
import type { Device } from '../../src/gpu/device.js';
import { crossEntropy } from '../../src/kernels/cross-entropy/index.js';
import { SGD, type SgdOptions } from '../../src/optim/index.js';
import type { OptimizerStateDict } from '../../src/optim/optimizer.js';
import { loadModelFromBytes } from '../../src/train/model-bytes.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors-bytes.js';
import { ferMetadata } from '../../src/io/fer-metadata.js';
import { Rng } from '../../src/random.js';
import { FER_PIXELS } from '../../src/data/dataset.js';

export const STEPS = 20;
const BATCH = 8;
const SGD_OPTIONS = { lr: 0.02, momentum: 0.9, weightDecay: 5e-4 };
// 16 noise images with fixed labels, to be memorised: no exactly tied pixels, so ReLU choices do
// not flip on rounding differences as they do on the flat synthetic faces.
const POOL = 16;
const PIXELS = new Rng(9).normals(POOL * FER_PIXELS);

/** Weights and SGD momentum between two steps, as safetensors bytes. */
export interface TrainState {
  model: Uint8Array;
  /** Absent before the first step. */
  optimizer?: Uint8Array;
}

function encodeOptimizer(dict: OptimizerStateDict<SgdOptions>): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  const steps: Record<string, number> = {};
  for (const [i, entry] of Object.entries(dict.state)) {
    steps[i] = entry.step;
    const m = entry.momentumBuffer as Float32Array;
    tensors[`momentum.${i}`] = { dtype: 'F32', shape: [m.length], data: m };
  }
  return encodeSafetensors(tensors, { state: JSON.stringify({ steps, paramGroups: dict.paramGroups }) });
}

function decodeOptimizer(bytes: Uint8Array): OptimizerStateDict<SgdOptions> {
  const { tensors, metadata } = decodeSafetensors(bytes, { name: 'optimizer state' });
  const { steps, paramGroups } = JSON.parse(metadata.state!) as {
    steps: Record<string, number>;
    paramGroups: OptimizerStateDict<SgdOptions>['paramGroups'];
  };
  const state: OptimizerStateDict<SgdOptions>['state'] = {};
  for (const [i, step] of Object.entries(steps))
    state[Number(i)] = { step, momentumBuffer: tensors[`momentum.${i}`]!.data as Float32Array };
  return { state, paramGroups };
}

/** Step `s` (0-based) from `state`: its loss and the state after it. */
export async function sgdStep(device: Device, state: TrainState, s: number): Promise<{ loss: number; after: TrainState }> {
  const { model, info } = loadModelFromBytes(device, state.model, 'training state');
  model.train();
  const optimizer = new SGD(model.parameters(), SGD_OPTIONS);
  if (state.optimizer) optimizer.loadStateDict(decodeOptimizer(state.optimizer));
  const first = (s * BATCH) % POOL;
  const x = Float32Array.from(
    { length: BATCH * FER_PIXELS },
    (_, j) => PIXELS[((first + Math.floor(j / FER_PIXELS)) % POOL) * FER_PIXELS + (j % FER_PIXELS)]!,
  );
  const labels = Int32Array.from({ length: BATCH }, (_, b) => (first + b) % 7);
  const loss = device.tidy(() => {
    const l = crossEntropy(model.forward(device.tensor(x, [BATCH, 1, 48, 48])), labels);
    l.backward();
    optimizer.step();
    optimizer.zeroGrad();
    return l.detach();
  });
  const after: TrainState = {
    model: encodeSafetensors((await model.stateDict()) as Record<string, SafetensorsTensor>, ferMetadata({ width: info.width })),
    optimizer: encodeOptimizer(await optimizer.stateDict()),
  };
  const value = await loss.item();
  loss.dispose();
  optimizer.dispose();
  model.dispose();
  return { loss: value, after };
}

/** `steps` steps from `state`: every step's loss and the state after each. */
export async function sgdRun(device: Device, state: TrainState, steps = STEPS): Promise<{ losses: number[]; states: TrainState[] }> {
  const losses: number[] = [];
  const states: TrainState[] = [state];
  for (let s = 0; s < steps; s++) {
    const { loss, after } = await sgdStep(device, states.at(-1)!, s);
    losses.push(loss);
    states.push(after);
  }
  return { losses, states };
}
