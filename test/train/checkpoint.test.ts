import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { loadModel, loadModelFromBytes, saveModel } from '../../src/train/checkpoint.js';
import { readSafetensors, writeSafetensors, type SafetensorsContent } from '../../src/io/safetensors.js';
import { InputError } from '../../src/errors.js';
import { useDevice } from '../helpers.js';

describe('loadModel on bad checkpoints', () => {
  const device = useDevice();

  /** Saves a width-4 model, lets `edit` spoil its content, writes it back; returns the file. */
  async function spoiled(edit: (c: SafetensorsContent) => void): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-ckpt-'));
    const file = path.join(dir, 'model.safetensors');
    const model = ferResNet18(device(), { width: 4 });
    await saveModel(file, model);
    model.dispose();
    const content = readSafetensors(file);
    edit(content);
    writeSafetensors(file, content.tensors, content.metadata);
    return file;
  }

  const cases: [string, (c: SafetensorsContent) => void, RegExp][] = [
    [
      'metadata width that conv1 contradicts (a huge model must not be built)',
      (c) => (c.metadata['fer-gpu.width'] = '400'),
      /metadata says width 400, but 'conv1\.weight' has 4/,
    ],
    ['a missing buffer', (c) => delete c.tensors['layer1.0.bn1.running_mean'], /missing keys: layer1\.0\.bn1\.running_mean/],
    [
      'an unexpected tensor',
      (c) => (c.tensors['extra.weight'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) }),
      /unexpected keys: extra\.weight/,
    ],
    [
      'a wrong shape',
      (c) => (c.tensors['layer2.0.conv1.weight'] = { dtype: 'F32', shape: [8, 4, 1, 1], data: new Float32Array(32) }),
      /'layer2\.0\.conv1\.weight' has shape \[8, 4, 1, 1\], the model expects \[8, 4, 3, 3\]/,
    ],
    [
      'a classifier that does not fit the width',
      (c) => (c.tensors['fc.weight'] = { dtype: 'F32', shape: [7, 5], data: new Float32Array(35) }),
      /'fc\.weight' has shape \[7, 5\], fer-resnet18\(4\) needs \[7, 32\]/,
    ],
    ['no last stage', (c) => delete c.tensors['layer4.1.conv2.weight'], /no 'layer4\.1\.conv2\.weight' tensor/],
    [
      'a parameter in the wrong dtype',
      (c) => (c.tensors['fc.bias'] = { dtype: 'I32', shape: [7], data: new Int32Array(7) }),
      /'fc\.bias' must be F32/,
    ],
  ];
  for (const [name, edit, message] of cases) {
    it(`${name}: an InputError naming the file`, async () => {
      const file = await spoiled(edit);
      const t0 = performance.now();
      const err = (() => {
        try {
          loadModel(device(), file).model.dispose();
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(message);
      expect(performance.now() - t0).toBeLessThan(10_000);
    });
  }

  it('the unspoiled file loads with its width', async () => {
    const file = await spoiled(() => {});
    const { model, info } = loadModel(device(), file);
    expect([model.width, info.width]).toEqual([4, 4]);
    model.dispose();
  });

  it("loadModelFromBytes loads the same model from the file's bytes, and names its source in errors", async () => {
    const file = await spoiled(() => {});
    const fromFile = loadModel(device(), file);
    const fromBytes = loadModelFromBytes(device(), new Uint8Array(fs.readFileSync(file)), 'fetched.safetensors');
    expect(fromBytes.info).toEqual(fromFile.info);
    expect(await fromBytes.model.stateDict()).toEqual(await fromFile.model.stateDict());
    fromFile.model.dispose();
    fromBytes.model.dispose();
    const broken = await spoiled((c) => delete c.tensors['fc.weight']);
    expect(() => loadModelFromBytes(device(), fs.readFileSync(broken), 'fetched.safetensors')).toThrow(
      /^fetched\.safetensors: no 'fc\.weight' tensor/,
    );
    expect(() => loadModelFromBytes(device(), new Uint8Array(3))).toThrow(/^<bytes>: not a valid safetensors file/);
  });
});
