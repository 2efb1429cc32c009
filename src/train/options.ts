/** train()'s options: what they are, and their domains, checked before a run starts, by name (and command-line flag). */
import { InputError } from '../errors.js';
import { SEED, checkNumber, checkOneOf, type NumberDomain } from '../options.js';
import type { Device } from '../gpu/device.js';
import type { FerResNet18 } from '../nn/resnet.js';
import type { FerDataset, FerSplit } from '../data/dataset.js';
import type { AugmentOptions } from '../data/augment/index.js';
import type { ScheduleSpec } from './schedules.js';
import type { Logger } from './progress.js';

export interface TrainOptions {
  /** The model's device (default: `model.device`). */
  device?: Device;
  model: FerResNet18;
  /** Training images: a dataset and the split(s) to train on (default 'Training'). */
  trainSet: FerDataset;
  trainSplit?: FerSplit | readonly FerSplit[];
  /** Validation images (default: trainSet's 'PublicTest' or 'Holdout' split). Never a test split for selection. */
  valSet?: FerDataset;
  valSplit?: FerSplit | readonly FerSplit[];
  epochs: number;
  batchSize?: number;
  optimizer?: 'sgd' | 'adamw';
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  schedule?: ScheduleSpec;
  labelSmoothing?: number;
  classWeights?: number[];
  /** Clip the gradients' total L2 norm to this value. */
  clipGradNorm?: number;
  /** Training augmentation (true: defaults; false: none). */
  augment?: AugmentOptions | boolean;
  /** Class-balanced sampling. */
  balanced?: boolean;
  seed?: number;
  /**
   * The run folder: checkpoint.safetensors (what resume reads), last.safetensors and
   * best.safetensors (model files) and train-log.jsonl. It is locked while the run writes in it.
   */
  outDir?: string;
  /** Start afresh in an outDir that holds a run, removing that run's files (otherwise refused). */
  overwrite?: boolean;
  /** Stop after this many epochs without improvement of the selection metric. */
  earlyStoppingPatience?: number;
  /**
   * Continue from outDir's checkpoint, after verifying its checksum; the options and data must be
   * those the run was started with (maxSteps, checkpointEvery and log may change).
   */
  resume?: boolean;
  mean?: number;
  std?: number;
  /** Where progress lines go (default: a progress bar on a terminal, plain lines otherwise). */
  log?: Logger;
  /** Metric that selects the best checkpoint: 'accuracy' (default) or 'macroF1'. */
  selectOn?: 'accuracy' | 'macroF1';
  /**
   * Stop after this many optimizer steps in all (for quick runs and tests). A stop inside an
   * epoch writes a mid-epoch checkpoint (with outDir) that `resume` continues.
   */
  maxSteps?: number;
  /** Also write the last checkpoint every this many steps inside an epoch (long epochs on slow adapters). */
  checkpointEvery?: number;
  /**
   * At the end, load the best validated epoch's weights into the model (Keras'
   * `restore_best_weights`). Default true; false leaves the last step's weights.
   * `TrainResult.weights` says which the model holds.
   */
  restoreBestWeights?: boolean;
  /**
   * Keep an exponential moving average of the weights with this decay (e.g. 0.999), updated
   * after every optimizer step, validated each epoch beside the raw weights and saved in the
   * checkpoint (tensors `ema.*`). Off by default.
   */
  ema?: number;
  /**
   * Recompute the EMA weights' batch-norm statistics from this many training batches (train mode,
   * no gradients; see recalibrateBatchNorm) before each validation, instead of averaging them.
   */
  emaBnBatches?: number;
  /** With `ema`: which weights the best checkpoint may hold: 'either' (default: whichever validates better), 'ema' or 'raw'. */
  selectFrom?: 'either' | 'ema' | 'raw';
}

/** The `fer-gpu train` flag of each train() option that has one. */
const FLAGS: Record<string, string> = {
  width: '--width',
  epochs: '--epochs',
  batchSize: '--batch-size',
  optimizer: '--optimizer',
  lr: '--lr',
  weightDecay: '--weight-decay',
  nesterov: '--nesterov',
  schedule: '--schedule, --warmup-epochs',
  'schedule.kind': '--schedule',
  'schedule.warmupEpochs': '--warmup-epochs',
  labelSmoothing: '--label-smoothing',
  clipGradNorm: '--clip-grad-norm',
  augment: '--no-augment',
  balanced: '--balanced',
  earlyStoppingPatience: '--patience',
  maxSteps: '--max-steps',
  checkpointEvery: '--checkpoint-every',
  ema: '--ema',
  emaBnBatches: '--ema-bn-batches',
  selectFrom: '--select-from',
  seed: '--seed',
  trainData: '--data',
  valData: '--data',
};

/** `clipGradNorm (--clip-grad-norm)`: an option's name, with its flag where it has one. */
export function optionName(key: string): string {
  return Object.hasOwn(FLAGS, key) ? `${key} (${FLAGS[key]})` : key;
}

const SCHEDULE_KINDS = ['constant', 'step', 'cosine', 'one-cycle', 'plateau'] as const;
const positiveInt: NumberDomain = { integer: true, min: 1 };
const nonNegative: NumberDomain = { min: 0 };
const positive: NumberDomain = { above: 0 };
const fraction: NumberDomain = { above: 0, below: 1 };

/** The options checked here: the part of TrainOptions that `fer-gpu train` has before it has a model and data. */
export interface CheckedTrainOptions {
  epochs?: number;
  batchSize?: number;
  optimizer?: string;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  schedule?: ScheduleSpec;
  labelSmoothing?: number;
  classWeights?: readonly number[];
  clipGradNorm?: number;
  seed?: number;
  earlyStoppingPatience?: number;
  maxSteps?: number;
  checkpointEvery?: number;
  selectOn?: string;
  mean?: number;
  std?: number;
  ema?: number;
  emaBnBatches?: number;
  selectFrom?: string;
}

/**
 * Checks train()'s options against their domains (`numClasses`: the model's outputs, for the
 * class weights). `fer-gpu train` calls it too, before loading any data.
 * @throws InputError `train: <option> (<flag>) must be <domain>, got <value>`.
 */
export function checkTrainOptions(o: CheckedTrainOptions, numClasses?: number): void {
  const num = (key: string, value: unknown, d: NumberDomain) => checkNumber('train', optionName(key), value, d);
  num('epochs', o.epochs, positiveInt);
  num('batchSize', o.batchSize, positiveInt);
  checkOneOf('train', optionName('optimizer'), o.optimizer, ['sgd', 'adamw']);
  num('lr', o.lr, nonNegative);
  num('momentum', o.momentum, { min: 0, max: 1 });
  num('weightDecay', o.weightDecay, nonNegative);
  num('labelSmoothing', o.labelSmoothing, { min: 0, below: 1 });
  num('clipGradNorm', o.clipGradNorm, positive);
  num('seed', o.seed, SEED);
  num('earlyStoppingPatience', o.earlyStoppingPatience, positiveInt);
  num('maxSteps', o.maxSteps, positiveInt);
  num('checkpointEvery', o.checkpointEvery, positiveInt);
  checkOneOf('train', optionName('selectOn'), o.selectOn, ['accuracy', 'macroF1']);
  num('mean', o.mean, {});
  num('std', o.std, positive);
  num('ema', o.ema, fraction);
  num('emaBnBatches', o.emaBnBatches, { integer: true, min: 0 });
  checkOneOf('train', optionName('selectFrom'), o.selectFrom, ['either', 'ema', 'raw']);
  for (const key of ['emaBnBatches', 'selectFrom'] as const) {
    if (o[key] !== undefined && o.ema === undefined) throw new InputError(`train: ${optionName(key)} needs ${optionName('ema')}`);
  }
  if (o.classWeights !== undefined) {
    const w = o.classWeights;
    if (!Array.isArray(w) || (numClasses !== undefined && w.length !== numClasses)) {
      throw new InputError(
        `train: classWeights must hold one weight per class (${numClasses}), got ${Array.isArray(w) ? w.length : typeof w}`,
      );
    }
    w.forEach((x, i) => num(`classWeights[${i}]`, x, nonNegative));
  }
  if (o.schedule !== undefined) checkSchedule(o.schedule);
}

function checkSchedule(s: ScheduleSpec): void {
  const num = (key: string, d: NumberDomain) =>
    checkNumber('train', optionName(`schedule.${key}`), (s as unknown as Record<string, unknown>)[key], d);
  checkOneOf('train', optionName('schedule.kind'), s?.kind, SCHEDULE_KINDS);
  switch (s.kind) {
    case 'step':
      if (s.stepSize === undefined) throw new InputError(`train: schedule.stepSize must be given for the 'step' schedule`);
      num('stepSize', positiveInt);
      num('gamma', positive);
      break;
    case 'cosine':
      num('warmupEpochs', nonNegative);
      num('minLr', nonNegative);
      break;
    case 'one-cycle':
      num('maxLr', positive);
      num('pctStart', fraction);
      num('divFactor', positive);
      num('finalDivFactor', positive);
      break;
    case 'plateau':
      num('factor', fraction);
      num('patience', { integer: true, min: 0 });
      num('threshold', nonNegative);
      checkOneOf('train', 'schedule.mode', s.mode, ['min', 'max']);
      num('minLr', nonNegative);
      break;
  }
}
