import { describe, expect, it } from 'vitest';
import * as ops from '../../src/ops.js';
import { emaUpdate } from '../../src/optim/ema/index.js';
import { ownDevice, useDevice } from '../helpers.js';

/** Every op rejects a wrong dtype or a tensor from another device with the same wording (kernels/check.ts). */
describe('checkTensors: one wording for every op', () => {
  const device = useDevice();

  it('names the op, the argument, its shape and the dtype', () => {
    const d = device();
    const f = d.zeros([2, 3, 4, 4]);
    const i = d.zeros([2, 3, 4, 4], { dtype: 'i32' });
    const w = d.zeros([3, 3, 1, 1]);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => ops.add(f, i), /^add: b \[2, 3, 4, 4\] must be f32, got i32$/],
      [() => ops.relu(i), /^relu: input \[2, 3, 4, 4\] must be f32, got i32$/],
      [() => ops.maxPool2d(i, { kernelSize: 2 }), /^maxPool2d: input \[2, 3, 4, 4\] must be f32, got i32$/],
      [() => ops.globalAvgPool2d(i), /^globalAvgPool2d: input \[2, 3, 4, 4\] must be f32 or f16, got i32$/],
      [() => ops.batchNorm2d(i, { training: true }), /^batchNorm2d: input \[2, 3, 4, 4\] must be f32, got i32$/],
      [() => ops.conv2d(i, w), /^conv2d: input \[2, 3, 4, 4\] must be f32, got i32$/],
      [() => ops.matmul(d.zeros([2, 2], { dtype: 'i32' }), d.zeros([2, 2])), /^matmul: a \[2, 2\] must be f32, got i32$/],
      [() => ops.crossEntropy(d.zeros([2, 3], { dtype: 'i32' }), [0, 1]), /^crossEntropy: logits \[2, 3\] must be f32, got i32$/],
      [
        () => ops.depthwiseConv2d(f, d.zeros([3, 1, 3, 3], { dtype: 'i32' })),
        /^depthwiseConv2d: weight \[3, 1, 3, 3\] must be f32, got i32$/,
      ],
      [() => ops.resizeBilinear(i, [8, 8]), /^resizeBilinear: input \[2, 3, 4, 4\] must be f32, got i32$/],
      [() => ops.pad(i, { height: [1, 1] }), /^pad: input \[2, 3, 4, 4\] must be f32, got i32$/],
      [() => emaUpdate(f, i, 0.9, false), /^emaUpdate: param \[2, 3, 4, 4\] must be f32, got i32$/],
    ];
    for (const [fn, message] of cases) expect(fn).toThrow(message);
  });

  it('names the argument that lives on another device', async () => {
    const d = device();
    const other = await ownDevice();
    {
      const a = d.zeros([2, 4, 3, 3]);
      const b = other.zeros([2, 4, 3, 3]);
      expect(() => ops.add(a, b)).toThrow(/^add: b lives on another device than a$/);
      expect(() => ops.conv2d(a, other.zeros([4, 4, 1, 1]))).toThrow(/^conv2d: input lives on another device than weight$/);
      expect(() => ops.matmul(d.zeros([2, 2]), other.zeros([2, 2]))).toThrow(/^matmul: b lives on another device than a$/);
      expect(() => ops.batchNorm2d(a, { training: true, weight: other.zeros([4]), bias: other.zeros([4]) })).toThrow(
        /^batchNorm2d: weight lives on another device than input$/,
      );
      expect(() => ops.depthwiseConv2d(a, other.zeros([4, 1, 3, 3]))).toThrow(
        /^depthwiseConv2d: weight lives on another device than input$/,
      );
      expect(() => emaUpdate(a, b, 0.9, false)).toThrow(/^emaUpdate: param lives on another device than shadow$/);
    }
  });

  it('inference-only ops refuse inputs that record gradients, in one wording', () => {
    const d = device();
    const x = d.zeros([1, 2, 4, 4], { requiresGrad: true });
    const message = (op: string) =>
      new RegExp(`^${op}: records no gradients; call it under device.noGrad\\(\\) or on tensors that do not require grad$`);
    expect(() => ops.depthwiseConv2d(x, d.zeros([2, 1, 3, 3]))).toThrow(message('depthwiseConv2d'));
    expect(() => ops.resizeBilinear(x, [8, 8])).toThrow(message('resizeBilinear'));
    expect(() => ops.pad(x, { height: [1, 1] })).toThrow(message('pad'));
    d.noGrad(() => expect(() => ops.pad(x, { height: [1, 1] }).dispose()).not.toThrow());
  });
});
