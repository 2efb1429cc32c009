/**
 * Issue 14 items 2, 3, 5 and 12: the checkpoint is one verified unit that never holds non-finite
 * weights; resume refuses a damaged checkpoint or a changed configuration (naming the field) and
 * takes no step past --max-steps.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { train, NonFiniteLossError, type TrainOptions } from '../../src/train/trainer.js';
import { CHECKPOINT_FILE } from '../../src/train/checkpoint.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { InputError } from '../../src/errors.js';
import { useDevice } from '../helpers.js';

const quiet = Object.assign(() => {}, {});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fer-ckpt-'));
const ds = syntheticFaces({ perClass: 12, seed: 6 }); // 67 Training images: 4 steps of 16 per epoch

/** Every float value of every tensor in a safetensors file is finite. */
function nonFinite(file: string): string[] {
  const bad: string[] = [];
  for (const [name, t] of Object.entries(readSafetensors(file).tensors)) {
    if (t.data instanceof Float32Array && !t.data.every(Number.isFinite)) bad.push(name);
  }
  return bad;
}

describe('checkpoints', () => {
  const device = useDevice();
  const base = (over: Partial<TrainOptions> = {}) => {
    const d = device();
    return {
      device: d,
      model: ferResNet18(d, { width: 4, seed: 2 }),
      trainSet: ds,
      epochs: 2,
      batchSize: 16,
      log: quiet,
      seed: 9,
      ...over,
    } as TrainOptions;
  };

  it('the NaN guard checks the weights it writes: a diverged step is never saved as good', async () => {
    const dir = tmp();
    // A good first epoch, then a learning rate of 1e298 (infinite in f32) from epoch 2: the loss of the step that
    // diverges is still finite (it is computed before the update), the weights after it are not.
    const o = base({ epochs: 3, outDir: dir, checkpointEvery: 1, schedule: { kind: 'step', stepSize: 1, gamma: 1e300 } });
    const err = await train(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/non-finite/);
    expect((err as Error).message).toContain(`The last good checkpoint (step 4, epoch 1) is kept in ${dir}.`);
    for (const f of ['last.safetensors', CHECKPOINT_FILE, 'best.safetensors']) expect(nonFinite(path.join(dir, f)), f).toEqual([]);
    const state = JSON.parse(readSafetensors(path.join(dir, CHECKPOINT_FILE)).metadata['fer-gpu.checkpoint']!);
    expect([state.step, state.epoch, state.partial]).toEqual([4, 1, undefined]);
    o.model.dispose();
  });

  it('train --lr 1e30 --max-steps 3 --checkpoint-every 1: every file written is finite', async () => {
    const dir = tmp();
    const o = base({ outDir: dir, lr: 1e30, maxSteps: 3, checkpointEvery: 1 });
    // Step 1's update leaves huge but finite weights; step 2's overflow them.
    await expect(train(o)).rejects.toThrow(
      /non-finite by step 2, inside epoch 1 .* The last good checkpoint \(step 1, inside epoch 1\) is kept/,
    );
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
    expect(files.sort()).toEqual([CHECKPOINT_FILE, 'last.safetensors']);
    for (const f of files) expect(nonFinite(path.join(dir, f)), f).toEqual([]);
    o.model.dispose();
  });

  it('is one file holding model, optimizer and counters, with a checksum that resume verifies', async () => {
    const dir = tmp();
    const o = base({ outDir: dir, maxSteps: 2 });
    await train(o);
    o.model.dispose();
    const file = path.join(dir, CHECKPOINT_FILE);
    const { tensors, metadata } = readSafetensors(file);
    const names = Object.keys(tensors);
    expect(names.some((n) => n.startsWith('model.conv1.'))).toBe(true);
    expect(names.some((n) => n.startsWith('optim.'))).toBe(true);
    const state = JSON.parse(metadata['fer-gpu.checkpoint']!);
    expect(state).toMatchObject({ format: 1, step: 2, epoch: 0, partial: { steps: 2 } });
    expect(state.sha256).toMatch(/^[0-9a-f]{64}$/);
    // one flipped weight: resume refuses the file instead of continuing from it
    const w = tensors['model.fc.weight']!.data as Float32Array;
    w[0] = w[0]! + 1;
    writeSafetensors(file, tensors, metadata);
    const r = base({ outDir: dir, resume: true });
    const err = await train(r).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`${CHECKPOINT_FILE}: .*checksum`));
    r.model.dispose();
  });

  it('resume refuses a changed configuration or data, naming the field', async () => {
    const dir = tmp();
    const o = base({ outDir: dir, maxSteps: 1 });
    await train(o);
    o.model.dispose();
    const other = syntheticFaces({ perClass: 12, seed: 7 });
    const changes: Array<[Partial<TrainOptions>, RegExp]> = [
      [{ batchSize: 8 }, /batchSize .*16.* 8/],
      [{ optimizer: 'adamw' }, /optimizer .*sgd.*adamw/],
      [{ lr: 0.1 }, /lr .*0\.01.*0\.1/],
      [{ schedule: { kind: 'constant' } }, /schedule/],
      [{ weightDecay: 0 }, /weightDecay/],
      [{ clipGradNorm: 1 }, /clipGradNorm/],
      [{ augment: false }, /augment/],
      [{ labelSmoothing: 0.1 }, /labelSmoothing/],
      [{ epochs: 3 }, /epochs .*2.* 3/],
      [{ trainSet: other }, /training data .*fingerprint/],
    ];
    for (const [change, message] of changes) {
      const r = base({ outDir: dir, resume: true, ...change });
      const err = await train(r).catch((e: unknown) => e);
      r.model.dispose();
      expect(err, JSON.stringify(change)).toBeInstanceOf(InputError);
      expect((err as Error).message, JSON.stringify(change)).toMatch(message);
    }
    // The same configuration (defaults given explicitly) and a new step budget are fine.
    const same = base({ outDir: dir, resume: true, lr: 0.01, optimizer: 'sgd', maxSteps: 2 });
    await train(same);
    same.model.dispose();
    expect(JSON.parse(readSafetensors(path.join(dir, CHECKPOINT_FILE)).metadata['fer-gpu.checkpoint']!).step).toBe(2);
  });

  it('resuming a run that reached --max-steps takes no step', async () => {
    const dir = tmp();
    const o = base({ outDir: dir, maxSteps: 2 });
    await train(o);
    o.model.dispose();
    const before = fs.readFileSync(path.join(dir, CHECKPOINT_FILE));
    const r = base({ outDir: dir, maxSteps: 2, resume: true });
    const result = await train(r);
    r.model.dispose();
    expect(result.history).toEqual([]);
    expect(fs.readFileSync(path.join(dir, CHECKPOINT_FILE)).equals(before)).toBe(true);
  });

  it('a folder of an older fer-gpu (model and state files, no checkpoint) is a clear error', async () => {
    const dir = tmp();
    const o = base({ outDir: dir, maxSteps: 1 });
    await train(o);
    o.model.dispose();
    fs.rmSync(path.join(dir, CHECKPOINT_FILE));
    fs.writeFileSync(path.join(dir, 'last.state.safetensors'), 'x');
    const r = base({ outDir: dir, resume: true });
    await expect(train(r)).rejects.toThrow(/last\.state\.safetensors.*older fer-gpu.*--init/);
    r.model.dispose();
  });

  it('train-log.jsonl holds every epoch of the run, resumed or not', async () => {
    const dir = tmp();
    const o = base({ outDir: dir, maxSteps: 5 });
    const first = await train(o);
    o.model.dispose();
    const r = base({ outDir: dir, resume: true });
    const second = await train(r);
    r.model.dispose();
    const log = fs
      .readFileSync(path.join(dir, 'train-log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log).toEqual([...first.history, ...second.history].map((e) => JSON.parse(JSON.stringify(e))));
    expect(log.map((e) => e.epoch)).toEqual([1, 2]);
  });
});
