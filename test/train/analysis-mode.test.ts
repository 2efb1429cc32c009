/**
 * Analysis never runs in training mode and never changes a model: loaded models come back in eval
 * mode; evaluate, predict, predictDataset, runModel and driftReport run in eval mode, leave every
 * parameter and buffer bit-identical and give the model back in the mode they found, also when
 * calls overlap.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferResNet18, type FerResNet18 } from '../../src/nn/resnet.js';
import type { StateDict } from '../../src/nn/module.js';
import { evaluate, predictDataset } from '../../src/train/evaluate.js';
import { predict } from '../../src/train/predict.js';
import { loadModel, saveModel } from '../../src/train/checkpoint.js';
import { driftReport } from '../../src/drift/report.js';
import { runModel } from '../../src/drift/run-model.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { useDevice } from '../helpers.js';

function bytesOf(s: StateDict): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(s).map(([k, e]) => [k, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength)]));
}

describe('analysis runs in eval mode and leaves the model as it was', () => {
  const device = useDevice();
  const faces = syntheticFaces({ perClass: 6, seed: 31 });
  const images = Array.from({ length: 5 }, (_, i) => faces.pixels.slice(i * FER_PIXELS, (i + 1) * FER_PIXELS));

  /** A model whose running statistics are not the initial ones (so a training-mode pass would move them). */
  async function trainedLooking(seed: number): Promise<FerResNet18> {
    const d = device();
    const m = ferResNet18(d, { width: 4, seed });
    const s = await m.stateDict();
    for (const [k, e] of Object.entries(s)) {
      if (k.endsWith('running_mean') && e.data instanceof Float32Array) e.data.fill(0.25);
      if (k.endsWith('running_var') && e.data instanceof Float32Array) e.data.fill(2);
    }
    m.loadStateDict(s);
    return m;
  }

  it('loadModel returns a model in eval mode', async () => {
    const d = device();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-mode-')), 'm.safetensors');
    const m = ferResNet18(d, { width: 4 });
    expect(m.training).toBe(true); // a new model trains, as in PyTorch
    await saveModel(file, m);
    const loaded = loadModel(d, file).model;
    expect(loaded.training).toBe(false);
    expect(loaded.children().every((c) => !c.training)).toBe(true);
    m.dispose();
    loaded.dispose();
  });

  for (const mode of ['training', 'eval'] as const) {
    it(`evaluate, predict, predictDataset, runModel and driftReport: state dict bit-identical, mode restored (model in ${mode} mode)`, async () => {
      const d = device();
      const m = await trainedLooking(7);
      const evalProbs = await predict(m.eval(), images);
      m.train(mode === 'training');
      const before = bytesOf(await m.stateDict());
      await evaluate(m, faces);
      await predictDataset(d, m, faces, { split: 'Training' });
      await runModel(m, d, faces);
      await driftReport({ reference: faces, current: faces, model: m, device: d });
      expect(m.training).toBe(mode === 'training');
      expect(bytesOf(await m.stateDict())).toEqual(before);
      // and the answers are the eval-mode ones, whatever the mode found
      expect(await predict(m.eval(), images)).toEqual(evalProbs);
      m.dispose();
    });
  }

  it('overlapping predict calls on a model in training mode: all in eval mode, training mode restored afterwards', async () => {
    const d = device();
    const m = await trainedLooking(8);
    m.eval();
    const want = await predict(m, images);
    const wantDataset = await predictDataset(d, m, faces, { batchSize: 4 });
    m.train();
    const [a, b, c] = await Promise.all([predict(m, images), predictDataset(d, m, faces, { batchSize: 4 }), predict(m, images)]);
    expect(a).toEqual(want);
    expect(c).toEqual(want);
    expect(b.probabilities).toEqual(wantDataset.probabilities);
    expect(m.training).toBe(true);
    expect(m.children().every((x) => x.training)).toBe(true);
    m.dispose();
  });

  it('a module left in eval mode inside a training model (frozen BatchNorm) keeps its own mode', async () => {
    const m = await trainedLooking(9);
    m.train();
    m.bn1.eval();
    await predict(m, images);
    expect(m.training).toBe(true);
    expect(m.bn1.training).toBe(false);
    expect(m.layers[0]!.training).toBe(true);
    m.dispose();
  });
});
