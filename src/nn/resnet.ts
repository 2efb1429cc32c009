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
        ? this.child(
            'downsample',
            new Sequential(device, new Conv2d(device, cin, cout, 1, { stride, rng }), new BatchNorm2d(device, cout)),
          )
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
    let shortcut = x;
    if (this.downsample) {
      const [conv, bn] = this.downsample.children() as [Conv2d, BatchNorm2d];
      shortcut = convBn(conv, bn, x);
    }
    const y = convBn(this.conv1, this.bn1, x, { relu: true });
    return convBn(this.conv2, this.bn2, y, { residual: shortcut, relu: true });
  }
}

/** True in eval mode with gradient recording off: batch norms can then be folded into convolutions. */
function inferenceOnly(m: Module): boolean {
  return !m.training && !m.device.grad.enabled;
}

/**
 * conv followed by an eval-mode batch norm, as one convolution with bias, with an optional
 * residual add and ReLU fused into the same kernel.
 */
function convBn(conv: Conv2d, bn: BatchNorm2d, x: Tensor, tail: { residual?: Tensor; relu?: boolean } = {}): Tensor {
  const f = bn.foldedInto(conv);
  return conv2dFused(x, f.weight, { bias: f.bias, stride: conv.options.stride ?? 1, padding: conv.options.padding ?? 0, ...tail });
}

export interface FerResNet18Options {
  /** Channels of the first stage (64 is ResNet-18's standard width; 16 suits software adapters). */
  width?: number;
  numClasses?: number;
  inChannels?: number;
  /** Seed of the initialisation. */
  seed?: number;
}

/** fer-resnet18(w). Build it with `ferResNet18(device, { width })`. */
export class FerResNet18 extends Module {
  readonly width: number;
  readonly numClasses: number;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layers: Sequential[];
  readonly fc: Linear;

  constructor(device: Device, { width = 64, numClasses = 7, inChannels = 1, seed = 0 }: FerResNet18Options = {}) {
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
  }

  /** The global-pool output [N, 8w]: the embedding used by drift monitoring. */
  features(x: Tensor): Tensor {
    let y = inferenceOnly(this)
      ? convBn(this.conv1, this.bn1, x, { relu: true })
      : this.bn1.forward(this.conv1.forward(x), { relu: true });
    for (const stage of this.layers) y = stage.forward(y);
    return ops.globalAvgPool2d(y);
  }

  /** Logits [N, numClasses] for images [N, inChannels, 48, 48]. */
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.features(x));
  }
}

/** Builds fer-resnet18(w) exactly as the PyTorch definition (torchvision names, same initialisation scheme). */
export function ferResNet18(device: Device, options: FerResNet18Options = {}): FerResNet18 {
  return new FerResNet18(device, options);
}
