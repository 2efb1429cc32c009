/** What train() leaves in the model: the best epoch's weights (or the last, when asked), in eval mode. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import type { StateDict } from '../../src/nn/module.js';
import { train } from '../../src/train/trainer.js';
import { loadModel } from '../../src/train/checkpoint.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { useDevice } from '../helpers.js';

const quiet = Object.assign(() => {}, {});

function same(a: StateDict, b: StateDict): boolean {
  return Object.keys(a).every((k) => Buffer.from(a[k]!.data.buffer).equals(Buffer.from(b[k]!.data.buffer)));
}

describe('train() leaves the best weights', () => {
  const device = useDevice();
  // Seeded so that epoch 1 is the best of 2 (validation accuracy 1/7, then 1/7 again: not better).
  const ds = syntheticFaces({ perClass: 12, seed: 6 });
  const opts = { trainSet: ds, epochs: 2, batchSize: 16, lr: 0.05, seed: 1, log: quiet };

  it("restores the best epoch's weights (from best.safetensors, or from memory without outDir); restoreBestWeights: false keeps the last", async () => {
    const d = device();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-restore-'));
    const last = ferResNet18(d, { width: 4, seed: 1 });
    const r0 = await train({ ...opts, model: last, restoreBestWeights: false });
    expect(r0.best?.epoch, 'precondition: the best epoch is not the last').toBe(1);
    expect(r0.weights).toBe('last');

    const best = ferResNet18(d, { width: 4, seed: 1 });
    const r1 = await train({ ...opts, model: best, outDir: dir });
    expect(r1.weights).toBe('best');
    expect(best.training).toBe(false);
    const fromDisk = loadModel(d, path.join(dir, 'best.safetensors')).model;
    const lastOnDisk = loadModel(d, path.join(dir, 'last.safetensors')).model;
    const sBest = await best.stateDict();
    expect(same(sBest, await fromDisk.stateDict())).toBe(true);
    expect(same(await last.stateDict(), await lastOnDisk.stateDict())).toBe(true);
    expect(same(sBest, await last.stateDict())).toBe(false);

    const inMemory = ferResNet18(d, { width: 4, seed: 1 });
    const r2 = await train({ ...opts, model: inMemory });
    expect(r2.weights).toBe('best');
    expect(same(await inMemory.stateDict(), sBest)).toBe(true);
    for (const m of [last, best, fromDisk, lastOnDisk, inMemory]) m.dispose();
  }, 120_000);
});
