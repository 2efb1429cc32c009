/**
 * Interop with PyTorch: files made by scripts/goldens/safetensors.py (torch + the reference
 * layout) must load here, and files written here must load into PyTorch's FerResNet18.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFerMetadata } from '../../src/io/fer-metadata.js';
import { encodeSafetensors, readSafetensors, writeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';

const goldens = path.resolve(__dirname, '../goldens');
const checkpoint = path.join(goldens, 'fer_resnet18_w4.safetensors');
const io = JSON.parse(fs.readFileSync(path.join(goldens, 'fer_resnet18_w4_io.json'), 'utf8')) as {
  state_dict: [string, number[], string][];
  eval: { logits: number[][] };
  train: { sgd: { lr: number; momentum: number; weight_decay: number } };
};

describe('PyTorch-made checkpoint (fer_resnet18_w4.safetensors)', () => {
  const { tensors, metadata } = readSafetensors(checkpoint);

  it('has every state-dict entry with the PyTorch names, shapes and dtypes', () => {
    expect(Object.keys(tensors).sort()).toEqual(io.state_dict.map(([name]) => name).sort());
    for (const [name, shape, dtype] of io.state_dict) {
      expect(tensors[name]!.shape, name).toEqual(shape);
      expect(tensors[name]!.dtype, name).toBe(dtype);
    }
    const spot: [string, number[], string][] = [
      ['conv1.weight', [4, 1, 3, 3], 'F32'],
      ['bn1.num_batches_tracked', [], 'I64'],
      ['layer1.0.conv1.weight', [4, 4, 3, 3], 'F32'],
      ['layer2.0.downsample.0.weight', [8, 4, 1, 1], 'F32'],
      ['layer2.0.downsample.1.running_var', [8], 'F32'],
      ['layer4.1.bn2.bias', [32], 'F32'],
      ['fc.weight', [7, 32], 'F32'],
      ['fc.bias', [7], 'F32'],
    ];
    for (const [name, shape, dtype] of spot) expect([name, tensors[name]?.shape, tensors[name]?.dtype]).toEqual([name, shape, dtype]);
    expect(tensors['bn1.num_batches_tracked']!.data).toEqual(BigInt64Array.from([3n]));
    expect(Object.keys(tensors)).toHaveLength(122);
  });

  it('carries fer-gpu metadata', () => {
    expect(parseFerMetadata(metadata, checkpoint)).toEqual({
      arch: 'fer-resnet18',
      width: 4,
      mean: 0.5,
      std: 0.5,
      classes: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
    });
  });

  it('is re-encoded byte for byte (same layout as the reference writer)', () => {
    expect(encodeSafetensors(tensors, metadata).equals(fs.readFileSync(checkpoint))).toBe(true);
  });

  it('comes with a one-step training golden consistent with SGD', () => {
    const step = readSafetensors(path.join(goldens, 'fer_resnet18_w4_step.safetensors')).tensors;
    const { lr, weight_decay: wd } = io.train.sgd;
    expect(step['after.bn1.num_batches_tracked']!.data).toEqual(BigInt64Array.from([4n]));
    for (const [name, , dtype] of io.state_dict) {
      expect(step[`after.${name}`]?.dtype, name).toBe(dtype);
      if (name.endsWith('.weight') || name.endsWith('.bias')) {
        // First SGD step (momentum buffer starts at the gradient): w' = w - lr (g + wd w).
        const w = tensors[name]!.data as Float32Array;
        const g = step[`grad.${name}`]!.data as Float32Array;
        const after = step[`after.${name}`]!.data as Float32Array;
        let worst = 0;
        for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(after[i]! - (w[i]! - lr * (g[i]! + wd * w[i]!))));
        expect(worst, name).toBeLessThan(1e-6);
      }
    }
  });
});

const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) console.warn(`skipping the PyTorch interop test: ${python} cannot import torch`);

describe.skipIf(!hasTorch)('PyTorch loads a checkpoint written by fer-gpu', () => {
  it('load_state_dict(strict=True) succeeds and gives the golden eval logits', () => {
    const { tensors, metadata } = readSafetensors(checkpoint);
    // Fresh arrays, in reverse insertion order, so nothing is carried over from the golden bytes.
    const copy: Record<string, SafetensorsTensor> = {};
    for (const name of Object.keys(tensors).reverse()) {
      const t = tensors[name]!;
      copy[name] = { ...t, data: t.data.slice() } as SafetensorsTensor;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-io-'));
    try {
      const file = path.join(dir, 'from-ts.safetensors');
      writeSafetensors(file, copy, metadata);
      const script = path.resolve(__dirname, '../../scripts/goldens/safetensors.py');
      const run = spawnSync(python, [script, 'verify', file], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const { logits } = JSON.parse(run.stdout) as { logits: number[][] };
      expect(logits).toHaveLength(io.eval.logits.length);
      logits.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(io.eval.logits[i]![j]!, 6)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
