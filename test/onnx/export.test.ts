/**
 * ONNX export, checked by running the exported file in onnxruntime-node (CPU) against fer-gpu's
 * own predict(): the shipped model on synthetic faces and on 32 real FER2013 test images, at
 * batch sizes 1, 17 and 32; graph structure and metadata; opsets; calibration; bad models.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, decodeOnnx, IR_VERSION_OF_OPSET } from '../../src/onnx/index.js';
import { ferResNet18, type FerResNet18 } from '../../src/nn/resnet.js';
import { Linear } from '../../src/nn/layers.js';
import { loadPretrained } from '../../src/train/pretrained.js';
import { predict } from '../../src/train/predict.js';
import { ferMetadata, parseFerMetadata, type FerCheckpointInfo } from '../../src/io/fer-metadata.js';
import { writeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { loadModel } from '../../src/train/checkpoint.js';
import { decodeImage } from '../../src/data/image.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { FER_CLASSES } from '../../src/classes.js';
import { schemaModule } from '../../scripts/onnx-schema.js';
import { useDevice } from '../helpers.js';
import { FER_DIR, HAVE_FOLDER } from '../data/helpers.js';

const root = path.resolve(__dirname, '../..');

/** Inputs as the exported graph wants them: (pixel / 255 - mean) / std, [n, 1, 48, 48]. */
function normalise(images: Uint8Array[], mean: number, std: number): Float32Array {
  const x = new Float32Array(images.length * FER_PIXELS);
  images.forEach((img, i) => img.forEach((p, j) => (x[i * FER_PIXELS + j] = (p / 255 - mean) / std)));
  return x;
}

/** Runs the session over `images` in batches of `batch`; returns the named output's rows concatenated. */
async function runOrt(
  session: ort.InferenceSession,
  images: Uint8Array[],
  info: { mean: number; std: number },
  batch: number,
  output = 'probabilities',
  classes = 7,
): Promise<Float32Array> {
  const rows: number[] = [];
  for (let start = 0; start < images.length; start += batch) {
    const chunk = images.slice(start, start + batch);
    const out = await session.run({ input: new ort.Tensor('float32', normalise(chunk, info.mean, info.std), [chunk.length, 1, 48, 48]) });
    const t = out[output]!;
    expect(t.dims).toEqual([chunk.length, classes]);
    rows.push(...(t.data as Float32Array));
  }
  return Float32Array.from(rows);
}

/** predict()'s probabilities, rows of classes in order. */
async function predicted(model: FerResNet18, info: FerCheckpointInfo, inputs: Array<string | Uint8Array>): Promise<Float32Array> {
  const preds = await predict(model, inputs, { mean: info.mean, std: info.std, classNames: info.classes, calibration: info.calibration });
  return Float32Array.from(preds.flatMap((p) => info.classes.map((c) => p.probabilities[c]!)));
}

/** The largest element-wise |a − b|. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

const faces = syntheticFaces({ perClass: 5, seed: 19 });
const synthetic = Array.from({ length: 32 }, (_, i) => faces.pixels.slice(i * FER_PIXELS, (i + 1) * FER_PIXELS));

/** 32 real FER2013 test faces: the first files of each class folder in turn. */
function realFiles(): string[] {
  const perClass = FER_CLASSES.map((c) =>
    fs
      .readdirSync(path.join(FER_DIR, 'test', c))
      .sort()
      .map((f) => path.join(FER_DIR, 'test', c, f)),
  );
  const files: string[] = [];
  for (let k = 0; files.length < 32; k++) for (const list of perClass) if (files.length < 32 && list[k]) files.push(list[k]!);
  return files;
}

describe('exportOnnx: the shipped model in onnxruntime-node', () => {
  const device = useDevice();
  let model: FerResNet18;
  let info: FerCheckpointInfo & { width: number };
  let bytes: Uint8Array;
  let session: ort.InferenceSession;
  let expected: Float32Array | undefined;
  beforeAll(async () => {
    ({ model, info } = loadPretrained(device()));
    bytes = await exportOnnx(model, { ...info, withSoftmax: true });
    session = await ort.InferenceSession.create(bytes);
  });

  it('has input [N,1,48,48] and outputs logits and probabilities', () => {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['logits', 'probabilities']);
  });

  it.each([1, 17, 32])('synthetic faces at batch %i: probabilities equal predict() within 1e-4', async (batch) => {
    expected ??= await predicted(model, info, synthetic);
    const diff = maxDiff(await runOrt(session, synthetic, info, batch), expected);
    console.log(`synthetic faces, batch ${batch}: max |onnxruntime - predict()| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });

  it.skipIf(!HAVE_FOLDER)(
    `32 real FER2013 test images at batches 1, 17 and 32: probabilities equal predict() within 1e-4${HAVE_FOLDER ? '' : ` (skipped: ${FER_DIR} is absent)`}`,
    async () => {
      const files = realFiles();
      const images = files.map((f) => decodeImage(fs.readFileSync(f), f));
      const byPredict = await predicted(model, info, files);
      for (const batch of [1, 17, 32]) {
        const diff = maxDiff(await runOrt(session, images, info, batch), byPredict);
        console.log(`real FER2013, batch ${batch}: max |onnxruntime - predict()| = ${diff.toExponential(2)}`);
        expect(diff).toBeLessThan(1e-4);
      }
    },
  );

  it('folds every batch norm into its convolution and records the checkpoint metadata', async () => {
    const m = (await decodeOnnx(bytes)) as {
      ir_version: number;
      opset_import: Array<{ version: number }>;
      producer_name: string;
      graph: { node: Array<{ op_type: string }>; initializer: unknown[] };
      metadata_props: Array<{ key: string; value: string }>;
    };
    expect(m.ir_version).toBe(8);
    expect(m.opset_import.map((o) => o.version)).toEqual([17]);
    expect(m.producer_name).toBe('fer-gpu');
    const ops = m.graph.node.map((n) => n.op_type);
    expect(ops).not.toContain('BatchNormalization');
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(20); // stem + 16 block convs + 3 downsamples
    expect(m.graph.initializer).toHaveLength(20 * 2 + 2);
    const meta = Object.fromEntries(m.metadata_props.map((p) => [p.key, p.value]));
    expect(parseFerMetadata(meta)).toEqual(info);
  });

  it('leaves the model as it was, and writes the same bytes every time', async () => {
    const before = await model.stateDict();
    model.train();
    expect(await exportOnnx(model, { ...info, withSoftmax: true })).toEqual(bytes);
    expect(model.training).toBe(true);
    expect(await model.stateDict()).toEqual(before);
    model.eval();
  });
});

describe('exportOnnx options and errors', () => {
  const device = useDevice();
  let tiny: FerResNet18;
  const inputs = synthetic.slice(0, 3);
  const norm = { mean: 0.5, std: 0.5 };
  beforeAll(async () => {
    tiny = ferResNet18(device(), { width: 2, seed: 5 });
    // non-trivial running statistics, so the fold matters
    const state = await tiny.stateDict();
    for (const [k, e] of Object.entries(state)) {
      if (k.endsWith('running_mean')) (e.data as Float32Array).forEach((_, i, a) => (a[i] = 0.1 * Math.sin(i + k.length)));
      if (k.endsWith('running_var')) (e.data as Float32Array).forEach((_, i, a) => (a[i] = 0.5 + 0.4 * Math.cos(i)));
    }
    tiny.loadStateDict(state);
  });

  it('writes opsets 13 to 21 with their IR versions, all giving the same logits', async () => {
    let reference: Float32Array | undefined;
    for (const opset of [13, 17, 21]) {
      const bytes = await exportOnnx(tiny, { opset });
      expect(((await decodeOnnx(bytes)) as { ir_version: number }).ir_version).toBe(IR_VERSION_OF_OPSET[opset]);
      const logits = await runOrt(await ort.InferenceSession.create(bytes), inputs, norm, 3, 'logits');
      reference ??= logits;
      expect(Array.from(logits)).toEqual(Array.from(reference));
    }
    await expect(exportOnnx(tiny, { opset: 12 })).rejects.toThrow(/opset must be an integer from 13 to 21, got 12/);
  });

  it('dynamicBatch: false fixes the batch at 1', async () => {
    const session = await ort.InferenceSession.create(await exportOnnx(tiny, { dynamicBatch: false }));
    expect((await runOrt(session, inputs.slice(0, 1), norm, 1, 'logits')).length).toBe(7);
    await expect(runOrt(session, inputs.slice(0, 2), norm, 2, 'logits')).rejects.toThrow(/dimension|shape/i);
  });

  it("carries a checkpoint's calibration ({ ...info }): probabilities = softmax(logits / T + bias) = predict()'s, recorded in the metadata", async () => {
    const calibration = { temperature: 1.7, logitBias: [0.3, -0.2, 0, 0.1, -0.4, 0.25, 0] };
    const calibrationInfo = { fittedOn: { split: 'PublicTest', images: 3589 } };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-onnx-')), 'calibrated.safetensors');
    writeSafetensors(
      file,
      (await tiny.stateDict()) as Record<string, SafetensorsTensor>,
      ferMetadata({ width: 2, calibration, calibrationInfo }),
    );
    const { model, info } = loadModel(device(), file);
    let bytes: Uint8Array;
    try {
      bytes = await exportOnnx(model, { ...info, withSoftmax: true });
    } finally {
      model.dispose();
    }
    const session = await ort.InferenceSession.create(bytes);
    const logits = await runOrt(session, inputs, norm, 3, 'logits');
    const probs = await runOrt(session, inputs, norm, 3, 'probabilities');
    for (let i = 0; i < inputs.length; i++) {
      const z = Array.from({ length: 7 }, (_, j) => logits[i * 7 + j]! / calibration.temperature + calibration.logitBias[j]!);
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, j) => expect(probs[i * 7 + j]).toBeCloseTo(v / sum, 6));
    }
    // predict() with the checkpoint applies its calibration too
    const byPredict = await predict(device(), inputs, { weights: file });
    expect(maxDiff(probs, Float32Array.from(byPredict.flatMap((p) => FER_CLASSES.map((c) => p.probabilities[c]!))))).toBeLessThan(1e-5);
    const m = (await decodeOnnx(bytes)) as {
      graph: { node: Array<{ op_type: string }> };
      metadata_props: Array<{ key: string; value: string }>;
    };
    expect(m.graph.node.slice(-3).map((n) => n.op_type)).toEqual(['Div', 'Add', 'Softmax']);
    expect(parseFerMetadata(Object.fromEntries(m.metadata_props.map((p) => [p.key, p.value])))).toMatchObject({
      calibration,
      calibrationInfo,
    });
    // a bias alone: no division by a temperature of 1
    const biasOnly = (await decodeOnnx(
      await exportOnnx(tiny, { calibration: { temperature: 1, logitBias: calibration.logitBias }, withSoftmax: true }),
    )) as typeof m;
    expect(biasOnly.graph.node.slice(-2).map((n) => n.op_type)).toEqual(['Add', 'Softmax']);
  });

  it('refuses models it cannot export, naming what is wrong', async () => {
    await expect(exportOnnx(new Linear(device(), 4, 2))).rejects.toThrow(/cannot export Linear: only fer-resnet18/);
    const five = ferResNet18(device(), { width: 2, numClasses: 5 });
    await expect(exportOnnx(five)).rejects.toThrow(/the model has 5 outputs \(fc\.weight \[5, 16\]\) but 7 class names were given/);
    const classes = ['a', 'b', 'c', 'd', 'e'];
    await expect(exportOnnx(five, { classes, calibration: { temperature: 1, logitBias: [0, 0] } })).rejects.toThrow(
      /exportOnnx: calibration: logit bias has 2 entries, the model has 5 classes/,
    );
    await expect(exportOnnx(five, { classes, calibration: { temperature: -1 } })).rejects.toThrow(
      /exportOnnx: calibration: temperature must be a positive number/,
    );
    // a negative running variance makes the folded weights NaN
    const state = await five.stateDict();
    (state['layer2.0.bn1.running_var']!.data as Float32Array)[1] = -3;
    five.loadStateDict(state);
    await expect(exportOnnx(five, { classes })).rejects.toThrow(
      /layer2\.0\.conv1\.weight folded with its batch norm holds a non-finite value/,
    );
    five.dispose();
  });

  it('the schema is onnx.proto as vendored (scripts/onnx-schema.ts output is up to date)', () => {
    const proto = fs.readFileSync(path.join(root, 'src/onnx/onnx.proto'), 'utf8');
    expect(proto).toMatch(/SPDX-License-Identifier: Apache-2.0/);
    expect(fs.readFileSync(path.join(root, 'src/onnx/schema.ts'), 'utf8')).toBe(schemaModule(proto));
  });
});
