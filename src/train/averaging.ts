/**
 * Weight averaging for training: an exponential moving average of a model's weights kept on the
 * GPU beside it (timm's ModelEma, torch.optim.swa_utils.AveragedModel with an EMA), and
 * batch-norm recalibration of averaged weights (torch.optim.swa_utils.update_bn).
 */
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { InputError } from '../errors.js';
import { Module, type StateDict } from '../nn/module.js';
import { BatchNorm2d } from '../nn/layers.js';
import { emaUpdate } from '../optim/ema/index.js';

/** Options of {@link ModelEma}. */
export interface ModelEmaOptions {
  /** Weight of the old average at each update (default 0.999: a memory of about 1,000 steps). */
  decay?: number;
  /**
   * Average the batch-norm running statistics too (default true, as timm's ModelEmaV2/V3). With
   * false they are left alone, as in PyTorch's AveragedModel(use_buffers=False): recompute them
   * with {@link recalibrateBatchNorm} before using the average.
   */
  averageBuffers?: boolean;
}

/** What a checkpoint records about an EMA besides its tensors. */
export interface ModelEmaState {
  decay: number;
  /** Updates made so far (0: the next update copies the weights). */
  updates: number;
  averageBuffers: boolean;
}

/**
 * An exponential moving average of `source`'s weights in `model`, a second model of the same
 * architecture that can be evaluated, saved and used like any other. Call `update()` after each
 * optimizer step: the first copies the weights, later ones do
 * `avg += (1 − decay) · (weight − avg)` on the GPU (one small kernel per tensor, no read-back).
 *
 * @example
 * const ema = new ModelEma(model, ferResNet18(device, { width: model.width }), { decay: 0.999 });
 * for (const batch of loader) { ...; opt.step(); ema.update(); }
 * const report = await evaluate(ema.model, data, { split: 'PublicTest' });
 */
export class ModelEma<M extends Module = Module> {
  readonly decay: number;
  readonly averageBuffers: boolean;
  /** Updates made so far. */
  updates = 0;
  private readonly pairs: Array<{ name: string; avg: Tensor; src: Tensor }>;
  private readonly norms: Array<[BatchNorm2d, BatchNorm2d]>;

  /**
   * @param source the model being trained.
   * @param model a model of the same architecture that holds the average (owned by this EMA:
   *   `dispose()` frees it).
   * @throws InputError when the two models' parameters or buffers differ in names or shapes.
   */
  constructor(
    readonly source: M,
    readonly model: M,
    options: ModelEmaOptions = {},
  ) {
    this.decay = options.decay ?? 0.999;
    if (!(this.decay >= 0 && this.decay < 1)) throw new InputError(`ema: decay must be in [0, 1), got ${this.decay}`);
    this.averageBuffers = options.averageBuffers ?? true;
    const entries = (m: Module) => [...m.namedParameters(), ...m.namedBuffers()];
    const avg = new Map(entries(model));
    const src = entries(source);
    if (src.length !== avg.size) throw new InputError(`ema: the average has ${avg.size} tensors, the model ${src.length}`);
    const buffers = new Set(source.namedBuffers().map(([n]) => n));
    this.pairs = [];
    for (const [name, s] of src) {
      const a = avg.get(name);
      if (!a || a.shape.join() !== s.shape.join())
        throw new InputError(`ema: the average has no tensor '${name}' of shape [${s.shape.join(', ')}]`);
      if (buffers.has(name) && !this.averageBuffers) continue;
      this.pairs.push({ name, avg: a, src: s });
    }
    const srcNorms = batchNorms(source);
    const avgNorms = batchNorms(model);
    this.norms = srcNorms.map((bn, i) => [bn, avgNorms[i]!]);
  }

  /** The parameters (and buffers, with averageBuffers) that are averaged, by state-dict name. */
  get names(): string[] {
    return this.pairs.map((p) => p.name);
  }

  /** Moves the average towards the model's current weights (recorded on the GPU; call after optimizer.step()). */
  update(): void {
    const first = this.updates === 0;
    for (const { avg, src } of this.pairs) emaUpdate(avg, src, this.decay, first);
    if (this.averageBuffers) for (const [s, a] of this.norms) a.numBatchesTracked = s.numBatchesTracked;
    this.updates++;
    // Eval-mode forward passes cache batch norms folded into convolutions: drop them.
    this.model.train(this.model.training);
  }

  /** Decay, update count and buffer mode, for a checkpoint. */
  state(): ModelEmaState {
    return { decay: this.decay, updates: this.updates, averageBuffers: this.averageBuffers };
  }

  /**
   * Restores a saved average: `weights` is `model.stateDict()` of the averaged model (a training
   * checkpoint's `ema`), `state` what `state()` gave.
   * @throws InputError naming `where` when the decay differs or a tensor is missing or misshapen.
   */
  load(weights: StateDict, state: ModelEmaState, where = 'checkpoint'): void {
    if (state.decay !== this.decay) throw new InputError(`${where}: the EMA was made with decay ${state.decay}, not ${this.decay}`);
    const missing = this.model.stateDictKeys().find((name) => !Object.hasOwn(weights, name));
    if (missing !== undefined) throw new InputError(`${where}: no EMA tensor '${missing}'`);
    try {
      this.model.loadStateDict(weights);
    } catch (e) {
      throw new InputError(`${where}: EMA: ${(e as Error).message}`);
    }
    this.updates = state.updates;
  }

  /** Frees the averaged model. */
  dispose(): void {
    this.model.dispose();
  }
}

/** Every BatchNorm2d in a module tree, in registration order. */
export function batchNorms(m: Module): BatchNorm2d[] {
  return m instanceof BatchNorm2d ? [m] : m.children().flatMap(batchNorms);
}

/**
 * Recomputes the batch-norm running statistics of `model` (e.g. averaged weights) from a pass
 * over batches in training mode without gradients, as torch.optim.swa_utils.update_bn: the
 * statistics are reset, then each BatchNorm's running mean and (unbiased) variance become the
 * equal-weight average over the batches of the batch statistics (momentum 1/t for batch t).
 * The model's mode and the BatchNorms' momentum are restored; num_batches_tracked counts the
 * batches. Returns the number of batches used.
 *
 * @param batches any iterable of batches with `images` (a DataLoader); each batch's images are
 *   disposed after use. At most `options.batches` are read (default: all).
 * @throws InputError when the model has no BatchNorm2d or no batch came.
 */
export function recalibrateBatchNorm(
  model: Module,
  batches: Iterable<{ images: Tensor }>,
  { batches: limit = Infinity }: { batches?: number } = {},
): number {
  if (!(limit > 0)) throw new InputError(`recalibrateBatchNorm: batches must be positive, got ${limit}`);
  const norms = batchNorms(model);
  if (norms.length === 0) throw new InputError('recalibrateBatchNorm: the model has no BatchNorm2d');
  const device: Device = model.device;
  const momenta = norms.map((bn) => bn.options.momentum);
  const wasTraining = model.training;
  for (const bn of norms) {
    device.fill(bn.runningMean, 0);
    device.fill(bn.runningVar, 1);
    bn.numBatchesTracked = 0;
  }
  model.train();
  let used = 0;
  try {
    for (const batch of batches) {
      used++;
      for (const bn of norms) bn.options.momentum = 1 / used;
      device.tidy(() => {
        device.noGrad(() => model.forward(batch.images));
      });
      batch.images.dispose();
      if (used >= limit) break;
    }
  } finally {
    norms.forEach((bn, i) => {
      if (momenta[i] === undefined) delete bn.options.momentum;
      else bn.options.momentum = momenta[i];
    });
    model.train(wasTraining);
  }
  if (used === 0) throw new InputError('recalibrateBatchNorm: no batches to recompute the statistics from');
  return used;
}
