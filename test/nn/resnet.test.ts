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
import { Rng } from '../../src/random.js';
import { createDevice } from '../../src/gpu/dawn.js';
import type { Device } from '../../src/gpu/device.js';

const goldens = path.resolve(__dirname, '../goldens');
const io = JSON.parse(fs.readFileSync(path.join(goldens, 'fer_resnet18_w4_io.json'), 'utf8')) as {
  state_dict: [string, number[], string][];
  eval: { shape: number[]; pixels: number[]; logits: number[][] };
  train: {
    shape: number[];
    pixels: number[];
    labels: number[];
    logits: number[][];
    loss: number;
    sgd: { lr: number; momentum: number; weight_decay: number };
  };
};

function images(d: Device, pixels: number[], shape: number[]) {
  return d.tensor(
    Float32Array.from(pixels, (p) => (p / 255 - 0.5) / 0.5),
    shape,
  );
}

describe('fer-resnet18', () => {
  const device = useDevice();

  it('has PyTorch parameter counts and state-dict names in order', () => {
    const d = device();
    for (const [w, count] of [
      [16, 700_791],
      [64, 11_171_271],
    ] as const) {
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

  it('eval-mode inference splits a batch that exceeds the tensor limit into chunks, with the same logits', async () => {
    // a 160 KiB limit holds the stem activation (4 x 48 x 48 floats = 36 KiB per image) of 4 images
    const d = await createDevice({ maxTensorBytes: 160 * 1024 });
    try {
      const model = ferResNet18(d, { width: 4, seed: 3 });
      const N = 10;
      const pixels = Array.from({ length: N * 48 * 48 }, (_, i) => (i * 37) % 256);
      const x = images(d, pixels, [N, 1, 48, 48]);
      model.train();
      expect(() => model.forward(x)).toThrow(/exceeds the 163840 bytes one tensor may hold/); // training: no chunks
      model.eval();
      expect(model.maxImagesPerTensor(x)).toBe(4);
      const logits = d.noGrad(() => model.forward(x)); // 3 chunks of at most 4: 4, 4, 2
      expect(logits.shape).toEqual([N, 7]);
      const features = d.noGrad(() => model.features(x));
      expect(features.shape).toEqual([N, 32]);
      const one: number[] = [];
      const oneFeatures: number[] = [];
      for (let i = 0; i < N; i++) {
        const xi = images(d, pixels.slice(i * 2304, (i + 1) * 2304), [1, 1, 48, 48]);
        one.push(...(await d.noGrad(() => model.forward(xi)).toArray()));
        oneFeatures.push(...(await d.noGrad(() => model.features(xi)).toArray()));
      }
      expectClose(await logits.toArray(), one, { atol: 1e-5, rtol: 1e-5, what: 'chunked logits' });
      expectClose(await features.toArray(), oneFeatures, { atol: 1e-5, rtol: 1e-5, what: 'chunked features' });
      model.dispose();
    } finally {
      d.destroy();
    }
  });

  it('half(): f16 inference gives f32 logits close to the f32 path (max diff < 2e-2 of the logit scale, argmax agreement >= 99%)', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 5, precision: 'f16' });
    expect(model.layers[1]!.inferencePrecision).toBe('f16');
    const N = 100;
    const x = d.tensor(new Rng(6).normals(N * 48 * 48), [N, 1, 48, 48]);
    model.train(); // training runs in f32 whatever the inference precision
    for (let i = 0; i < 2; i++) {
      const y = d.noGrad(() => model.forward(x)); // moves the running statistics away from 0/1
      expect(y.dtype).toBe('f32');
      y.dispose();
    }
    model.eval();
    const logits = d.noGrad(() => model.forward(x));
    expect(logits.dtype).toBe('f32');
    const f16 = await logits.toArray();
    const features = d.noGrad(() => model.features(x));
    expect([features.dtype, ...features.shape]).toEqual(['f32', N, 32]);
    expect(model.float()).toBe(model);
    const f32 = await d.noGrad(() => model.forward(x)).toArray();
    expect(model.half()).toBe(model);
    expect(Array.from(await d.noGrad(() => model.forward(x)).toArray())).toEqual(Array.from(f16));
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < f32.length; i++) {
      scale = Math.max(scale, Math.abs(f32[i]!));
      diff = Math.max(diff, Math.abs(f32[i]! - f16[i]!));
    }
    expect(diff).toBeLessThan(2e-2 * scale);
    expect(diff).toBeGreaterThan(0); // it did run in f16
    const argmax = (a: Float32Array, n: number): number => a.subarray(n * 7, n * 7 + 7).reduce((k, v, j, r) => (v > r[k]! ? j : k), 0);
    let agree = 0;
    for (let n = 0; n < N; n++) if (argmax(f32, n) === argmax(f16, n)) agree++;
    expect(agree / N).toBeGreaterThanOrEqual(0.99);
    model.dispose();
  }, 900_000); // cold: a shader compile per f16 kernel variant, minutes on a software adapter

  it('half() is a clear error where the adapter lacks shader-f16', async () => {
    const d = await createDevice({ disableFeatures: ['shader-f16'] });
    try {
      expect(d.info.features).not.toContain('shader-f16');
      const model = ferResNet18(d, { width: 4 });
      expect(() => model.half()).toThrow(
        /FerResNet18\.half\(\): f16 needs the WebGPU feature 'shader-f16', which this adapter .* does not offer/,
      );
      expect(() => ferResNet18(d, { width: 4, precision: 'f16' })).toThrow(/shader-f16/);
      expect(() => d.tensor([1, 2], [2], { dtype: 'f16' })).toThrow(/device\.tensor: f16 needs the WebGPU feature 'shader-f16'/);
      expect(model.inferencePrecision).toBe('f32');
      model.dispose();
    } finally {
      d.destroy();
    }
  });
});
