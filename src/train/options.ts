/** The domains of train()'s options, checked before a run starts, by name (and command-line flag). */
import { InputError } from '../errors.js';
import { SEED, checkNumber, checkOneOf, type NumberDomain } from '../options.js';
import type { ScheduleSpec } from './schedules.js';

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

/** The options checked here (a subset of TrainOptions, so this module needs no trainer types). */
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
      throw new InputError(`train: classWeights must hold one weight per class (${numClasses}), got ${Array.isArray(w) ? w.length : typeof w}`);
    }
    w.forEach((x, i) => num(`classWeights[${i}]`, x, nonNegative));
  }
  if (o.schedule !== undefined) checkSchedule(o.schedule);
}

function checkSchedule(s: ScheduleSpec): void {
  const num = (key: string, d: NumberDomain) => checkNumber('train', optionName(`schedule.${key}`), (s as unknown as Record<string, unknown>)[key], d);
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
