/**
 * The training loop: seeded data order and augmentation, SGD/AdamW with a learning-rate
 * schedule, label smoothing, class weights, gradient clipping, validation each epoch, best
 * checkpoint on the validation split, early stopping, a JSONL log, resume, and a NaN guard.
 * One queue submit per step; the loss is read back only every few steps for the progress line.
 * The run folder's checkpoints and resume are in run-state.ts, the progress lines in progress.ts.
 */
import { appendFileSync, existsSync } from 'node:fs';
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { crossEntropy } from '../kernels/cross-entropy/index.js';
import { addInto } from '../kernels/elementwise/index.js';
import { SGD, AdamW, clipGradNorm, type Optimizer } from '../optim/index.js';
import { FerResNet18 } from '../nn/resnet.js';
import type { FerDataset, FerSplit } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import { LrSchedule } from './schedules.js';
import { argmaxRows, evaluate } from './evaluate.js';
import type { StateDict } from '../nn/module.js';
import { readSafetensors } from '../io/safetensors.js';
import { BEST_FILE, LOG_FILE, datasetFingerprint, lockRunFolder } from './run-folder.js';
import { InputError } from '../errors.js';
import { checkTrainOptions, type TrainOptions } from './options.js';
import type { ModelEma } from './averaging.js';
import { createEma, validateEma } from './ema-epoch.js';
import { RunCheckpoints, type BestEpoch, type EpochLog, type PartialEpoch, type TrainState } from './run-state.js';
import { defaultLogger, epochLine, type Logger } from './progress.js';

export { NonFiniteLossError, type EpochLog, type BestEpoch } from './run-state.js';
export { defaultLogger, type Logger } from './progress.js';
export type { TrainOptions } from './options.js';

/**
 * What train() returns. The model is left in eval mode, holding the weights `weights` names:
 * 'best' (the best validated epoch's, `best.epoch`; the default) or 'last' (the last step's: with
 * `restoreBestWeights: false`, or when no epoch was validated).
 */
export interface TrainResult {
  history: EpochLog[];
  /** Best validation metric, its epoch, and with `ema` which weights (raw or EMA) scored it and best.safetensors holds. */
  best: BestEpoch | null;
  /** Which weights the model holds now: the best epoch's or the last step's. */
  weights: 'best' | 'last';
  stoppedEarly: boolean;
  outDir?: string;
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

/** What one run works with: made by runTraining, used by every part of the loop. */
interface Run {
  o: TrainOptions;
  model: FerResNet18;
  device: Device;
  loader: DataLoader;
  optimizer: Optimizer<{ lr: number }>;
  schedule: LrSchedule;
  ema: ModelEma<FerResNet18> | null;
  /** The epoch's summed loss, on the GPU (read back every few steps). */
  lossSum: Tensor;
  lr: number;
  weightDecay: number;
  seed: number;
  trainSplit: FerSplit | readonly FerSplit[];
  valSet: FerDataset;
  valSplit: FerSplit | readonly FerSplit[] | undefined;
}

async function runTraining(o: TrainOptions): Promise<TrainResult> {
  const { model } = o;
  const device = o.device ?? model.device;
  const seed = o.seed ?? 0;
  for (const ds of [o.trainSet, o.valSet]) {
    if (ds?.labelled === false)
      throw new InputError(
        `train: ${ds.source} has no labels (unlabelled images); training needs <dir>/<class>/* folders or a labelled CSV`,
      );
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
    return await trainLoop({
      o,
      model,
      device,
      loader,
      optimizer,
      schedule,
      ema,
      lossSum,
      lr,
      weightDecay,
      seed,
      trainSplit,
      valSet,
      valSplit,
    });
  } finally {
    lossSum.dispose();
    loader.dispose();
    optimizer.dispose();
    ema?.dispose();
  }
}

/** What a resumed run must keep: every option that shapes the run, and (with a run folder) the data. */
function runIdentity(r: Run): Record<string, unknown> {
  const { o, model, ema } = r;
  const run: Record<string, unknown> = {
    width: model.width,
    numClasses: model.numClasses,
    epochs: o.epochs,
    batchSize: r.loader.batchSize,
    optimizer: o.optimizer ?? 'sgd',
    lr: r.lr,
    momentum: o.optimizer === 'adamw' ? undefined : (o.momentum ?? 0.9),
    nesterov: o.optimizer === 'adamw' ? undefined : (o.nesterov ?? false),
    weightDecay: r.weightDecay,
    schedule: o.schedule ?? { kind: 'cosine', warmupEpochs: 0 },
    labelSmoothing: o.labelSmoothing ?? 0,
    classWeights: o.classWeights,
    clipGradNorm: o.clipGradNorm,
    augment: o.augment ?? true,
    balanced: o.balanced ?? false,
    seed: r.seed,
    trainSplit: r.trainSplit,
    valSplit: r.valSplit,
    mean: o.mean,
    std: o.std,
    selectOn: o.selectOn ?? 'accuracy',
    earlyStoppingPatience: o.earlyStoppingPatience,
    ema: ema ? ema.decay : undefined,
    emaBnBatches: ema ? o.emaBnBatches : undefined,
    selectFrom: ema ? (o.selectFrom ?? 'either') : undefined,
  };
  if (o.outDir) {
    run.trainData = datasetFingerprint(o.trainSet);
    if (r.valSet !== o.trainSet) run.valData = datasetFingerprint(r.valSet);
  }
  return run;
}

/** The epochs: start or resume, then train, validate, select and checkpoint each, until the end, early stopping or maxSteps. */
async function trainLoop(r: Run): Promise<TrainResult> {
  const { o, model, loader, optimizer, schedule, ema } = r;
  const restoreBest = o.restoreBestWeights ?? true;
  const saver = new RunCheckpoints(model, optimizer, ema, o.outDir, { mean: o.mean, std: o.std }, restoreBest);
  const out = saver.out;
  let state = saver.start(runIdentity(r), schedule, o);
  const log = o.log ?? defaultLogger();
  const history: EpochLog[] = [];
  const patience = o.earlyStoppingPatience ?? Infinity;
  let stoppedEarly = false;
  // Whether the model holds the best epoch's weights.
  let modelIsBest = !!state.best && state.best.epoch === state.epoch && !state.partial && state.best.selected !== 'ema';
  for (let epoch = state.epoch; epoch < o.epochs; epoch++) {
    if (o.maxSteps && state.step >= o.maxSteps) break; // a resumed run that already reached it
    // A checkpoint written mid-epoch continues that epoch where it stopped.
    const partial = state.partial;
    state = { ...state, partial: undefined };
    const done = await trainEpoch(r, saver, log, state, epoch, partial);
    if (done.step > state.step) modelIsBest = false;
    if (done.stoppedMidEpoch) {
      log(
        `stopped after ${done.step} steps, inside epoch ${epoch + 1} (step ${done.steps}/${loader.length})` +
          (out ? `; resume continues it from ${out}` : ''),
      );
      break;
    }
    const trainLoss = (await r.lossSum.item()) / Math.max(1, done.steps);
    const v = await validateAndSelect(r, state, epoch, trainLoss);
    const entry: EpochLog = {
      epoch: epoch + 1,
      steps: done.steps,
      lr: optimizer.lr,
      trainLoss,
      trainAccuracy: done.sampled > 0 ? done.correct / done.sampled : null,
      valAccuracy: v.accuracy,
      valMacroF1: v.macroF1,
      imagesPerSecond: done.seen / done.seconds,
      seconds: done.seconds,
      best: v.isBest,
      ...(v.ema ? { emaValAccuracy: v.ema.accuracy, emaValMacroF1: v.ema.macroF1, selected: v.selected } : {}),
    };
    history.push(entry);
    state = { ...state, step: done.step, epoch: epoch + 1, schedule: schedule.state(), history: [...state.history, entry] };
    log(epochLine(entry, o.epochs, v, !!ema));
    await saver.write(state, v.isBest);
    modelIsBest = v.isBest && v.selected === 'raw';
    if (out) appendFileSync(saver.file(LOG_FILE), JSON.stringify(entry) + '\n');
    if (state.staleEpochs >= patience) {
      log(`early stopping: no improvement for ${patience} epochs (best epoch ${state.best?.epoch})`);
      stoppedEarly = true;
      break;
    }
    if (o.maxSteps && state.step >= o.maxSteps) break;
  }
  let weights: TrainResult['weights'] = modelIsBest ? 'best' : 'last';
  if (restoreBest && !modelIsBest && state.best && loadBestWeights(model, saver)) weights = 'best';
  model.eval();
  return { history, best: state.best, weights, stoppedEarly, outDir: out };
}

/** What an epoch (or the rest of one) did: its counters, the step count after it, and whether maxSteps stopped it inside. */
interface EpochDone {
  /** Optimizer steps done in this epoch. */
  steps: number;
  /** Optimizer steps done in all, after it. */
  step: number;
  seen: number;
  correct: number;
  sampled: number;
  seconds: number;
  stoppedMidEpoch: boolean;
}

/**
 * One epoch of optimizer steps, or the rest of the one `partial` stopped inside: the loss summed
 * on the GPU, training accuracy and the finite-loss check every 10th step, mid-epoch checkpoints
 * every `checkpointEvery` steps and at a maxSteps stop. Waits for the GPU before it returns.
 */
async function trainEpoch(
  r: Run,
  saver: RunCheckpoints,
  log: Logger,
  state: TrainState,
  epoch: number,
  partial: PartialEpoch | undefined,
): Promise<EpochDone> {
  const { o, model, device, loader, optimizer, schedule, ema, lossSum } = r;
  const params = model.parameters();
  model.train();
  loader.setEpoch(epoch, partial?.steps ?? 0);
  device.fill(lossSum, partial?.lossSum ?? 0);
  const t0 = performance.now() - (partial?.seconds ?? 0) * 1000;
  let seen = partial?.seen ?? 0;
  let correct = partial?.correct ?? 0;
  let sampled = partial?.sampled ?? 0;
  let steps = partial?.steps ?? 0;
  let step = state.step;
  let stoppedMidEpoch = false;
  const bar = log.bar?.(loader.length, epoch + 1, o.epochs);
  bar?.update(steps, { loss: '-', ips: '-' });
  for (const batch of loader) {
    optimizer.lr = schedule.lrAt(step);
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
    step++;
    steps++;
    seen += batch.labels.length;
    // Training accuracy costs one small read-back; do it every 10 steps and at the end.
    if (steps % 10 === 0 || steps === loader.length) {
      const l = await logits.toArray();
      correct += argmaxRows(l, model.numClasses).filter((c, r) => c === batch.labels[r]).length;
      sampled += batch.labels.length;
      const meanLoss = (await lossSum.item()) / steps;
      saver.checkFinite(meanLoss, epoch, steps);
      bar?.update(steps, { loss: meanLoss.toFixed(4), ips: (seen / ((performance.now() - t0) / 1000)).toFixed(1) });
    } else {
      device.flush();
    }
    logits.dispose();
    const stopping = !!o.maxSteps && step >= o.maxSteps;
    if (saver.out && steps < loader.length && (stopping || (o.checkpointEvery && steps % o.checkpointEvery === 0))) {
      const sum = await lossSum.item();
      saver.checkFinite(sum / steps, epoch, steps);
      const seconds = (performance.now() - t0) / 1000;
      await saver.write({ ...state, step, partial: { steps, lossSum: sum, seen, correct, sampled, seconds } }, false);
    }
    if (stopping) {
      stoppedMidEpoch = steps < loader.length;
      break;
    }
  }
  bar?.stop();
  await device.sync(); // time to GPU completion
  const seconds = (performance.now() - t0) / 1000;
  return { steps, step, seen, correct, sampled, seconds, stoppedMidEpoch };
}

/** An epoch's validation: the raw weights' metrics, the EMA's, which weights were selected and whether they are the best yet. */
/** One epoch's validation (epochLine prints it). */
export interface Validation {
  accuracy: number | null;
  macroF1: number | null;
  ema: { accuracy: number | null; macroF1: number | null } | null;
  selected: 'raw' | 'ema';
  isBest: boolean;
}

/**
 * Validates the raw weights and the EMA's (without a validation split the metric is minus the
 * training loss), selects which weights the epoch's metric comes from, updates `state`'s best
 * epoch and early-stopping count and lets the schedule observe the metric (plateau).
 */
async function validateAndSelect(r: Run, state: TrainState, epoch: number, trainLoss: number): Promise<Validation> {
  const { o, model, loader, ema, valSet, valSplit } = r;
  let accuracy: number | null = null;
  let macroF1: number | null = null;
  if (valSplit) {
    const report = await evaluate(model, valSet, { split: valSplit, mean: o.mean, std: o.std });
    accuracy = report.accuracy ?? null;
    macroF1 = report.macroAvg.f1;
  }
  const emaVal = ema
    ? await validateEma(ema, loader, epoch, o.emaBnBatches, valSplit && { valSet, valSplit, mean: o.mean, std: o.std })
    : null;
  const rawMetric = (o.selectOn === 'macroF1' ? macroF1 : accuracy) ?? -trainLoss;
  const emaMetric = emaVal ? ((o.selectOn === 'macroF1' ? emaVal.macroF1 : emaVal.accuracy) ?? -trainLoss) : null;
  const selected: 'raw' | 'ema' =
    emaMetric !== null && (o.selectFrom === 'ema' || (o.selectFrom !== 'raw' && emaMetric > rawMetric)) ? 'ema' : 'raw';
  const metric = selected === 'ema' ? emaMetric! : rawMetric;
  const isBest = state.best === null || metric > state.best.metric;
  if (isBest) {
    state.best = { metric, epoch: epoch + 1, ...(ema ? { selected } : {}) };
    state.staleEpochs = 0;
  } else state.staleEpochs++;
  r.schedule.observe(metric);
  return { accuracy, macroF1, ema: emaVal, selected, isBest };
}

/**
 * Loads the best epoch's weights into the model: those this call copied, or (a resumed run whose
 * best epoch came before) the run folder's best.safetensors. False when neither is there.
 */
function loadBestWeights(model: FerResNet18, saver: RunCheckpoints): boolean {
  const best =
    saver.bestWeights ??
    (saver.out && existsSync(saver.file(BEST_FILE)) ? (readSafetensors(saver.file(BEST_FILE)).tensors as StateDict) : null);
  if (!best) return false;
  model.loadStateDict(best);
  return true;
}

function pickValSplit(ds: FerDataset): FerSplit | undefined {
  const has = (name: number) => ds.splits.includes(name);
  // FER_SPLITS order: Training 0, PublicTest 1, PrivateTest 2, Test 3, Holdout 4
  if (has(1)) return 'PublicTest';
  if (has(4)) return 'Holdout';
  return undefined;
}
