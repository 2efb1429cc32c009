import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random.js';
import { InputError } from '../../src/errors.js';
import {
  calibrateLogits,
  calibrationScores,
  checkCalibration,
  fitCalibrationOnLogits,
  fitLogitBias,
  fitTemperature,
  logProbabilities,
  softmaxRows,
} from '../../src/train/calibration.js';
import { fitCalibration, writeCalibratedCheckpoint } from '../../src/train/calibrate.js';
import { loadModel, writeCheckpoint } from '../../src/train/checkpoint.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { predictDataset, evaluate } from '../../src/train/evaluate.js';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { expectClose, useDevice } from '../helpers.js';

const K = 7;

/** n samples whose labels are drawn from softmax(z); returns z scaled by `overconfidence`. */
function sampled(n: number, seed: number, overconfidence: number, shift: number[] = []) {
  const rng = new Rng(seed);
  const z = rng.normals(n * K, 0, 1.5);
  const p = softmaxRows(z, K);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let u = rng.next();
    let j = 0;
    while (j < K - 1 && (u -= p[r * K + j]!) > 0) j++;
    labels[r] = j;
  }
  const logits = Float32Array.from(z, (v, i) => v * overconfidence + (shift[i % K] ?? 0));
  return { logits, labels };
}

/** Mean NLL of labels under softmax(logits / t), in f64. */
function nll(logits: Float32Array, labels: Int32Array, t: number): number {
  const p = softmaxRows(calibrateLogits(logits, K, { temperature: t }), K);
  let s = 0;
  for (let r = 0; r < labels.length; r++) s -= Math.log(p[r * K + labels[r]!]!);
  return s / labels.length;
}

describe('temperature scaling', () => {
  it('recovers the temperature of over-confident logits', () => {
    const { logits, labels } = sampled(20_000, 1, 3);
    expect(fitTemperature(logits, labels, K)).toBeCloseTo(3, 0);
    const under = sampled(20_000, 2, 0.5);
    expect(fitTemperature(under.logits, under.labels, K)).toBeCloseTo(0.5, 1);
  });

  it('finds the NLL minimum: no grid point is lower, and the NLL rises on both sides', () => {
    const { logits, labels } = sampled(2_000, 3, 2);
    const t = fitTemperature(logits, labels, K);
    const best = nll(logits, labels, t);
    for (let g = 0.5; g <= 5; g += 0.01) expect(nll(logits, labels, g)).toBeGreaterThanOrEqual(best - 1e-6);
    expect(nll(logits, labels, t * 1.01)).toBeGreaterThan(best);
    expect(nll(logits, labels, t / 1.01)).toBeGreaterThan(best);
  });

  it('is the same on log-probabilities (logits up to a per-row constant)', () => {
    const { logits, labels } = sampled(3_000, 4, 2);
    const logp = logProbabilities(softmaxRows(logits, K));
    expect(fitTemperature(logp, labels, K)).toBeCloseTo(fitTemperature(logits, labels, K), 4);
  });

  it('lowers NLL and ECE without changing the predictions', () => {
    const { logits, labels } = sampled(5_000, 5, 3);
    const fit = fitCalibrationOnLogits(logits, labels, K);
    expect(fit.temperature.nll).toBeLessThan(fit.before.nll);
    expect(fit.temperature.ece).toBeLessThan(fit.before.ece / 2);
    expect(fit.temperature.accuracy).toBe(fit.before.accuracy);
    expect(fit.calibration.logitBias).toBeUndefined();
  });

  it('rejects bad input', () => {
    expect(() => fitTemperature(new Float32Array(14), Int32Array.of(0), K)).toThrow(/14 logits for 1 labels of 7 classes/);
    expect(() => fitTemperature(new Float32Array(7), Int32Array.of(7), K)).toThrow(/label 7 of sample 0/);
    expect(() => fitTemperature(new Float32Array(0), new Int32Array(0), K)).toThrow(/no samples/);
  });
});

describe('per-class logit bias for macro F1', () => {
  it('lifts an under-predicted class and never lowers macro F1', () => {
    // class 1's logits pushed down by 2: rarely predicted, low recall
    const { logits, labels } = sampled(4_000, 6, 1, [0, -2, 0, 0, 0, 0, 0]);
    const bias = fitLogitBias(logits, labels, K);
    expect(bias).toHaveLength(K);
    expect(bias.reduce((s, b) => s + b, 0)).toBeCloseTo(0, 5);
    expect(bias[1]).toBeGreaterThan(Math.max(...bias.filter((_, j) => j !== 1)) + 1);
    const before = calibrationScores(logits, labels, K);
    const after = calibrationScores(logits, labels, K, { temperature: 1, logitBias: bias });
    expect(after.macroF1).toBeGreaterThan(before.macroF1 + 0.02);
    expect(after.macroRecall).toBeGreaterThan(before.macroRecall);
  });

  it('leaves well-balanced logits nearly alone', () => {
    const { logits, labels } = sampled(4_000, 7, 1);
    const bias = fitLogitBias(logits, labels, K);
    expect(Math.max(...bias.map(Math.abs))).toBeLessThan(0.5);
  });
});

describe('applying a calibration', () => {
  it('calibrateLogits computes z / T + b; checkCalibration names the fault', () => {
    expectClose(calibrateLogits([2, 4, -2, 0], 2, { temperature: 2, logitBias: [0.5, -1] }), [1.5, 1, -0.5, -1]);
    expect(() => checkCalibration({ temperature: 0 }, 7, 'w.safetensors')).toThrow(
      /w\.safetensors: temperature must be a positive number, got 0/,
    );
    expect(() => checkCalibration({ temperature: 1, logitBias: [1, 2] }, 7)).toThrow(/logit bias has 2 entries, the model has 7 classes/);
    expect(() => checkCalibration({ temperature: 1, logitBias: [1, 2, NaN] }, 3)).toThrow(InputError);
  });

  const device = useDevice();

  it('predictDataset and evaluate apply it before the softmax (also per crop with TTA)', async () => {
    const d = device();
    const ds = syntheticFaces({ perClass: 30, seed: 3 });
    const model = ferResNet18(d, { width: 4, seed: 4 });
    const calibration = { temperature: 0.4, logitBias: [0.3, -0.2, 0.1, 0, 0.5, -0.4, -0.3] };
    const raw = await predictDataset(d, model, ds, { split: 'PublicTest' });
    const cal = await predictDataset(d, model, ds, { split: 'PublicTest', calibration });
    const expected = softmaxRows(calibrateLogits(logProbabilities(raw.probabilities), K, calibration), K);
    expectClose(cal.probabilities, expected, { atol: 2e-5, rtol: 1e-4, what: 'calibrated probabilities' });
    const report = await evaluate(model, ds, { split: 'PublicTest', calibration });
    expect(report.accuracy).toBeCloseTo(calibrationScores(logProbabilities(raw.probabilities), raw.labels, K, calibration).accuracy, 10);
    // TTA: softmax of each crop's calibrated logits, averaged; temperature 1 and no bias = uncalibrated
    const tta = await predictDataset(d, model, ds, { split: 'PublicTest', tta: true });
    const ttaOne = await predictDataset(d, model, ds, { split: 'PublicTest', tta: true, calibration: { temperature: 1 } });
    expectClose(ttaOne.probabilities, tta.probabilities, { atol: 1e-6, rtol: 1e-5 });
    await expect(predictDataset(d, model, ds, { calibration: { temperature: 1, logitBias: [1] } })).rejects.toThrow(
      /logit bias has 1 entries/,
    );
    model.dispose();
  });

  it('fitCalibration fits on PublicTest and refuses the test splits', async () => {
    const d = device();
    const ds = syntheticFaces({ perClass: 30, seed: 3 });
    const model = ferResNet18(d, { width: 4, seed: 4 });
    const fit = await fitCalibration(model, ds, { logitBias: true });
    expect(fit.split).toBe('PublicTest');
    expect(fit.images).toBe(ds.splits.filter((s) => s === 1).length);
    expect(fit.temperature.nll).toBeLessThanOrEqual(fit.before.nll + 1e-9);
    expect(fit.logitBias!.macroF1).toBeGreaterThanOrEqual(fit.temperature.macroF1);
    await expect(fitCalibration(model, ds, { split: 'PrivateTest' })).rejects.toThrow(/not PrivateTest, where results are reported/);
    model.dispose();
  });

  it('writeCalibratedCheckpoint of a training checkpoint writes a model file: its model, the calibration, no optimizer state', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 2, seed: 4 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-calibrate-'));
    const checkpoint = path.join(dir, 'checkpoint.safetensors');
    const state = await model.stateDict();
    const optimizer = { state: { 0: { step: 3, momentum_buffer: new Float32Array(state['conv1.weight']!.data.length) } }, paramGroups: [] };
    writeCheckpoint(checkpoint, { model: state, optimizer, state: { epoch: 1 } }, model.width);
    const scores = { nll: 1, ece: 0.1, accuracy: 0.5, macroRecall: 0.5, macroF1: 0.5 };
    const out = path.join(dir, 'calibrated.safetensors');
    writeCalibratedCheckpoint(checkpoint, out, {
      calibration: { temperature: 0.9 },
      images: 10,
      before: scores,
      temperature: scores,
      split: 'PublicTest',
    });
    const written = readSafetensors(out);
    expect(Object.keys(written.tensors).sort()).toEqual(Object.keys(state).sort());
    expect(
      Object.keys(written.metadata)
        .filter((k) => k.startsWith('fer-gpu.'))
        .sort(),
    ).toEqual(['arch', 'calibration', 'classes', 'mean', 'std', 'temperature', 'width'].map((k) => `fer-gpu.${k}`));
    const loaded = loadModel(d, out);
    expect(loaded.info.calibration).toEqual({ temperature: 0.9 });
    expect(await loaded.model.stateDict()).toEqual(state);
    for (const m of [model, loaded.model]) m.dispose();
  });
});
