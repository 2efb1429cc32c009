/**
 * fer-resnet18 against PyTorch: state-dict names, eval logits of a PyTorch checkpoint, and one
 * training step (loss, every gradient, weights after SGD) from goldens made by
 * scripts/goldens/safetensors.py; save → load round trip.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { loadModel, saveModel } from '../../src/train/checkpoint.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { crossEntropy } from '../../src/kernels/cross-entropy/index.js';
import { SGD } from '../../src/optim/index.js';
import { expectClose, useDevice } from '../helpers.js';
import type { Device } from '../../src/gpu/device.js';

const goldens = path.resolve(__dirname, '../goldens');
const io = JSON.parse(fs.readFileSync(path.join(goldens, 'fer_resnet18_w4_io.json'), 'utf8')) as {
  state_dict: [string, number[], string][];
  eval: { shape: number[]; pixels: number[]; logits: number[][] };
  train: { shape: number[]; pixels: number[]; labels: number[]; logits: number[][]; loss: number; sgd: { lr: number; momentum: number; weight_decay: number } };
};

function images(d: Device, pixels: number[], shape: number[]) {
  return d.tensor(Float32Array.from(pixels, (p) => (p / 255 - 0.5) / 0.5), shape);
}

describe('fer-resnet18', () => {
  const device = useDevice();

  it('has PyTorch parameter counts and state-dict names in order', () => {
    const d = device();
    for (const [w, count] of [[16, 700_791], [64, 11_171_271]] as const) {
      const m = ferResNet18(d, { width: w });
      expect(m.parameters().reduce((s, p) => s + p.size, 0)).toBe(count);
      m.dispose();
    }
    const m4 = ferResNet18(d, { width: 4 });
    expect(m4.stateDictKeys()).toEqual(io.state_dict.map(([n]) => n));
    m4.dispose();
  });

  it('a PyTorch checkpoint gives PyTorch eval logits (1e-3)', async () => {
    const d = device();
    const { model } = loadModel(d, path.join(goldens, 'fer_resnet18_w4.safetensors'));
    model.eval();
    const logits = d.noGrad(() => model.forward(images(d, io.eval.pixels, io.eval.shape)));
    expectClose(await logits.toArray(), io.eval.logits.flat(), { atol: 1e-3, rtol: 0, what: 'eval logits' });
    model.dispose();
  });

  it('one training step equals PyTorch: loss, every gradient, weights after SGD', async () => {
    const d = device();
    const { model } = loadModel(d, path.join(goldens, 'fer_resnet18_w4.safetensors'));
    const step = readSafetensors(path.join(goldens, 'fer_resnet18_w4_step.safetensors')).tensors;
    const { lr, momentum, weight_decay } = io.train.sgd;
    const opt = new SGD(model.parameters(), { lr, momentum, weightDecay: weight_decay });
    model.train();
    const logits = model.forward(images(d, io.train.pixels, io.train.shape));
    const loss = crossEntropy(logits, Int32Array.from(io.train.labels));
    expectClose(await logits.toArray(), io.train.logits.flat(), { atol: 1e-4, what: 'train logits' });
    expect(await loss.item()).toBeCloseTo(io.train.loss, 5);
    loss.backward();
    for (const [name, p] of model.namedParameters()) {
      const g = step[`grad.${name}`]!;
      // gradients are sums over batch x pixels: compare relative to their scale
      const scale = Math.max(1e-3, ...Array.from(g.data as Float32Array, Math.abs));
      expectClose(await p.grad!.toArray(), g.data as Float32Array, { atol: 2e-4 * scale, rtol: 1e-3, what: `grad ${name}` });
    }
    opt.step();
    for (const [name, p] of model.namedParameters()) {
      expectClose(await p.toArray(), step[`after.${name}`]!.data as Float32Array, { atol: 1e-5, rtol: 1e-4, what: `after ${name}` });
    }
    for (const [name, b] of model.namedBuffers()) {
      expectClose(await b.toArray(), step[`after.${name}`]!.data as Float32Array, { atol: 1e-5, rtol: 1e-4, what: `after ${name}` });
    }
    const sd = await model.stateDict();
    expect(sd['bn1.num_batches_tracked']!.data).toEqual(step['after.bn1.num_batches_tracked']!.data);
    opt.dispose();
    model.dispose();
  });

  it('save → load gives identical logits and metadata', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 3 });
    const x = images(d, io.eval.pixels, io.eval.shape);
    model.train();
    d.noGrad(() => model.forward(x)).dispose(); // move the running statistics
    model.eval();
    const before = await d.noGrad(() => model.forward(x)).toArray();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-ckpt-')), 'm.safetensors');
    await saveModel(file, model, { mean: 0.4, std: 0.3 });
    const { model: again, info } = loadModel(d, file);
    again.eval();
    expect(info).toMatchObject({ width: 4, mean: 0.4, std: 0.3 });
    expect(Array.from(await d.noGrad(() => again.forward(x)).toArray())).toEqual(Array.from(before));
    model.dispose();
    again.dispose();
  });
});
