/**
 * The training loop: seeded data order and augmentation, SGD/AdamW with a learning-rate
 * schedule, label smoothing, class weights, gradient clipping, validation each epoch, best
 * checkpoint on the validation split, early stopping, a JSONL log, resume, and a NaN guard.
 * One queue submit per step; the loss is read back only every few steps for the progress line.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { crossEntropy } from '../kernels/cross-entropy/index.js';
import { addInto } from '../kernels/elementwise/index.js';
import { SGD, AdamW, clipGradNorm, type Optimizer } from '../optim/index.js';
import { FerResNet18 } from '../nn/resnet.js';
import type { FerDataset, FerSplit } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import type { AugmentOptions } from '../data/augment/index.js';
import { LrSchedule, type ScheduleSpec } from './schedules.js';
import { evaluate } from './evaluate.js';
import { CHECKPOINT_FILE as CHECKPOINT, readCheckpoint, saveStateDict, writeCheckpoint } from './checkpoint.js';
import type { StateDict } from '../nn/module.js';
import { readSafetensors } from '../io/safetensors.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { BEST_FILE, LAST_FILE, LOG_FILE, checkSameRun, datasetFingerprint, lockRunFolder, prepareRunFolder, repairRunFolder } from './run-folder.js';
import { InputError } from '../errors.js';
import { checkTrainOptions } from './options.js';
import { ModelEma, recalibrateBatchNorm, type ModelEmaState } from './averaging.js';

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

/** One line of train-log.jsonl. */
export interface EpochLog {
  epoch: number;
  steps: number;
  lr: number;
  trainLoss: number;
  /** Accuracy (training mode, augmented) on the batches read back for progress: every 10th and the last (null if none). */
  trainAccuracy: number | null;
  valAccuracy: number | null;
  valMacroF1: number | null;
  imagesPerSecond: number;
  seconds: number;
  best: boolean;
  /** With `ema`: the EMA weights' validation accuracy and macro F1. */
  emaValAccuracy?: number | null;
  emaValMacroF1?: number | null;
  /** With `ema`: which weights this epoch's selection metric (and best.safetensors, when best) came from. */
  selected?: 'raw' | 'ema';
}

/**
 * What train() returns. The model is left in eval mode, holding the weights `weights` names:
 * 'best' (the best validated epoch's, `best.epoch`; the default) or 'last' (the last step's: with
 * `restoreBestWeights: false`, or when no epoch was validated).
 */
export interface TrainResult {
  history: EpochLog[];
  /** Best validation metric, its epoch, and with `ema` which weights (raw or EMA) scored it and best.safetensors holds. */
  best: { metric: number; epoch: number; selected?: 'raw' | 'ema' } | null;
  /** Which weights the model holds now: the best epoch's or the last step's. */
  weights: 'best' | 'last';
  stoppedEarly: boolean;
  outDir?: string;
}

/** Thrown when the loss or the weights become NaN or infinite; the last good checkpoint is kept. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/** What a checkpoint holds besides the model's and optimizer's tensors. */
interface TrainState {
  /** Optimizer steps done in all. */
  step: number;
  /** Epochs finished. */
  epoch: number;
  /** Best validation metric so far, its epoch, and (with an EMA) which weights scored it. */
  best: TrainResult['best'];
  /** Epochs since the best one (early stopping). */
  staleEpochs: number;
  /** Learning-rate schedule state. */
  schedule: unknown;
  /** Set when the checkpoint was written mid-epoch: the progress of the unfinished epoch `epoch`. */
  partial?: PartialEpoch;
  /** The EMA's counters, when the run keeps one (its tensors are the checkpoint's `ema.*`). */
  ema?: ModelEmaState;
  /** Every finished epoch's log line (train-log.jsonl is rebuilt from it after a crash). */
  history: EpochLog[];
  /** The options and data fingerprints a resumed run must keep. */
  run: Record<string, unknown>;
}

/** Counters of an unfinished epoch, so a resumed run continues it where it stopped. */
interface PartialEpoch {
  /** Optimizer steps done in this epoch. */
  steps: number;
  lossSum: number;
  seen: number;
  correct: number;
  sampled: number;
  seconds: number;
}

/** "step 12, epoch 3" (at an epoch's end) or "step 14, inside epoch 4". */
function describeCheckpoint(s: { step: number; epoch: number; partial?: unknown }): string {
  return s.partial ? `step ${s.step}, inside epoch ${s.epoch + 1}` : `step ${s.step}, epoch ${s.epoch}`;
}

/** The first non-finite value in a state dict, the EMA's or the optimizer state, described, or undefined. */
function findNonFinite(model: StateDict, optimizer: OptimizerStateDict<{ lr: number }>, ema?: StateDict): string | undefined {
  const sets: Array<[string, Record<string, unknown>]> = [
    ['', model],
    ...(ema ? [['EMA ', ema] as [string, Record<string, unknown>]] : []),
    ...Object.entries(optimizer.state).map(([i, e]) => [`optimizer state of param ${i}: `, e] as [string, Record<string, unknown>]),
  ];
  for (const [prefix, set] of sets) {
    for (const [name, entry] of Object.entries(set)) {
      const data = entry instanceof Float32Array ? entry : (entry as { data?: unknown })?.data;
      if (!(data instanceof Float32Array)) continue;
      let bad = 0;
      for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) bad++;
      if (bad) return `${prefix}'${name}' has ${bad} of ${data.length} values NaN or infinite`;
    }
  }
  return undefined;
}

/**
 * Trains a model. See TrainOptions for the knobs; defaults follow PyTorch practice. With outDir,
 * the run folder is locked for the run's duration (another run into it is refused). Returns with
 * the model in eval mode holding the best validated epoch's weights (see TrainResult.weights).
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  checkTrainOptions(o, o.model.numClasses);
  const release = o.outDir ? lockRunFolder(o.outDir) : undefined;
  try {
    return await runTraining(o);
  } finally {
    release?.();
  }
}

async function runTraining(o: TrainOptions): Promise<TrainResult> {
  const { model } = o;
  const device = o.device ?? model.device;
  const seed = o.seed ?? 0;
  for (const ds of [o.trainSet, o.valSet]) {
    if (ds?.labelled === false) throw new InputError(`train: ${ds.source} has no labels (unlabelled images); training needs <dir>/<class>/* folders or a labelled CSV`);
  }
  const trainSplit = o.trainSplit ?? 'Training';
  const valSet = o.valSet ?? o.trainSet;
  const valSplit = o.valSplit ?? pickValSplit(valSet);
  if (valSplit && [valSplit].flat().some((s) => s === 'PrivateTest' || s === 'Test')) {
    throw new InputError(`train: the validation split must not be a test split (got ${String(valSplit)}); use PublicTest or a holdout`);
  }
  const loader = new DataLoader(device, o.trainSet, {
    batchSize: o.batchSize ?? 64,
    shuffle: true,
    dropLast: true,
    seed,
    split: trainSplit,
    balanced: o.balanced,
    augment: o.augment ?? true,
    mean: o.mean,
    std: o.std,
  });
  if (loader.length === 0) {
    loader.dispose();
    throw new InputError(`train: fewer training images (${loader.size}) than one batch (${loader.batchSize})`);
  }
  const lr = o.lr ?? (o.optimizer === 'adamw' ? 1e-3 : 0.01);
  const weightDecay = o.weightDecay ?? (o.optimizer === 'adamw' ? 1e-2 : 5e-4);
  const params = model.parameters();
  const optimizer: Optimizer<{ lr: number }> =
    o.optimizer === 'adamw'
      ? new AdamW(params, { lr, weightDecay })
      : new SGD(params, { lr, momentum: o.momentum ?? 0.9, nesterov: o.nesterov ?? false, weightDecay });
  const schedule = new LrSchedule(o.schedule ?? { kind: 'cosine', warmupEpochs: 0 }, lr, loader.length, o.epochs);
  const ema = o.ema ? createEma(model, o.ema, o.emaBnBatches) : null;
  const lossSum = device.zeros([1]);
  device.untrack(lossSum);
  try {
    return await trainLoop(o, { device, loader, optimizer, schedule, ema, lossSum, lr, weightDecay, seed, trainSplit, valSet, valSplit });
  } finally {
    lossSum.dispose();
    loader.dispose();
    optimizer.dispose();
    ema?.dispose();
  }
}

interface LoopParts {
  device: Device;
  loader: DataLoader;
  optimizer: Optimizer<{ lr: number }>;
  schedule: LrSchedule;
  ema: ModelEma<FerResNet18> | null;
  lossSum: Tensor;
  lr: number;
  weightDecay: number;
  seed: number;
  trainSplit: FerSplit | readonly FerSplit[];
  valSet: FerDataset;
  valSplit: FerSplit | readonly FerSplit[] | undefined;
}

async function trainLoop(o: TrainOptions, parts: LoopParts): Promise<TrainResult> {
  const { model } = o;
  const { device, loader, optimizer, schedule, ema, lossSum, lr, weightDecay, seed, trainSplit, valSet, valSplit } = parts;
  const params = model.parameters();

  // What a resumed run must keep: every option that shapes the run, and the data.
  const run: Record<string, unknown> = {
    width: model.width,
    numClasses: model.numClasses,
    epochs: o.epochs,
    batchSize: loader.batchSize,
    optimizer: o.optimizer ?? 'sgd',
    lr,
    momentum: o.optimizer === 'adamw' ? undefined : (o.momentum ?? 0.9),
    nesterov: o.optimizer === 'adamw' ? undefined : (o.nesterov ?? false),
    weightDecay,
    schedule: o.schedule ?? { kind: 'cosine', warmupEpochs: 0 },
    labelSmoothing: o.labelSmoothing ?? 0,
    classWeights: o.classWeights,
    clipGradNorm: o.clipGradNorm,
    augment: o.augment ?? true,
    balanced: o.balanced ?? false,
    seed,
    trainSplit,
    valSplit,
    mean: o.mean,
    std: o.std,
    selectOn: o.selectOn ?? 'accuracy',
    earlyStoppingPatience: o.earlyStoppingPatience,
    ema: ema ? ema.decay : undefined,
    emaBnBatches: ema ? o.emaBnBatches : undefined,
    selectFrom: ema ? (o.selectFrom ?? 'either') : undefined,
  };
  let state: TrainState = { step: 0, epoch: 0, best: null, staleEpochs: 0, schedule: schedule.state(), history: [], run };
  const out = o.outDir;
  const file = (name: string) => join(out!, name);
  const meta = { mean: o.mean, std: o.std };
  if (out) {
    run.trainData = datasetFingerprint(o.trainSet);
    if (valSet !== o.trainSet) run.valData = datasetFingerprint(valSet);
  }
  /** The checkpoint on disk now (what a crash would leave), or null before the first. */
  let kept: TrainState | null = null;
  if (o.resume) {
    if (!out) throw new InputError('train: resume needs outDir');
    const checkpointFile = prepareRunFolder(out, o);
    const c = readCheckpoint(checkpointFile);
    const saved = c.state as unknown as TrainState;
    checkSameRun(checkpointFile, saved.run ?? {}, run);
    try {
      model.loadStateDict(c.model);
      optimizer.loadStateDict(c.optimizer);
    } catch (e) {
      throw new InputError(`${checkpointFile}: ${(e as Error).message}`);
    }
    if (ema) {
      // checkSameRun has checked that the run kept an EMA with this decay
      if (!c.ema || !saved.ema) throw new InputError(`${checkpointFile}: the checkpoint holds no EMA weights to resume`);
      ema.load(c.ema, saved.ema, checkpointFile);
    }
    state = saved;
    schedule.loadState(state.schedule);
    kept = state;
    const bestIsCheckpoint = !state.partial && state.best?.epoch === state.epoch;
    const best = state.best?.selected === 'ema' ? c.ema : c.model;
    repairRunFolder(out, { model: c.model, best, history: state.history, bestIsCheckpoint }, model.width, meta);
  } else if (out) {
    prepareRunFolder(out, o);
  }

  const log = o.log ?? defaultLogger();
  const history: EpochLog[] = [];
  const patience = o.earlyStoppingPatience ?? Infinity;
  let stoppedEarly = false;
  let globalStep = state.step;
  const restoreBest = o.restoreBestWeights ?? true;
  // Whether the model holds the best epoch's weights, and a copy of them taken at that epoch.
  let modelIsBest = !!state.best && state.best.epoch === state.epoch && !state.partial && state.best.selected !== 'ema';
  let bestWeights: StateDict | null = null;
  const keptMessage = () =>
    !out ? '' : kept ? ` The last good checkpoint (${describeCheckpoint(kept)}) is kept in ${out}.` : ` No checkpoint was written in ${out}.`;
  const checkFinite = (meanLoss: number, epoch: number, step: number) => {
    if (Number.isFinite(meanLoss)) return;
    throw new NonFiniteLossError(
      `train: the loss became ${meanLoss} at epoch ${epoch + 1}, step ${step}; stopping.` +
        keptMessage() +
        ' Try a lower learning rate or gradient clipping (--clip-grad-norm).',
    );
  };
  /**
   * Reads the weights (and the EMA's) back and refuses non-finite ones (the loss of a step is
   * computed before its update, so a finite loss does not vouch for the weights); with outDir,
   * writes the checkpoint, then last.safetensors, then best.safetensors when `isBest` (the EMA
   * weights when they were selected).
   */
  const checkpoint = async (s: TrainState, isBest: boolean) => {
    const weights = await model.stateDict();
    const emaWeights = ema ? await ema.model.stateDict() : undefined;
    const optimState = out ? await optimizer.stateDict() : { state: {}, paramGroups: [] };
    const bad = findNonFinite(weights, optimState, emaWeights);
    if (bad) {
      throw new NonFiniteLossError(
        `train: the weights became non-finite by ${describeCheckpoint(s)} (${bad}); stopping without saving them.` +
          keptMessage() +
          ' Try a lower learning rate or gradient clipping (--clip-grad-norm).',
      );
    }
    if (isBest && restoreBest) bestWeights = s.best?.selected === 'ema' ? emaWeights! : weights;
    if (!out) return;
    const saved = ema ? { ...s, ema: ema.state() } : s;
    writeCheckpoint(file(CHECKPOINT), { model: weights, optimizer: optimState, ...(emaWeights ? { ema: emaWeights } : {}), state: saved }, model.width, meta);
    kept = saved;
    saveStateDict(file(LAST_FILE), weights, model.width, meta);
    if (isBest) saveStateDict(file(BEST_FILE), s.best?.selected === 'ema' ? emaWeights! : weights, model.width, meta);
  };
  for (let epoch = state.epoch; epoch < o.epochs; epoch++) {
    if (o.maxSteps && globalStep >= o.maxSteps) break; // a resumed run that already reached it
    model.train();
    // A checkpoint written mid-epoch continues that epoch where it stopped.
    const partial = state.partial;
    state = { ...state, partial: undefined };
    loader.setEpoch(epoch, partial?.steps ?? 0);
    device.fill(lossSum, partial?.lossSum ?? 0);
    const t0 = performance.now() - (partial?.seconds ?? 0) * 1000;
    let seen = partial?.seen ?? 0;
    let correct = partial?.correct ?? 0;
    let sampled = partial?.sampled ?? 0;
    let steps = partial?.steps ?? 0;
    let stoppedMidEpoch = false;
    const bar = log.bar?.(loader.length, epoch + 1, o.epochs);
    bar?.update(steps, { loss: '-', ips: '-' });
    for (const batch of loader) {
      optimizer.lr = schedule.lrAt(globalStep);
      const logits = device.tidy(() => {
        const logits = model.forward(batch.images);
        const loss = crossEntropy(logits, batch.labels, { labelSmoothing: o.labelSmoothing ?? 0, weight: o.classWeights });
        loss.backward();
        if (o.clipGradNorm) clipGradNorm(params, o.clipGradNorm);
        optimizer.step();
        optimizer.zeroGrad();
        ema?.update();
        addInto(lossSum, loss.reshape([1]));
        return logits.detach();
      });
      batch.images.dispose();
      modelIsBest = false;
      globalStep++;
      steps++;
      seen += batch.labels.length;
      // Training accuracy costs one small read-back; do it every 10 steps and at the end.
      if (steps % 10 === 0 || steps === loader.length) {
        const l = await logits.toArray();
        correct += countCorrect(l, batch.labels, model.numClasses);
        sampled += batch.labels.length;
        const meanLoss = (await lossSum.item()) / steps;
        checkFinite(meanLoss, epoch, steps);
        bar?.update(steps, { loss: meanLoss.toFixed(4), ips: (seen / ((performance.now() - t0) / 1000)).toFixed(1) });
      } else {
        device.flush();
      }
      logits.dispose();
      const stopping = !!o.maxSteps && globalStep >= o.maxSteps;
      if (out && steps < loader.length && (stopping || (o.checkpointEvery && steps % o.checkpointEvery === 0))) {
        const sum = await lossSum.item();
        checkFinite(sum / steps, epoch, steps);
        const seconds = (performance.now() - t0) / 1000;
        await checkpoint({ ...state, step: globalStep, partial: { steps, lossSum: sum, seen, correct, sampled, seconds } }, false);
      }
      if (stopping) {
        stoppedMidEpoch = steps < loader.length;
        break;
      }
    }
    bar?.stop();
    if (stoppedMidEpoch) {
      await device.sync();
      log(`stopped after ${globalStep} steps, inside epoch ${epoch + 1} (step ${steps}/${loader.length})` + (out ? `; resume continues it from ${out}` : ''));
      break;
    }
    await device.sync(); // time to GPU completion
    const seconds = (performance.now() - t0) / 1000;
    const trainLoss = (await lossSum.item()) / Math.max(1, steps);
    let valAccuracy: number | null = null;
    let valMacroF1: number | null = null;
    if (valSplit) {
      const report = await evaluate(model, valSet, { split: valSplit, mean: o.mean, std: o.std });
      valAccuracy = report.accuracy ?? null;
      valMacroF1 = report.macroAvg.f1;
    }
    const emaVal = ema ? await validateEma(ema, loader, epoch, o.emaBnBatches, valSplit && { valSet, valSplit, mean: o.mean, std: o.std }) : null;
    const rawMetric = (o.selectOn === 'macroF1' ? valMacroF1 : valAccuracy) ?? -trainLoss;
    const emaMetric = emaVal ? ((o.selectOn === 'macroF1' ? emaVal.macroF1 : emaVal.accuracy) ?? -trainLoss) : null;
    const selected: 'raw' | 'ema' = emaMetric !== null && (o.selectFrom === 'ema' || (o.selectFrom !== 'raw' && emaMetric > rawMetric)) ? 'ema' : 'raw';
    const metric = selected === 'ema' ? emaMetric! : rawMetric;
    const isBest = state.best === null || metric > state.best.metric;
    if (isBest) {
      state.best = { metric, epoch: epoch + 1, ...(ema ? { selected } : {}) };
      state.staleEpochs = 0;
    } else state.staleEpochs++;
    schedule.observe(metric);
    const entry: EpochLog = {
      epoch: epoch + 1,
      steps,
      lr: optimizer.lr,
      trainLoss,
      trainAccuracy: sampled > 0 ? correct / sampled : null,
      valAccuracy,
      valMacroF1,
      imagesPerSecond: seen / seconds,
      seconds,
      best: isBest,
      ...(emaVal ? { emaValAccuracy: emaVal.accuracy, emaValMacroF1: emaVal.macroF1, selected } : {}),
    };
    history.push(entry);
    state = { ...state, step: globalStep, epoch: epoch + 1, schedule: schedule.state(), history: [...state.history, entry] };
    log(
      `epoch ${entry.epoch}/${o.epochs}  loss ${trainLoss.toFixed(4)}  ` +
        `val acc ${valAccuracy === null ? '-' : (100 * valAccuracy).toFixed(2) + '%'}  ` +
        `val macro F1 ${valMacroF1 === null ? '-' : valMacroF1.toFixed(4)}  ` +
        (emaVal ? `EMA val acc ${emaVal.accuracy === null ? '-' : (100 * emaVal.accuracy).toFixed(2) + '%'}  ` : '') +
        `${entry.imagesPerSecond.toFixed(1)} img/s${isBest ? `  *best${ema ? ` (${selected})` : ''}` : ''}`,
    );
    await checkpoint(state, isBest);
    modelIsBest = isBest && selected === 'raw';
    if (out) appendFileSync(file(LOG_FILE), JSON.stringify(entry) + '\n');
    if (state.staleEpochs >= patience) {
      log(`early stopping: no improvement for ${patience} epochs (best epoch ${state.best?.epoch})`);
      stoppedEarly = true;
      break;
    }
    if (o.maxSteps && globalStep >= o.maxSteps) break;
  }
  let weights: TrainResult['weights'] = modelIsBest ? 'best' : 'last';
  if (restoreBest && !modelIsBest && state.best) {
    // from this call's epochs, or (a resumed run) from the run folder's best.safetensors
    const best = bestWeights ?? (out && existsSync(file(BEST_FILE)) ? (readSafetensors(file(BEST_FILE)).tensors as StateDict) : null);
    if (best) {
      model.loadStateDict(best);
      weights = 'best';
    }
  }
  model.eval();
  return { history, best: state.best, weights, stoppedEarly, outDir: out };
}

/** The EMA of a fer-resnet18 (its batch-norm statistics averaged too, unless recalibrated). */
function createEma(model: FerResNet18, decay: number, bnBatches: number | undefined): ModelEma<FerResNet18> {
  const copy = new FerResNet18(model.device, { width: model.width, numClasses: model.numClasses, inChannels: model.conv1.inChannels });
  return new ModelEma(model, copy, { decay, averageBuffers: !bnBatches });
}

/**
 * Validates the EMA weights after an epoch, recalibrating their batch norms first from
 * `bnBatches` training batches (drawn with their own seed stream, so the training order is
 * untouched) when asked.
 */
async function validateEma(
  ema: ModelEma<FerResNet18>,
  loader: DataLoader,
  epoch: number,
  bnBatches: number | undefined,
  val: { valSet: FerDataset; valSplit: FerSplit | readonly FerSplit[]; mean?: number; std?: number } | undefined,
): Promise<{ accuracy: number | null; macroF1: number | null }> {
  if (bnBatches) {
    loader.setEpoch(1_000_000 + epoch); // a stream of its own; the next epoch sets its own again
    recalibrateBatchNorm(ema.model, loader, { batches: bnBatches });
  }
  if (!val) return { accuracy: null, macroF1: null };
  const report = await evaluate(ema.model, val.valSet, { split: val.valSplit, mean: val.mean, std: val.std });
  return { accuracy: report.accuracy ?? null, macroF1: report.macroAvg.f1 };
}

function pickValSplit(ds: FerDataset): FerSplit | undefined {
  const has = (name: number) => ds.splits.includes(name);
  // FER_SPLITS order: Training 0, PublicTest 1, PrivateTest 2, Test 3, Holdout 4
  if (has(1)) return 'PublicTest';
  if (has(4)) return 'Holdout';
  return undefined;
}

function countCorrect(logits: Float32Array, labels: Int32Array, k: number): number {
  let c = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[r * k + j]! > logits[r * k + best]!) best = j;
    if (best === labels[r]) c++;
  }
  return c;
}

/** Receives progress lines; may offer a per-epoch progress bar. */
export type Logger = ((line: string) => void) & {
  bar?: (total: number, epoch: number, epochs: number) => { update(v: number, p: Record<string, string>): void; stop(): void };
};

/** A progress bar on a terminal, plain lines otherwise. */
export function defaultLogger(): Logger {
  const log: Logger = (line: string) => console.log(line);
  if (!process.stdout.isTTY) {
    // Logs (nohup, CI): a plain line about every tenth of an epoch.
    log.bar = (total, epoch, epochs) => {
      const every = Math.max(1, Math.round(total / 10));
      let next = every;
      const eta = etaClock(total);
      return {
        update(v, p) {
          const left = eta(v);
          if (v < next || p.loss === '-') return;
          next = (Math.floor(v / every) + 1) * every;
          console.log(`epoch ${epoch}/${epochs}  step ${v}/${total}  loss ${p.loss}  ${p.ips} img/s  ETA ${left}`);
        },
        stop() {},
      };
    };
  } else {
    log.bar = (total, epoch, epochs) => {
      const bar = new cliProgress.SingleBar(
        { format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} steps | loss {loss} | {ips} img/s | ETA {eta_left}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      const eta = etaClock(total);
      bar.start(total, 0, { loss: '-', ips: '-', eta_left: '-' });
      return {
        update: (v, p) => bar.update(v, { ...p, eta_left: eta(v) }),
        stop: () => bar.stop(),
      };
    };
  }
  return log;
}

/**
 * Time left in an epoch of `total` steps, from the pace since the first step seen (a resumed
 * epoch starts mid-way): `eta(step)` gives '4m05s', or '-' before any step has been timed.
 */
export function etaClock(total: number, now: () => number = () => performance.now()): (step: number) => string {
  const start = now();
  let first = -1;
  return (step) => {
    if (first < 0) first = step;
    if (step <= first) return '-';
    const perStep = (now() - start) / 1000 / (step - first);
    return formatSeconds((total - step) * perStep);
  };
}

/** 1h02m, 4m05s, 12s. */
function formatSeconds(sec: number): string {
  const s = Math.round(sec);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
