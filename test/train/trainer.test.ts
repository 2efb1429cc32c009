import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { train } from '../../src/train/trainer.js';
import { evaluate } from '../../src/train/evaluate.js';
import { LrSchedule } from '../../src/train/schedules.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { subset, splitIndices } from '../../src/data/dataset.js';
import { useDevice } from '../helpers.js';

const quiet = Object.assign(() => {}, {});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fer-train-'));

describe('trainer', () => {
  const device = useDevice();

  it('overfits 64 images to ~100% training accuracy', async () => {
    const d = device();
    const all = syntheticFaces({ perClass: 20, seed: 5 });
    const ds = { ...subset(all, splitIndices(all, 'Training').slice(0, 64)) };
    const model = ferResNet18(d, { width: 4, seed: 1 });
    await train({
      device: d,
      model,
      trainSet: ds,
      epochs: 40,
      batchSize: 32,
      augment: false,
      optimizer: 'adamw',
      lr: 3e-3,
      weightDecay: 0,
      log: quiet,
      schedule: { kind: 'constant' },
    });
    const report = await evaluate(d, model, ds, { split: 'Training' });
    expect(report.accuracy).toBeGreaterThanOrEqual(0.95);
    model.dispose();
  }, 300_000); // ~70 s on a 2-core software adapter

  it('resume gives the same weights as an uninterrupted run', async () => {
    const d = device();
    const ds = syntheticFaces({ perClass: 12, seed: 6 });
    const opts = { device: d, trainSet: ds, batchSize: 16, log: quiet, seed: 9, restoreBestWeights: false };
    const a = ferResNet18(d, { width: 4, seed: 2 });
    const dirA = tmp();
    await train({ ...opts, model: a, epochs: 2, outDir: dirA });
    const b = ferResNet18(d, { width: 4, seed: 2 });
    const dirB = tmp();
    // interrupted after one epoch of a two-epoch run (the schedule depends on the epoch count)
    const stepsPerEpoch = Math.floor(splitIndices(ds, 'Training').length / 16);
    await train({ ...opts, model: b, epochs: 2, outDir: dirB, maxSteps: stepsPerEpoch });
    const c = ferResNet18(d, { width: 4, seed: 77 }); // different init: resume must overwrite it
    await train({ ...opts, model: c, epochs: 2, outDir: dirB, resume: true });
    const sa = await a.stateDict();
    const sc = await c.stateDict();
    for (const k of Object.keys(sa)) expect(Array.from(sc[k]!.data as Float32Array), k).toEqual(Array.from(sa[k]!.data as Float32Array));
    const log = fs
      .readFileSync(path.join(dirB, 'train-log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    for (const m of [a, b, c]) m.dispose();
  });

  it('resume continues a run stopped inside an epoch, with the same weights and log', async () => {
    const d = device();
    const ds = syntheticFaces({ perClass: 12, seed: 6 });
    const opts = { device: d, trainSet: ds, batchSize: 16, log: quiet, seed: 4, epochs: 2, restoreBestWeights: false };
    const a = ferResNet18(d, { width: 4, seed: 3 });
    await train({ ...opts, model: a, outDir: tmp() });
    const stepsPerEpoch = Math.floor(splitIndices(ds, 'Training').length / 16);
    expect(stepsPerEpoch).toBeGreaterThan(2);
    const dir = tmp();
    const b = ferResNet18(d, { width: 4, seed: 3 });
    const stopped = await train({ ...opts, model: b, outDir: dir, maxSteps: stepsPerEpoch + 2, checkpointEvery: 1 });
    expect(stopped.history.map((e) => e.epoch)).toEqual([1]); // the second epoch is unfinished: not logged
    const c = ferResNet18(d, { width: 4, seed: 78 });
    const resumed = await train({ ...opts, model: c, outDir: dir, resume: true });
    expect(resumed.history.map((e) => [e.epoch, e.steps])).toEqual([[2, stepsPerEpoch]]);
    const sa = await a.stateDict();
    const sc = await c.stateDict();
    for (const k of Object.keys(sa)) expect(Array.from(sc[k]!.data as Float32Array), k).toEqual(Array.from(sa[k]!.data as Float32Array));
    for (const m of [a, b, c]) m.dispose();
  });

  it('never selects on a test split', async () => {
    const d = device();
    const ds = syntheticFaces({ perClass: 4, seed: 1 });
    const model = ferResNet18(d, { width: 4 });
    await expect(train({ device: d, model, trainSet: ds, epochs: 1, valSplit: 'PrivateTest', log: quiet })).rejects.toThrow(/test split/);
    model.dispose();
  });
});

describe('learning-rate schedules (PyTorch formulas)', () => {
  it('step, cosine with warm-up, one-cycle, plateau', () => {
    const step = new LrSchedule({ kind: 'step', stepSize: 2, gamma: 0.5 }, 0.1, 10, 6);
    expect([0, 19, 20, 45].map((s) => step.lrAt(s))).toEqual([0.1, 0.1, 0.05, 0.025]);
    const cos = new LrSchedule({ kind: 'cosine', warmupEpochs: 1 }, 1, 10, 3);
    expect(cos.lrAt(0)).toBeCloseTo(0.1);
    expect(cos.lrAt(9)).toBeCloseTo(1);
    expect(cos.lrAt(20)).toBeCloseTo(0.5);
    const oc = new LrSchedule({ kind: 'one-cycle', maxLr: 1 }, 1, 10, 10);
    expect(oc.lrAt(0)).toBeCloseTo(1 / 25); // torch OneCycleLR: initial = max/div
    expect(oc.lrAt(29)).toBeCloseTo(1); // peak at pct_start * total - 1
    expect(oc.lrAt(99)).toBeCloseTo(1 / 25 / 1e4);
    const pl = new LrSchedule({ kind: 'plateau', patience: 1, factor: 0.5 }, 1, 10, 10);
    for (const m of [0.5, 0.5, 0.5]) pl.observe(m);
    expect(pl.lrAt(0)).toBe(0.5);
  });
});
