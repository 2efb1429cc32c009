/**
 * `fer-gpu calibrate` end to end on a tiny checkpoint and a synthetic fer2013.csv: the written
 * checkpoint carries the calibration, `eval` and `predict` apply it, `--no-calibration` ignores it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { saveModel } from '../../src/train/checkpoint.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS, FER_SPLITS } from '../../src/data/dataset.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { parseFerMetadata } from '../../src/io/fer-metadata.js';
import { useDevice } from '../helpers.js';
import { runCli } from '../run-cli.js';

const root = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-cli-calibrate-'));
const weights = path.join(dir, 'tiny.safetensors');
const out = path.join(dir, 'calibrated.safetensors');
const csv = path.join(dir, 'faces.csv');

const run = (args: string[]) => runCli(args);

describe('fer-gpu calibrate', () => {
  const device = useDevice();
  beforeAll(async () => {
    const m = ferResNet18(device(), { width: 4, seed: 5 });
    await saveModel(weights, m);
    m.dispose();
    const faces = syntheticFaces({ perClass: 20, seed: 9 });
    const rows = ['emotion,pixels,Usage'];
    for (let i = 0; i < faces.length; i++) {
      rows.push(
        `${faces.labels[i]},${Array.from(faces.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS)).join(' ')},${FER_SPLITS[faces.splits[i]!]}`,
      );
    }
    fs.writeFileSync(csv, rows.join('\n') + '\n');
  });

  it('fits on PublicTest, writes the calibration into a copy of the checkpoint, and eval/predict apply it', () => {
    const r = run(['calibrate', '--weights', weights, '--data', csv, '--logit-bias', '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const fit = JSON.parse(r.out) as {
      split: string;
      images: number;
      calibration: { temperature: number; logitBias: number[] };
      before: { nll: number };
      temperature: { nll: number };
    };
    expect(fit.split).toBe('PublicTest');
    expect(fit.images).toBe(14);
    expect(fit.temperature.nll).toBeLessThanOrEqual(fit.before.nll);
    const original = readSafetensors(weights);
    const written = readSafetensors(out);
    expect(Object.keys(written.tensors)).toEqual(Object.keys(original.tensors));
    for (const [k, t] of Object.entries(original.tensors)) expect(written.tensors[k]!.data, k).toEqual(t.data);
    expect(parseFerMetadata(written.metadata).calibration).toEqual(fit.calibration);
    expect(JSON.parse(written.metadata['fer-gpu.calibration']!).fittedOn).toMatchObject({ split: 'PublicTest', images: 14 });

    const withCal = run(['eval', '--weights', out, '--data', csv, '--split', 'PrivateTest', '--json']);
    expect(withCal.code, withCal.err).toBe(0);
    expect(withCal.err).toMatch(/applying .*calibrated\.safetensors's calibration \(temperature [0-9.]+, logit bias \[/);
    const without = run(['eval', '--weights', out, '--data', csv, '--split', 'PrivateTest', '--json', '--no-calibration']);
    const plain = run(['eval', '--weights', weights, '--data', csv, '--split', 'PrivateTest', '--json']);
    const logLoss = (s: string) => (JSON.parse(s) as { 'probability metrics': { logLoss: number } })['probability metrics'].logLoss;
    expect(logLoss(without.out)).toBe(logLoss(plain.out));
    expect(logLoss(plain.out)).toBeTypeOf('number');
    expect(logLoss(withCal.out)).not.toBe(logLoss(plain.out));
    const predicted = run(['predict', '--json', '--weights', out, path.join(root, 'test/data/fixtures/gray-30x20.png')]);
    const predictedRaw = run([
      'predict',
      '--json',
      '--weights',
      out,
      '--no-calibration',
      path.join(root, 'test/data/fixtures/gray-30x20.png'),
    ]);
    expect(predicted.code, predicted.err).toBe(0);
    const probs = (s: string) => (JSON.parse(s) as { probabilities: Record<string, number> }).probabilities;
    expect(probs(predicted.out)).not.toEqual(probs(predictedRaw.out));
  });

  it('refuses a test split, an --out that is the input or not .safetensors, and a missing --out', () => {
    const r = run(['calibrate', '--weights', weights, '--data', csv, '--split', 'PrivateTest', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not PrivateTest, where results are reported/);
    const over = run(['calibrate', '--weights', weights, '--data', csv, '--out', weights]);
    expect(over.code).toBe(1);
    expect(over.err).toMatch(/^fer-gpu: --out .*tiny\.safetensors: is the input .*tiny\.safetensors; write the output elsewhere/);
    expect(run(['calibrate', '--weights', weights, '--data', csv, '--out', path.join(dir, 'c.json')]).err).toMatch(
      /unsupported file type '\.json' \(expected \.safetensors\)/,
    );
    expect(run(['calibrate', '--weights', weights, '--data', csv]).code).toBe(2); // bad usage
  });
});
