/**
 * fer-resnet18(w): a ResNet-18 for 1x48x48 faces (see bench/README.md, "Reference workloads"),
 * with torchvision's state-dict names so weights move to and from PyTorch.
 */
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { Rng } from '../random.js';
import * as ops from '../ops.js';
import { conv2dFused } from '../kernels/conv2d/index.js';
import { Module } from './module.js';
import { BatchNorm2d, Conv2d, Linear, Sequential } from './layers.js';

/** conv3x3 → BN → ReLU → conv3x3 → BN, plus the shortcut, then ReLU. */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(device: Device, cin: number, cout: number, stride: number, rng: Rng) {
    super(device);
    this.conv1 = this.child('conv1', new Conv2d(device, cin, cout, 3, { stride, padding: 1, rng }));
    this.bn1 = this.child('bn1', new BatchNorm2d(device, cout));
    this.conv2 = this.child('conv2', new Conv2d(device, cout, cout, 3, { stride: 1, padding: 1, rng }));
    this.bn2 = this.child('bn2', new BatchNorm2d(device, cout));
    this.downsample =
      stride !== 1 || cin !== cout
        ? this.child('downsample', new Sequential(device, new Conv2d(device, cin, cout, 1, { stride, rng }), new BatchNorm2d(device, cout)))
        : null;
  }

  forward(x: Tensor): Tensor {
    if (inferenceOnly(this)) return this.forwardFolded(x);
    const shortcut = this.downsample ? this.downsample.forward(x) : x;
    const y = this.bn1.forward(this.conv1.forward(x), { relu: true });
    return this.bn2.forward(this.conv2.forward(y), { residual: shortcut, relu: true });
  }

  /** Eval mode without autograd: every batch norm folded into its convolution. */
  private forwardFolded(x: Tensor): Tensor {
    const half = this.inferencePrecision === 'f16';
    let shortcut = x;
    if (this.downsample) {
      const [conv, bn] = this.downsample.children() as [Conv2d, BatchNorm2d];
      shortcut = convBn(conv, bn, x, { half });
    }
    const y = convBn(this.conv1, this.bn1, x, { relu: true, half });
    return convBn(this.conv2, this.bn2, y, { residual: shortcut, relu: true, half });
  }
}

/** True in eval mode with gradient recording off: batch norms can then be folded into convolutions. */
function inferenceOnly(m: Module): boolean {
  return !m.training && !m.device.grad.enabled;
}

/**
 * conv followed by an eval-mode batch norm, as one convolution with bias, with an optional
 * residual add and ReLU fused into the same kernel; with `half`, f16 weights and output.
 */
function convBn(conv: Conv2d, bn: BatchNorm2d, x: Tensor, tail: { residual?: Tensor; relu?: boolean; half?: boolean } = {}): Tensor {
  const f = bn.foldedInto(conv);
  const { half, ...fuse } = tail;
  return conv2dFused(x, f.weight, {
    bias: f.bias,
    packedWeight: half ? f.packedHalf() : f.packedWeight,
    outputDtype: half ? 'f16' : 'f32',
    stride: conv.options.stride ?? 1,
    padding: conv.options.padding ?? 0,
    ...fuse,
  });
}

export interface FerResNet18Options {
  /** Channels of the first stage (64 is ResNet-18's standard width; 16 suits software adapters). */
  width?: number;
  numClasses?: number;
  inChannels?: number;
  /** Seed of the initialisation. */
  seed?: number;
  /** Inference precision: 'f16' calls half() (see Module.half(); needs 'shader-f16'). Default 'f32'. */
  precision?: 'f32' | 'f16';
}

/** fer-resnet18(w). Build it with `ferResNet18(device, { width })`. */
export class FerResNet18 extends Module {
  readonly width: number;
  readonly numClasses: number;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layers: Sequential[];
  readonly fc: Linear;

  constructor(device: Device, { width = 64, numClasses = 7, inChannels = 1, seed = 0, precision = 'f32' }: FerResNet18Options = {}) {
    super(device);
    this.width = width;
    this.numClasses = numClasses;
    const rng = new Rng(seed);
    this.conv1 = this.child('conv1', new Conv2d(device, inChannels, width, 3, { padding: 1, rng }));
    this.bn1 = this.child('bn1', new BatchNorm2d(device, width));
    this.layers = [];
    let cin = width;
    [1, 2, 4, 8].forEach((mult, i) => {
      const cout = width * mult;
      const stride = i === 0 ? 1 : 2;
      const stage = new Sequential(device, new BasicBlock(device, cin, cout, stride, rng), new BasicBlock(device, cout, cout, 1, rng));
      this.layers.push(this.child(`layer${i + 1}`, stage));
      cin = cout;
    });
    this.fc = this.child('fc', new Linear(device, 8 * width, numClasses, { rng }));
    if (precision === 'f16') this.half();
  }

  /**
   * The global-pool output [N, 8w]: the embedding used by drift monitoring. In eval mode
   * without gradient recording, batches whose activations would exceed device.maxTensorBytes run
   * in chunks (see forward).
   */
  features(x: Tensor): Tensor {
    return this.inChunks(x, (xs) => this.featuresOf(xs));
  }

  private featuresOf(x: Tensor): Tensor {
    let y = inferenceOnly(this)
      ? convBn(this.conv1, this.bn1, x, { relu: true, half: this.inferencePrecision === 'f16' })
      : this.bn1.forward(this.conv1.forward(x), { relu: true });
    for (const stage of this.layers) y = stage.forward(y);
    return ops.globalAvgPool2d(y);
  }

  /**
   * Logits [N, numClasses] for images [N, inChannels, 48, 48]. In eval mode without gradient
   * recording (inference), a batch whose largest activation (the stem's, N·w·48·48 floats) would
   * not fit in one tensor (device.maxTensorBytes, the adapter's maxStorageBufferBindingSize) runs
   * in chunks of images that fit and the logits are concatenated: the same results, as each image
   * is computed on its own. In training mode batch statistics couple the images, so such a batch
   * is an error.
   */
  forward(x: Tensor): Tensor {
    return this.inChunks(x, (xs) => this.fc.forward(this.featuresOf(xs)));
  }

  /** Images per chunk such that no activation of the forward pass exceeds device.maxTensorBytes. */
  maxImagesPerTensor(x: Tensor): number {
    const [, C = 1, H = 1, W = 1] = x.shape;
    // the stem keeps the input's resolution and has the most channels at it; every later stage
    // halves H and W and doubles channels, so holds half as many values
    const perImage = Math.max(C, this.width) * H * W * 4;
    return Math.max(1, Math.floor(this.device.maxTensorBytes / perImage));
  }

  /** Runs fn on x, or on batch chunks of x concatenated, as forward describes. */
  private inChunks(x: Tensor, fn: (x: Tensor) => Tensor): Tensor {
    const N = x.shape[0] ?? 0;
    const most = this.maxImagesPerTensor(x);
    if (!inferenceOnly(this) || x.ndim !== 4 || N <= most) return fn(x);
    const per = Math.ceil(N / Math.ceil(N / most)); // equal chunks (256 -> 128 + 128, not 227 + 29)
    const device = this.device;
    const imageSize = x.size / N;
    let out: Tensor | null = null;
    for (let start = 0; start < N; start += per) {
      const n = Math.min(per, N - start);
      const y = device.tidy(() => {
        const xs = device.empty([n, ...x.shape.slice(1)]);
        device.copy(x.buffer, xs.buffer, n * imageSize * 4, start * imageSize * 4, 0);
        return fn(xs);
      });
      const rowSize = y.size / n;
      out ??= device.empty([N, ...y.shape.slice(1)]);
      device.copy(y.buffer, out.buffer, y.size * 4, 0, start * rowSize * 4);
      y.dispose();
    }
    return out!;
  }
}

/** Builds fer-resnet18(w) exactly as the PyTorch definition (torchvision names, same initialisation scheme). */
export function ferResNet18(device: Device, options: FerResNet18Options = {}): FerResNet18 {
  return new FerResNet18(device, options);
}
