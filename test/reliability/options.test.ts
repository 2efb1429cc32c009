/**
 * Issue 14 item 9: every option is checked against its domain, and refused by name, before any
 * work; names that happen to be Object.prototype's (`toString`, `__proto__`) are plain names.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { columnDrift, datasetDrift, embeddingDrift } from '../../src/drift/index.js';
import { InputError } from '../../src/errors.js';
import { useDevice } from '../helpers.js';

const ds = syntheticFaces({ perClass: 4, seed: 1 });

describe('train() options', () => {
  const device = useDevice();
  const cases: Array<[Partial<TrainOptions>, string]> = [
    [{ clipGradNorm: -1 }, 'clipGradNorm (--clip-grad-norm) must be a number > 0, got -1'],
    [{ clipGradNorm: 0 }, 'clipGradNorm (--clip-grad-norm) must be a number > 0, got 0'],
    [{ schedule: { kind: 'cosine', warmupEpochs: -5 } }, 'schedule.warmupEpochs (--warmup-epochs) must be a number >= 0, got -5'],
    [{ seed: 1.5 }, 'seed (--seed) must be an integer in [0, 4294967295], got 1.5'],
    [{ lr: -1 }, 'lr (--lr) must be a number >= 0, got -1'],
    [{ lr: NaN }, 'lr (--lr) must be a number >= 0, got NaN'],
    [{ weightDecay: -1 }, 'weightDecay (--weight-decay) must be a number >= 0, got -1'],
    [{ labelSmoothing: 2 }, 'labelSmoothing (--label-smoothing) must be a number in [0, 1), got 2'],
    [{ momentum: -0.5 }, 'momentum must be a number in [0, 1], got -0.5'],
    [{ batchSize: 2.5 }, 'batchSize (--batch-size) must be an integer >= 1, got 2.5'],
    [{ epochs: 0 }, 'epochs (--epochs) must be an integer >= 1, got 0'],
    [{ maxSteps: 0 }, 'maxSteps (--max-steps) must be an integer >= 1, got 0'],
    [{ checkpointEvery: -1 }, 'checkpointEvery (--checkpoint-every) must be an integer >= 1, got -1'],
    [{ earlyStoppingPatience: 0 }, 'earlyStoppingPatience (--patience) must be an integer >= 1, got 0'],
    [{ optimizer: 'adam' as 'sgd' }, "optimizer (--optimizer) must be one of sgd, adamw, got 'adam'"],
    [{ optimizer: 'toString' as 'sgd' }, "optimizer (--optimizer) must be one of sgd, adamw, got 'toString'"],
    [{ selectOn: 'loss' as 'accuracy' }, "selectOn must be one of accuracy, macroF1, got 'loss'"],
    [
      { schedule: { kind: 'linear' } as never },
      "schedule.kind (--schedule) must be one of constant, step, cosine, one-cycle, plateau, got 'linear'",
    ],
    [{ schedule: { kind: 'step', stepSize: 0 } }, 'schedule.stepSize must be an integer >= 1, got 0'],
    [{ schedule: { kind: 'step', stepSize: 1, gamma: -1 } }, 'schedule.gamma must be a number > 0, got -1'],
    [{ schedule: { kind: 'one-cycle', pctStart: 1 } }, 'schedule.pctStart must be a number in (0, 1), got 1'],
    [{ schedule: { kind: 'plateau', factor: 1 } }, 'schedule.factor must be a number in (0, 1), got 1'],
    [{ classWeights: [1, 1] }, 'classWeights must hold one weight per class (7), got 2'],
    [{ classWeights: [1, 1, 1, -1, 1, 1, 1] }, 'classWeights[3] must be a number >= 0, got -1'],
    [{ mean: NaN }, 'mean must be a finite number, got NaN'],
    [{ std: 0 }, 'std must be a number > 0, got 0'],
  ];
  for (const [change, message] of cases) {
    it(`refuses ${JSON.stringify(change, (_k, v) => (Number.isNaN(v) ? 'NaN' : v))}`, async () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-opts-')), 'run');
      const model = ferResNet18(device(), { width: 4 });
      const err = await train({
        model,
        trainSet: ds,
        epochs: 1,
        batchSize: 8,
        outDir: out,
        log: Object.assign(() => {}, {}),
        ...change,
      }).catch((e: unknown) => e);
      model.dispose();
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toBe(`train: ${message}`);
      expect(fs.existsSync(out)).toBe(false); // refused before anything was made
    });
  }
});

describe('drift options', () => {
  const ref = Array.from({ length: 40 }, (_, i) => i % 9);
  const cur = Array.from({ length: 40 }, (_, i) => (i % 9) + 3);

  it("columnDrift refuses a kind that is not 'num' or 'cat' (it used to run the categorical tests)", () => {
    expect(() => columnDrift(ref, cur, { kind: 'numerical' as 'num' })).toThrow(
      new InputError("columnDrift: kind must be one of num, cat, got 'numerical'"),
    );
  });

  it('columnDrift refuses an unknown method, even one named like an Object method', () => {
    for (const method of ['toString', 'constructor', '__proto__', 'kss']) {
      expect(() => columnDrift(ref, cur, { method: method as 'ks' }), method).toThrow(InputError);
      expect(() => columnDrift(ref, cur, { method: method as 'ks' }), method).toThrow(`columnDrift: unknown method '${method}'`);
    }
  });

  it('thresholds, drift shares and seeds must be in their domains', () => {
    expect(() => columnDrift(ref, cur, { threshold: NaN })).toThrow(
      new InputError('columnDrift: threshold must be a finite number, got NaN'),
    );
    expect(() => columnDrift(ref, cur, { seed: 0.5 })).toThrow(
      new InputError('columnDrift: seed must be an integer in [0, 4294967295], got 0.5'),
    );
    expect(() => datasetDrift({ a: ref }, { a: cur }, { driftShare: NaN })).toThrow(
      new InputError('datasetDrift: driftShare must be a number in [0, 1], got NaN'),
    );
    expect(() => datasetDrift({ a: ref }, { a: cur }, { driftShare: 1.5 })).toThrow('driftShare must be a number in [0, 1], got 1.5');
    expect(() => datasetDrift({ a: ref }, { a: cur }, { threshold: Infinity })).toThrow(
      /column 'a': threshold must be a finite number, got Infinity/,
    );
  });

  it('columns named __proto__ and toString are columns like any other', () => {
    const refCols = JSON.parse(JSON.stringify({ ['__proto__']: ref, toString: ref, age: ref })) as Record<string, number[]>;
    const curCols = JSON.parse(JSON.stringify({ ['__proto__']: cur, toString: ref, age: cur })) as Record<string, number[]>;
    expect(Object.keys(refCols)).toEqual(['__proto__', 'toString', 'age']);
    const r = datasetDrift(refCols, curCols);
    expect(Object.keys(r.columns).sort()).toEqual(['__proto__', 'age', 'toString']);
    expect(Object.hasOwn(r.columns, '__proto__')).toBe(true);
    expect(r.columns['toString']!.drifted).toBe(false);
    expect(r.columns['age']!.drifted).toBe(true);
    expect(r.numberOfDriftedColumns).toBe(2);
    // a current dataset without the column is an error naming it, not Object.prototype's value
    expect(() => datasetDrift(refCols, { age: cur })).toThrow(
      new InputError("datasetDrift: cannot find column '__proto__' in current data"),
    );
    expect(() =>
      datasetDrift({ age: ref }, { age: cur }, { perColumn: JSON.parse('{"__proto__": {"method": "toString"}}') }),
    ).not.toThrow();
  });

  it('embeddingDrift thresholds and quantiles must be in their domains', async () => {
    const x = Float64Array.from({ length: 40 }, (_, i) => Math.sin(i));
    await expect(embeddingDrift(x, x, { dim: 2, method: 'distance', threshold: NaN })).rejects.toThrow(
      new InputError('embeddingDrift: threshold must be a finite number, got NaN'),
    );
    await expect(embeddingDrift(x, x, { dim: 2, method: 'distance', bootstrap: true, quantileProbability: 2 })).rejects.toThrow(
      new InputError('embeddingDrift: quantileProbability must be a number in (0, 1), got 2'),
    );
    await expect(embeddingDrift(x, x, { dim: 2, method: 'valueOf' as 'mmd' })).rejects.toThrow(InputError);
  });
});
