/**
 * Issue 14 item 10: a checkpoint that does not fit its model is refused at load, naming the file:
 * class names whose count differs from the model's outputs, and weights that are not finite.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { loadModel, saveModel } from '../../src/train/checkpoint.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { InputError } from '../../src/errors.js';
import { useDevice } from '../helpers.js';

const root = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-load-'));
const good = path.join(dir, 'good.safetensors');

/** A copy of the good checkpoint with its content edited. */
function spoiled(name: string, edit: (c: ReturnType<typeof readSafetensors>) => void): string {
  const c = readSafetensors(good);
  edit(c);
  const file = path.join(dir, name);
  writeSafetensors(file, c.tensors, c.metadata);
  return file;
}

function loadError(file: string, device: Parameters<typeof loadModel>[0]): Error {
  try {
    loadModel(device, file).model.dispose();
  } catch (e) {
    return e as Error;
  }
  throw new Error(`${file} loaded`);
}

describe('loadModel refuses a checkpoint that does not fit its model', () => {
  const device = useDevice();
  beforeAll(async () => {
    const m = ferResNet18(device(), { width: 4, seed: 1 });
    await saveModel(good, m);
    m.dispose();
  });

  it('class names fewer than the outputs', () => {
    const file = spoiled('two-classes.safetensors', (c) => (c.metadata['fer-gpu.classes'] = 'a,b'));
    const e = loadError(file, device());
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(
      `${file}: metadata "fer-gpu.classes" names 2 classes (a, b), but the model has 7 outputs ('fc.weight' is [7, 32])`,
    );
  });

  it('no class names and not 7 outputs', () => {
    const file = spoiled('three-outputs.safetensors', (c) => {
      delete c.metadata['fer-gpu.classes'];
      const w = c.tensors['fc.weight']!;
      c.tensors['fc.weight'] = { dtype: 'F32', shape: [3, 32], data: (w.data as Float32Array).slice(0, 96) };
      c.tensors['fc.bias'] = { dtype: 'F32', shape: [3], data: new Float32Array(3) };
    });
    expect(loadError(file, device()).message).toMatch(
      /three-outputs\.safetensors: the model has 3 outputs but no "fer-gpu\.classes" metadata naming them/,
    );
  });

  it('NaN or infinite weights', () => {
    const file = spoiled('nan.safetensors', (c) => {
      (c.tensors['layer2.0.bn1.running_var']!.data as Float32Array)[3] = NaN;
      (c.tensors['fc.weight']!.data as Float32Array).fill(Infinity, 0, 5);
    });
    const e = loadError(file, device());
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(
      `${file}: 'fc.weight' has 5 NaN or infinite values (and 1 more tensor: layer2.0.bn1.running_var); the weights are unusable`,
    );
  });

  it('fer-gpu predict exits 1 naming the file, instead of a confident label', () => {
    const file = spoiled('nan2.safetensors', (c) => (c.tensors['fc.bias']!.data as Float32Array).fill(NaN));
    const png = path.join(root, 'test/data/fixtures/gray-30x20.png');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'predict', '--weights', file, png], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
    });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}: 'fc.bias' has 7 NaN or infinite values`);
  });

  it('saveModel refuses class names that do not match the outputs', async () => {
    const m = ferResNet18(device(), { width: 4, numClasses: 3 });
    await expect(saveModel(path.join(dir, 'x.safetensors'), m)).rejects.toThrow(/the model has 3 outputs but 7 class names/);
    await saveModel(path.join(dir, 'three.safetensors'), m, { classes: ['a', 'b', 'c'] });
    const loaded = loadModel(device(), path.join(dir, 'three.safetensors'));
    expect(loaded.info.classes).toEqual(['a', 'b', 'c']);
    loaded.model.dispose();
    m.dispose();
  });
});
