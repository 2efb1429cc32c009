/**
 * Layers with PyTorch's parameter names, shapes and default initialisation.
 */
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { Rng } from '../random.js';
import { InputError } from '../errors.js';
import * as ops from '../ops.js';
import { foldBatchNormIntoConv } from '../kernels/batchnorm/index.js';
import { packConv2dWeight } from '../kernels/conv2d/index.js';
import { Module, type StateDict } from './module.js';

/** Conv2d as torch.nn.Conv2d (no dilation or groups). Weight [out, in, k, k]. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    device: Device,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly options: { stride?: number; padding?: number; bias?: boolean; rng?: Rng; init?: 'kaiming-fan-out' | 'pytorch' } = {},
  ) {
    super(device);
    const rng = options.rng ?? new Rng(0);
    const fanIn = inChannels * kernelSize * kernelSize;
    const fanOut = outChannels * kernelSize * kernelSize;
    const n = outChannels * fanIn;
    const w = new Float32Array(n);
    if ((options.init ?? 'kaiming-fan-out') === 'kaiming-fan-out') {
      // nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu'): std = sqrt(2 / fan_out)
      const std = Math.sqrt(2 / fanOut);
      for (let i = 0; i < n; i++) w[i] = rng.normal(0, std);
    } else {
      // PyTorch's default: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) w[i] = rng.uniform(-bound, bound);
    }
    this.weight = this.param('weight', device.tensor(w, [outChannels, inChannels, kernelSize, kernelSize]));
    this.bias = options.bias ? this.param('bias', device.tensor(uniform(rng, outChannels, 1 / Math.sqrt(fanIn)), [outChannels])) : null;
  }

  forward(x: Tensor): Tensor {
    return ops.conv2d(x, this.weight, {
      bias: this.bias ?? undefined,
      stride: this.options.stride ?? 1,
      padding: this.options.padding ?? 0,
    });
  }
}

/** BatchNorm2d as torch.nn.BatchNorm2d (affine, tracking running statistics). */
export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  /** Training-mode forward passes so far (PyTorch's num_batches_tracked). */
  numBatchesTracked = 0;

  constructor(
    device: Device,
    readonly numFeatures: number,
    readonly options: { eps?: number; momentum?: number } = {},
  ) {
    super(device);
    this.weight = this.param('weight', device.full([numFeatures], 1));
    this.bias = this.param('bias', device.zeros([numFeatures]));
    this.runningMean = this.buffer('running_mean', device.zeros([numFeatures]));
    this.runningVar = this.buffer('running_var', device.full([numFeatures], 1));
  }

  /**
   * Normalises x; `fuse` adds a residual and/or applies a ReLU in the same kernel
   * (relu(bn(x) + residual), a ResNet block's tail).
   */
  forward(x: Tensor, fuse: { relu?: boolean; residual?: Tensor } = {}): Tensor {
    if (this.training) this.numBatchesTracked++;
    return ops.batchNorm2d(x, {
      relu: fuse.relu ?? false,
      residual: fuse.residual ?? null,
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.options.momentum ?? 0.1,
      eps: this.options.eps ?? 1e-5,
    });
  }

  /**
   * The weight and bias of `conv` with this (eval-mode) batch norm folded in, so that
   * conv2d(x, W', { bias: b' }) = bn(conv(x)). Computed on the GPU once and cached until the mode
   * changes (train()/eval()) or a state dict is loaded; after changing weights in eval mode by
   * other means, call eval() again.
   */
  foldedInto(conv: Conv2d): { weight: Tensor; bias: Tensor; packedWeight: Tensor; packedHalf(): Tensor } {
    if (this.folded?.conv !== conv) {
      this.dropFolded();
      const f = this.fold(conv);
      // the layout the vec4 forward kernels read (packConv2dWeight), made once with the fold
      const packedWeight = packConv2dWeight(f.weight);
      for (const t of [f.weight, f.bias, packedWeight]) this.device.untrack(t);
      let half: Tensor | null = null;
      const folded = {
        conv,
        ...f,
        packedWeight,
        // the f16 packing for f16 inference (Module.half()), made on first use
        packedHalf: (): Tensor => {
          if (!half) {
            half = packConv2dWeight(f.weight, 'f16');
            this.device.untrack(half);
          }
          return half;
        },
        dispose: (): void => half?.dispose(),
      };
      this.folded = folded;
    }
    return this.folded;
  }

  /**
   * `conv`'s weight and bias with this batch norm's running statistics folded in, as fresh
   * tensors that the caller owns (foldedInto keeps a cached copy for inference; ONNX export reads
   * this one).
   */
  fold(conv: Conv2d): { weight: Tensor; bias: Tensor } {
    return foldBatchNormIntoConv(conv.weight, conv.bias, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      eps: this.options.eps ?? 1e-5,
    });
  }

  private folded: { conv: Conv2d; weight: Tensor; bias: Tensor; packedWeight: Tensor; packedHalf(): Tensor; dispose(): void } | null = null;

  private dropFolded(): void {
    this.folded?.weight.dispose();
    this.folded?.bias.dispose();
    this.folded?.packedWeight.dispose();
    this.folded?.dispose();
    this.folded = null;
  }

  override train(mode = true): this {
    this.dropFolded();
    return super.train(mode);
  }

  override dispose(): void {
    this.dropFolded();
    super.dispose();
  }

  protected override extraState(): StateDict {
    return { num_batches_tracked: { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(this.numBatchesTracked)) } };
  }

  protected override loadExtraState(dict: StateDict, prefix: string): void {
    this.dropFolded(); // the weights it was made from may have changed
    const e = dict[`${prefix}num_batches_tracked`];
    if (!e) return;
    if (!(e.data instanceof BigInt64Array) || e.data.length !== 1) {
      throw new InputError(`loadStateDict: '${prefix}num_batches_tracked' must be one I64 value`);
    }
    this.numBatchesTracked = Number(e.data[0]);
  }
}

/** Linear as torch.nn.Linear: y = x Wᵀ + b, weight [out, in], PyTorch's default init. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    device: Device,
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; rng?: Rng } = {},
  ) {
    super(device);
    const rng = options.rng ?? new Rng(0);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', device.tensor(uniform(rng, outFeatures * inFeatures, bound), [outFeatures, inFeatures]));
    this.bias = options.bias === false ? null : this.param('bias', device.tensor(uniform(rng, outFeatures, bound), [outFeatures]));
  }

  forward(x: Tensor): Tensor {
    return ops.linear(x, this.weight, this.bias ?? undefined);
  }
}

/** ReLU. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return ops.relu(x);
  }
}

/** Runs its children in order; they are named "0", "1", … as in PyTorch. */
export class Sequential extends Module {
  private readonly layers: Module[];
  constructor(device: Device, ...layers: Module[]) {
    super(device);
    this.layers = layers.map((m, i) => this.child(String(i), m));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
}

function uniform(rng: Rng, n: number, bound: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-bound, bound);
  return a;
}
