/**
 * A training run's state and its run folder: what a checkpoint holds besides the tensors,
 * writing it (with last.safetensors and best.safetensors) once the weights are checked finite,
 * and starting a run afresh or resuming it from its checkpoint.
 */
import { join } from 'node:path';
import type { StateDict } from '../nn/module.js';
import type { FerResNet18 } from '../nn/resnet.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import { InputError } from '../errors.js';
import type { ModelEma, ModelEmaState } from './averaging.js';
import { readCheckpoint, saveStateDict, writeCheckpoint, CHECKPOINT_FILE, type ModelFileMeta } from './checkpoint.js';
import { BEST_FILE, LAST_FILE, checkSameRun, prepareRunFolder, repairRunFolder } from './run-folder.js';
import type { LrSchedule } from './schedules.js';

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

/** The best validation metric, its epoch, and with an EMA which weights (raw or EMA) scored it. */
export interface BestEpoch {
  metric: number;
  epoch: number;
  selected?: 'raw' | 'ema';
}

/** Thrown when the loss or the weights become NaN or infinite; the last good checkpoint is kept. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/** What a checkpoint holds besides the model's and optimizer's tensors. */
export interface TrainState {
  /** Optimizer steps done in all. */
  step: number;
  /** Epochs finished. */
  epoch: number;
  /** Best validation metric so far, its epoch, and (with an EMA) which weights scored it. */
  best: BestEpoch | null;
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
export interface PartialEpoch {
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

const ADVICE = ' Try a lower learning rate or gradient clipping (--clip-grad-norm).';

/**
 * The checkpoints of one train() call: the run folder `out` (none: only the finite-weights check
 * and the best weights' copy), the last checkpoint written, and the best epoch's weights.
 */
export class RunCheckpoints {
  /** The checkpoint on disk now (what a crash would leave), or null before the first. */
  private kept: TrainState | null = null;
  /** The best epoch's weights, copied when this call validated it (with `keepBest`). */
  bestWeights: StateDict | null = null;

  constructor(
    private readonly model: FerResNet18,
    private readonly optimizer: Optimizer<{ lr: number }>,
    private readonly ema: ModelEma<FerResNet18> | null,
    readonly out: string | undefined,
    private readonly meta: ModelFileMeta,
    private readonly keepBest: boolean,
  ) {}

  /** A file of the run folder. */
  file(name: string): string {
    return join(this.out!, name);
  }

  /**
   * The state a run starts from: a fresh one (the run folder emptied of an old run with
   * `overwrite`, refused without), or with `resume` the folder's checkpoint, verified, checked to
   * be of the same `run`, and loaded into the model, optimizer, EMA and `schedule`; the folder's
   * model files and log are repaired to match it.
   */
  start(run: Record<string, unknown>, schedule: LrSchedule, o: { resume?: boolean; overwrite?: boolean }): TrainState {
    const fresh: TrainState = { step: 0, epoch: 0, best: null, staleEpochs: 0, schedule: schedule.state(), history: [], run };
    const { out, model, ema } = this;
    if (!o.resume) {
      if (out) prepareRunFolder(out, o);
      return fresh;
    }
    if (!out) throw new InputError('train: resume needs outDir');
    const checkpointFile = prepareRunFolder(out, o);
    const c = readCheckpoint(checkpointFile);
    const state = c.state as unknown as TrainState;
    checkSameRun(checkpointFile, state.run ?? {}, run);
    try {
      model.loadStateDict(c.model);
      this.optimizer.loadStateDict(c.optimizer);
    } catch (e) {
      throw new InputError(`${checkpointFile}: ${(e as Error).message}`);
    }
    if (ema) {
      // checkSameRun has checked that the run kept an EMA with this decay
      if (!c.ema || !state.ema) throw new InputError(`${checkpointFile}: the checkpoint holds no EMA weights to resume`);
      ema.load(c.ema, state.ema, checkpointFile);
    }
    schedule.loadState(state.schedule);
    this.kept = state;
    const bestIsCheckpoint = !state.partial && state.best?.epoch === state.epoch;
    const best = state.best?.selected === 'ema' ? c.ema : c.model;
    repairRunFolder(out, { model: c.model, best, history: state.history, bestIsCheckpoint }, model.width, this.meta);
    return state;
  }

  /** Where the last good checkpoint is, for an error message ('' without a run folder). */
  private keptMessage(): string {
    const { out, kept } = this;
    return !out
      ? ''
      : kept
        ? ` The last good checkpoint (${describeCheckpoint(kept)}) is kept in ${out}.`
        : ` No checkpoint was written in ${out}.`;
  }

  /** Throws NonFiniteLossError when the mean loss read back at `step` of epoch `epoch` (0-based) is not finite. */
  checkFinite(meanLoss: number, epoch: number, step: number): void {
    if (Number.isFinite(meanLoss)) return;
    throw new NonFiniteLossError(
      `train: the loss became ${meanLoss} at epoch ${epoch + 1}, step ${step}; stopping.` + this.keptMessage() + ADVICE,
    );
  }

  /**
   * Reads the weights (and the EMA's) back and refuses non-finite ones (the loss of a step is
   * computed before its update, so a finite loss does not vouch for the weights); with a run
   * folder, writes the checkpoint, then last.safetensors, then best.safetensors when `isBest`
   * (the EMA weights when they were selected).
   */
  async write(s: TrainState, isBest: boolean): Promise<void> {
    const { model, ema, out, meta } = this;
    const weights = await model.stateDict();
    const emaWeights = ema ? await ema.model.stateDict() : undefined;
    const optimState = out ? await this.optimizer.stateDict() : { state: {}, paramGroups: [] };
    const bad = findNonFinite(weights, optimState, emaWeights);
    if (bad) {
      throw new NonFiniteLossError(
        `train: the weights became non-finite by ${describeCheckpoint(s)} (${bad}); stopping without saving them.` +
          this.keptMessage() +
          ADVICE,
      );
    }
    const best = s.best?.selected === 'ema' ? emaWeights! : weights;
    if (isBest && this.keepBest) this.bestWeights = best;
    if (!out) return;
    const saved = ema ? { ...s, ema: ema.state() } : s;
    writeCheckpoint(
      this.file(CHECKPOINT_FILE),
      { model: weights, optimizer: optimState, ...(emaWeights ? { ema: emaWeights } : {}), state: saved },
      model.width,
      meta,
    );
    this.kept = saved;
    saveStateDict(this.file(LAST_FILE), weights, model.width, meta);
    if (isBest) saveStateDict(this.file(BEST_FILE), best, model.width, meta);
  }
}
