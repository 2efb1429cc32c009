/** The default (shipped) weights: where they are looked for, $FER_GPU_WEIGHTS, predict() without a model. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { loadModel, saveModel } from '../../src/train/checkpoint.js';
import { evaluate } from '../../src/train/evaluate.js';
import { predict } from '../../src/train/predict.js';
import { loadFer2013 } from '../../src/data/auto.js';
import {
  DEFAULT_WEIGHTS_FILE,
  WEIGHTS_ENV,
  defaultWeightsPath,
  loadPretrained,
  packageRoot,
  shippedWeightsPath,
} from '../../src/train/pretrained.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { FER_CLASSES } from '../../src/classes.js';
import { InputError } from '../../src/errors.js';
import { useDevice } from '../helpers.js';
import { SHARED } from '../data/helpers.js';

const root = path.resolve(__dirname, '../..');
const SHIPPED = path.join(root, DEFAULT_WEIGHTS_FILE);
const HAVE_SHIPPED = fs.existsSync(SHIPPED);
if (!HAVE_SHIPPED)
  console.warn(`skipping the shipped-model test: ${DEFAULT_WEIGHTS_FILE} is absent (copy a trained best.safetensors there)`);

const faces = syntheticFaces({ perClass: 2, seed: 11 });
const images = Array.from({ length: 5 }, (_, i) => faces.pixels.slice(i * FER_PIXELS, (i + 1) * FER_PIXELS));

describe('default weights', () => {
  const device = useDevice();
  const saved = process.env[WEIGHTS_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[WEIGHTS_ENV];
    else process.env[WEIGHTS_ENV] = saved;
  });
  let tiny = '';
  beforeAll(async () => {
    // A tiny checkpoint with a non-default normalisation, which predict() must take from the file.
    tiny = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-pretrained-')), 'tiny.safetensors');
    const m = ferResNet18(device(), { width: 4, seed: 3 });
    await saveModel(tiny, m, { mean: 0.4, std: 0.3 });
    m.dispose();
  });

  it('are looked for in the package folder, and packed', () => {
    expect(packageRoot()).toBe(root);
    expect(shippedWeightsPath()).toBe(SHIPPED);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain(DEFAULT_WEIGHTS_FILE);
  });

  it(`$${WEIGHTS_ENV} replaces them; a missing file is a clear InputError`, () => {
    process.env[WEIGHTS_ENV] = tiny;
    expect(defaultWeightsPath()).toBe(tiny);
    expect(loadPretrained(device()).info.width).toBe(4);
    process.env[WEIGHTS_ENV] = path.join(os.tmpdir(), 'no-such-weights.safetensors');
    expect(() => defaultWeightsPath()).toThrow(InputError);
    expect(() => loadPretrained(device())).toThrow(/FER_GPU_WEIGHTS=.*no-such-weights\.safetensors: no such file/);
  });

  it.skipIf(HAVE_SHIPPED)('without the shipped file, say so and how to pass weights', () => {
    delete process.env[WEIGHTS_ENV];
    expect(() => defaultWeightsPath()).toThrow(InputError);
    expect(() => defaultWeightsPath()).toThrow(/models\/fer-resnet18\.safetensors is missing.*--weights.*FER_GPU_WEIGHTS/);
    // An explicit file never needs the default.
    expect(loadPretrained(device(), tiny).info.mean).toBeCloseTo(0.4, 6);
  });

  it('predict() without a model uses them, with the normalisation and classes of their checkpoint', async () => {
    const d = device();
    const { model, info } = loadModel(d, tiny);
    const expected = await predict(d, model, images, { mean: info.mean, std: info.std, classNames: info.classes });
    model.dispose();
    // The same model with the default normalisation (0.5, 0.5) predicts differently: the test can tell.
    const { model: m2 } = loadModel(d, tiny);
    const plain = await predict(d, m2, images);
    m2.dispose();
    expect(plain.map((p) => p.probabilities)).not.toEqual(expected.map((p) => p.probabilities));

    process.env[WEIGHTS_ENV] = tiny;
    const viaDefault = await predict(d, images);
    delete process.env[WEIGHTS_ENV];
    const viaOption = await predict(d, images, { weights: tiny });
    const ownDevice = await predict(images, { weights: tiny }); // no device: predict makes one
    for (const got of [viaDefault, viaOption, ownDevice]) {
      expect(got.map((p) => p.label)).toEqual(expected.map((p) => p.label));
      got.forEach((p, i) => {
        for (const c of FER_CLASSES) expect(p.probabilities[c]).toBeCloseTo(expected[i]!.probabilities[c]!, 5);
      });
    }
  });
});

describe.skipIf(!HAVE_SHIPPED)('the shipped model', () => {
  const device = useDevice();
  it(`${DEFAULT_WEIGHTS_FILE} loads by default and predicts`, async () => {
    const saved = process.env[WEIGHTS_ENV];
    delete process.env[WEIGHTS_ENV];
    try {
      expect(fs.statSync(SHIPPED).size).toBeLessThan(20e6);
      const { model, info } = loadPretrained(device());
      expect(info.classes).toEqual(FER_CLASSES);
      model.dispose();
      const preds = await predict(device(), images);
      expect(preds).toHaveLength(images.length);
      for (const p of preds) {
        expect(FER_CLASSES).toContain(p.label);
        expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
    } finally {
      if (saved !== undefined) process.env[WEIGHTS_ENV] = saved;
    }
  });

  // The issue's bar for the shipped model: at least 60% on FER2013's PrivateTest (single crop).
  const fer2013 = path.join(SHARED, 'fer2013');
  it.skipIf(!fs.existsSync(fer2013))(
    'reaches 60% on the real FER2013 PrivateTest',
    async () => {
      const data = await loadFer2013(fer2013);
      const { model, info } = loadPretrained(device());
      try {
        const report = await evaluate(model, data, { split: 'PrivateTest', mean: info.mean, std: info.std });
        expect(report.macroAvg.support).toBe(3589);
        expect(report.accuracy).toBeGreaterThanOrEqual(0.6);
      } finally {
        model.dispose();
      }
    },
    300_000,
  );
});
