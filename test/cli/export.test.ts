/**
 * `fer-gpu export` as a user runs it (through tsx), its errors (no file left behind, an old file
 * kept), and the README's onnxruntime-node example run as written.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { loadPretrained, WEIGHTS_ENV } from '../../src/train/pretrained.js';
import { predict } from '../../src/train/predict.js';
import { writeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { ferMetadata } from '../../src/io/fer-metadata.js';
import { exportOnnx } from '../../src/onnx/index.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { useDevice } from '../helpers.js';
import { runCli } from '../run-cli.js';

const root = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-cli-export-'));

const run = (args: string[]) => runCli(['export', ...args], { [WEIGHTS_ENV]: '' });

describe('fer-gpu export', () => {
  const device = useDevice();

  it('exports the shipped model by default; the file runs in onnxruntime', async () => {
    const file = path.join(dir, 'fer.onnx');
    const r = run(['--onnx', file, '--with-softmax']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /^wrote .*fer\.onnx \(\d+ KiB\): fer-resnet18\(\d+\) from .*models\/fer-resnet18\.safetensors, opset 17, 'input' \[N,1,48,48\] -> 'logits' \[N,7\], 'probabilities' \[N,7\]/,
    );
    const session = await ort.InferenceSession.create(file);
    expect(session.outputNames).toEqual(['logits', 'probabilities']);
    expect(fs.readdirSync(dir)).toEqual(['fer.onnx']); // no temporary file left
  });

  it('a path that cannot be written is exit 1 with the reason, before any work, and leaves nothing', () => {
    const folder = path.join(dir, 'a-folder');
    fs.mkdirSync(folder);
    const before = fs.readdirSync(dir).sort();
    const isFolder = run(['--onnx', folder]);
    expect(isFolder.code).toBe(1);
    expect(isFolder.err).toMatch(/--onnx .*a-folder: unsupported file type '\(none\)' \(expected \.onnx\)/);
    const named = path.join(dir, 'b.onnx');
    fs.mkdirSync(named);
    expect(run(['--onnx', named]).err).toMatch(/--onnx .*b\.onnx: is a folder; give a file name/);
    expect(run(['--onnx', '/proc/fer.onnx']).err).toMatch(/--onnx \/proc\/fer\.onnx: cannot write there/);
    expect(fs.readdirSync(dir).sort()).toEqual([...before, 'b.onnx'].sort());
    expect(fs.readdirSync(folder)).toEqual([]);
    // a folder that does not exist yet is made, as for every command's outputs
    expect(run(['--onnx', path.join(dir, 'new/folder/m.onnx')]).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'new/folder/m.onnx'))).toBe(true);
    expect(run(['--onnx', path.join(dir, 'x.onnx'), '--opset', '12']).err).toMatch(/--opset must be an integer from 13 to 21, got "12"/);
  });

  it('a checkpoint with wrong shapes is exit 1 naming the tensor, and an existing file is kept', async () => {
    const model = ferResNet18(device(), { width: 2 });
    const state = (await model.stateDict()) as Record<string, SafetensorsTensor>;
    model.dispose();
    state['fc.weight'] = { dtype: 'F32', shape: [7, 8], data: new Float32Array(56) };
    const bad = path.join(dir, 'bad.safetensors');
    writeSafetensors(bad, state, ferMetadata({ width: 2 }));
    const out = path.join(dir, 'kept.onnx');
    fs.writeFileSync(out, 'the previous export');
    const r = run(['--weights', bad, '--onnx', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.safetensors: 'fc\.weight' has shape \[7, 8\], fer-resnet18\(2\) needs \[7, 16\]/);
    expect(fs.readFileSync(out, 'utf8')).toBe('the previous export');
  });
});

describe("README's onnxruntime-node example", () => {
  const device = useDevice();
  const app = path.join(dir, 'app');
  let example = '';
  beforeAll(() => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Serving at scale'));
    example = /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    fs.mkdirSync(app);
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  });

  it('runs as written and gives predict()’s answer', async () => {
    expect(example.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(10);
    const { model, info } = loadPretrained(device());
    // the example hard-codes the shipped model's normalisation and classes
    expect([info.mean, info.std]).toEqual([0.5, 0.5]);
    expect(example).toContain(JSON.stringify(info.classes).replaceAll('"', "'").replaceAll(',', ', '));
    fs.writeFileSync(path.join(app, 'fer.onnx'), await exportOnnx(model, { ...info, withSoftmax: true }));
    const face = syntheticFaces({ perClass: 1, seed: 4 }).pixels.slice(3 * FER_PIXELS, 4 * FER_PIXELS);
    fs.writeFileSync(path.join(app, 'face.gray'), face);
    fs.writeFileSync(path.join(app, 'example.mjs'), example);
    const r = spawnSync(process.execPath, ['example.mjs'], { cwd: app, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [label, ...probs] = r.stdout.trim().split(/\s+/);
    const [p] = await predict(model, [face], { mean: info.mean, std: info.std, classNames: info.classes });
    model.dispose();
    expect(label).toBe(p!.label);
    probs.forEach((v, j) => expect(Math.abs(Number(v) - p!.probabilities[info.classes[j]!]!)).toBeLessThanOrEqual(5e-4 + 1e-6));
  });
});
