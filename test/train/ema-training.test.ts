import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { train } from '../../src/train/trainer.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { splitIndices } from '../../src/data/dataset.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { useDevice } from '../helpers.js';

const quiet = Object.assign(() => {}, {});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fer-ema-'));
/** The EMA weights in a run's checkpoint.safetensors (its `ema.*` tensors), as arrays. */
const emaOf = (dir: string) =>
  Object.fromEntries(
    Object.entries(readCheckpoint(path.join(dir, 'checkpoint.safetensors')).ema ?? {}).map(([k, t]) => [
      k,
      Array.from(t.data as ArrayLike<number | bigint>),
    ]),
  );

describe('training with an EMA of the weights', () => {
  const device = useDevice();

  it('validates the EMA beside the raw weights, saves it, and a resumed run ends with the same EMA', async () => {
    const d = device();
    const ds = syntheticFaces({ perClass: 12, seed: 6 });
    const opts = { device: d, trainSet: ds, batchSize: 16, log: quiet, seed: 4, epochs: 2, ema: 0.9 };
    const a = ferResNet18(d, { width: 4, seed: 3 });
    const dirA = tmp();
    const result = await train({ ...opts, model: a, outDir: dirA });
    for (const e of result.history) {
      expect(e.emaValAccuracy).toBeTypeOf('number');
      expect(e.emaValMacroF1).toBeTypeOf('number');
      expect(['raw', 'ema']).toContain(e.selected);
    }
    const logged = fs
      .readFileSync(path.join(dirA, 'train-log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(logged[1].emaValAccuracy).toBe(result.history[1]!.emaValAccuracy);
    const emaA = emaOf(dirA);
    expect(Object.keys(emaA).sort()).toEqual(Object.keys(await a.stateDict()).sort());
    // the EMA differs from the raw weights it follows
    expect(emaA['fc.weight']).not.toEqual(Array.from((await a.stateDict())['fc.weight']!.data as Float32Array));

    // stopped inside the second epoch, then resumed
    const stepsPerEpoch = Math.floor(splitIndices(ds, 'Training').length / 16);
    const dirB = tmp();
    const b = ferResNet18(d, { width: 4, seed: 3 });
    await train({ ...opts, model: b, outDir: dirB, maxSteps: stepsPerEpoch + 2 });
    const c = ferResNet18(d, { width: 4, seed: 50 });
    const resumed = await train({ ...opts, model: c, outDir: dirB, resume: true });
    expect(resumed.history.map((e) => e.epoch)).toEqual([2]);
    expect(emaOf(dirB)).toEqual(emaA);
    expect(resumed.history[0]!.emaValAccuracy).toBe(result.history[1]!.emaValAccuracy);
    // a run resumes with the EMA it was started with
    await expect(train({ ...opts, model: c, outDir: dirB, resume: true, ema: 0.8 })).rejects.toThrow(
      /cannot resume .*checkpoint\.safetensors: ema \(--ema\) differs: 0\.9 in that run, 0\.8 now/,
    );
    await expect(train({ ...opts, model: c, outDir: dirB, resume: true, ema: undefined })).rejects.toThrow(
      /ema \(--ema\) differs: 0\.9 in that run, null now/,
    );
    for (const m of [a, b, c]) m.dispose();
  }, 300_000);

  it("selectFrom 'ema' writes the EMA weights as the best checkpoint; emaBnBatches recalibrates their batch norms", async () => {
    const d = device();
    const ds = syntheticFaces({ perClass: 12, seed: 8 });
    const model = ferResNet18(d, { width: 4, seed: 1 });
    const dir = tmp();
    const opts = { device: d, trainSet: ds, batchSize: 16, log: quiet, epochs: 1, ema: 0.95, selectFrom: 'ema' as const, emaBnBatches: 3 };
    const result = await train({ ...opts, model, outDir: dir });
    expect(result.history[0]!.selected).toBe('ema');
    expect(result.best?.selected).toBe('ema');
    const best = readSafetensors(path.join(dir, 'best.safetensors')).tensors;
    const ema = emaOf(dir);
    for (const [k, t] of Object.entries(best)) expect(Array.from(t.data as ArrayLike<number | bigint>), k).toEqual(ema[k]);
    // train() leaves the best weights in the model: here the EMA's
    expect(result.weights).toBe('best');
    const held = await model.stateDict();
    for (const [k, t] of Object.entries(held)) expect(Array.from(t.data as ArrayLike<number | bigint>), k).toEqual(ema[k]);
    // recalibrated from 3 batches (averaged statistics would carry the trained model's count instead)
    expect(ema['bn1.num_batches_tracked']).toEqual([3n]);
    expect(Number(readSafetensors(path.join(dir, 'last.safetensors')).tensors['bn1.num_batches_tracked']!.data[0])).toBe(
      Math.floor(splitIndices(ds, 'Training').length / 16),
    );
    // a crash before best.safetensors was written: resume rebuilds it from the checkpoint's EMA weights
    fs.rmSync(path.join(dir, 'best.safetensors'));
    await train({ ...opts, model, outDir: dir, resume: true });
    const rebuilt = readSafetensors(path.join(dir, 'best.safetensors')).tensors;
    for (const [k, t] of Object.entries(rebuilt)) expect(Array.from(t.data as ArrayLike<number | bigint>), k).toEqual(ema[k]);
    model.dispose();
  }, 300_000);

  it('rejects a decay outside (0, 1), and EMA options without an EMA', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4 });
    const opts = { device: d, model, trainSet: syntheticFaces({ perClass: 4, seed: 1 }), epochs: 1, log: quiet };
    await expect(train({ ...opts, ema: 1 })).rejects.toThrow(/train: ema \(--ema\) must be a number in \(0, 1\), got 1/);
    await expect(train({ ...opts, emaBnBatches: 5 })).rejects.toThrow(/train: emaBnBatches \(--ema-bn-batches\) needs ema/);
    await expect(train({ ...opts, ema: 0.9, selectFrom: 'best' as 'ema' })).rejects.toThrow(
      /selectFrom \(--select-from\) must be one of either, ema, raw, got 'best'/,
    );
    model.dispose();
  });
});
