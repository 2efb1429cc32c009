import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDataCheck } from '../../src/cli/data.js';
import {
  checkDataset,
  findTrainingDuplicates,
  formatCheckReport,
  withoutTrainingDuplicates,
  type DataCheckReport,
} from '../../src/data/check.js';
import { loadFer2013 } from '../../src/data/auto.js';
import { InputError } from '../../src/errors.js';
import { DatasetBuilder, splitId } from '../../src/data/dataset.js';
import { FER_DIR, HAVE_FOLDER, SAMPLE_CSV, HAVE_SAMPLE, row, tmpDir } from './helpers.js';

function noisy(seed: number): Uint8Array {
  return Uint8Array.from({ length: 2304 }, (_, i) => (i * 31 + seed * 97 + ((i * seed) % 13)) % 256);
}

describe('checkDataset on a synthetic dataset', () => {
  const b = new DatasetBuilder();
  const add = (label: number, split: string, key: string, px: Uint8Array) => b.push(label, splitId(split), key).set(px);
  add(0, 'Training', 'blank-a', new Uint8Array(2304)); // blank (0)
  add(3, 'Training', 'blank-b', new Uint8Array(2304)); // blank, duplicate of blank-a with another label
  const near = new Uint8Array(2304).fill(128);
  near[5] = 131;
  add(6, 'Training', 'near', near); // near-constant
  add(1, 'Training', 'x', noisy(1));
  add(1, 'PublicTest', 'x-copy-same-class', noisy(1)); // leak, same class
  add(2, 'PrivateTest', 'y-copy-other-class', noisy(2)); // leak, other class
  add(4, 'Training', 'y', noisy(2));
  add(5, 'PrivateTest', 'z', noisy(3));
  const r = checkDataset(b.build('synthetic', []));

  it('counts per split and class', () => {
    expect(r.counts.map((c) => [c.split, c.total])).toEqual([
      ['Training', 5],
      ['PublicTest', 1],
      ['PrivateTest', 2],
    ]);
    expect(r.counts[0]!.perClass).toEqual([1, 1, 0, 1, 1, 0, 1]);
  });
  it('finds blank and near-constant images', () => {
    expect(r.blank).toEqual([
      { key: 'blank-a', value: 0 },
      { key: 'blank-b', value: 0 },
    ]);
    expect(r.nearConstant.map((n) => n.key)).toEqual(['near']);
  });
  it('finds duplicates, leakage and conflicting labels', () => {
    const d = r.duplicates;
    expect([d.distinct, d.redundant, d.groups]).toEqual([5, 3, 3]);
    expect(d.evalInTraining).toEqual({ count: 2, otherClass: 1 });
    expect(d.withinSplit.find((w) => w.split === 'Training')!.redundant).toBe(1);
    expect(d.conflictingLabels.map((g) => g.keys.sort())).toEqual(
      [
        ['blank-a', 'blank-b'],
        ['y', 'y-copy-other-class'],
      ].sort(),
    );
    expect(r.ok).toBe(true);
    expect(formatCheckReport(r)).toMatch(
      /Train\/test leakage: 2 non-Training images also appear in Training \(1 with a different class there\)/,
    );
  });
});

describe('test images that duplicate Training images', () => {
  const b = new DatasetBuilder();
  const add = (label: number, split: string, key: string, px: Uint8Array) => b.push(label, splitId(split), key).set(px);
  add(1, 'Training', 'x', noisy(1));
  add(4, 'Training', 'y', noisy(2));
  add(4, 'Training', 'y-again', noisy(2));
  add(1, 'PublicTest', 'x-copy-same-class', noisy(1));
  add(2, 'PrivateTest', 'y-copy-other-class', noisy(2));
  add(5, 'PrivateTest', 'z', noisy(3));
  add(5, 'PrivateTest', 'z-copy', noisy(3)); // duplicate inside PrivateTest only: kept
  const ds = b.build('synthetic', []);

  it('findTrainingDuplicates agrees with the data check', () => {
    const all = findTrainingDuplicates(ds);
    expect(all.indices.map((i) => ds.keys[i])).toEqual(['x-copy-same-class', 'y-copy-other-class']);
    expect({ count: all.indices.length, otherClass: all.otherClass }).toEqual(checkDataset(ds).duplicates.evalInTraining);
    expect(all.searched).toBe(4);
    const priv = findTrainingDuplicates(ds, 'PrivateTest');
    expect([priv.indices.map((i) => ds.keys[i]), priv.otherClass, priv.searched]).toEqual([['y-copy-other-class'], 1, 3]);
  });

  it('withoutTrainingDuplicates keeps the rest of the split, in order', () => {
    const { dataset, removed } = withoutTrainingDuplicates(ds, 'PrivateTest');
    expect(dataset.keys).toEqual(['z', 'z-copy']);
    expect(Array.from(dataset.labels)).toEqual([5, 5]);
    expect(Array.from(dataset.splits)).toEqual([splitId('PrivateTest'), splitId('PrivateTest')]);
    expect(removed.indices).toHaveLength(1);
    const both = withoutTrainingDuplicates(ds, ['PublicTest', 'PrivateTest']);
    expect(both.dataset.keys).toEqual(['z', 'z-copy']);
  });

  it('needs a Training split', () => {
    const t = new DatasetBuilder();
    t.push(0, splitId('PrivateTest'), 'only-test').set(noisy(4));
    expect(() => withoutTrainingDuplicates(t.build('test-only', []), 'PrivateTest')).toThrow(InputError);
  });

  it.skipIf(!HAVE_FOLDER)('FER2013: 288 PrivateTest and 280 PublicTest images are in Training (568 in all)', async () => {
    const fer = await loadFer2013(FER_DIR);
    const priv = findTrainingDuplicates(fer, 'PrivateTest');
    const pub = findTrainingDuplicates(fer, 'PublicTest');
    const both = findTrainingDuplicates(fer, ['PublicTest', 'PrivateTest']);
    expect([priv.indices.length, priv.otherClass, priv.searched]).toEqual([288, 9, 3589]);
    expect([pub.indices.length, pub.otherClass]).toEqual([280, 7]);
    expect([both.indices.length, both.otherClass, both.searched]).toEqual([568, 16, 7178]);
    expect(withoutTrainingDuplicates(fer, 'PrivateTest').dataset.length).toBe(3589 - 288);
  });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDataCheck(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('fer-gpu data check (runDataCheck)', () => {
  it('exit 1 naming every unreadable row; JSON lists them', async () => {
    const file = path.join(tmpDir(), 'bad.csv');
    fs.writeFileSync(file, ['emotion,pixels,Usage', row(0), row(8), row(1, 7, 'Nope'), row(2)].join('\n'));
    const text = await cli([file, '--no-cache']);
    expect(text.code).toBe(1);
    expect(text.err).toContain(`${file}:3: label '8'`);
    expect(text.err).toContain(`${file}:4: unknown Usage 'Nope'`);
    expect(text.out).toMatch(/FAILED: 2 rows\/files could not be read/);
    const json = await cli([file, '--json', '--no-cache']);
    const report = JSON.parse(json.out) as DataCheckReport;
    expect([json.code, report.ok, report.images, report.issues.length]).toEqual([1, false, 2, 2]);
  });
  it('exit 1 for a file that cannot be opened, 2 for bad arguments', async () => {
    const missing = await cli([path.join(tmpDir(), 'none.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/none\.csv: cannot read CSV/);
    expect((await cli([])).code).toBe(2);
    expect((await cli(['x', '--near-constant-std', 'abc'])).code).toBe(1);
  });
  it.skipIf(!HAVE_SAMPLE)('exit 0 on the sample CSV with a table', async () => {
    const { code, out } = await cli([SAMPLE_CSV]);
    expect(code).toBe(0);
    expect(out).toMatch(/Training +100 +100 +100 +100 +100 +100 +100 +700/);
  });
});

// Cold (no cache yet) this takes ~15 s on 2 cores; later runs read the decoded cache under os.tmpdir() (~2 s).
describe.skipIf(!HAVE_FOLDER)('whole FER2013 folder against SOURCE.md', () => {
  it('reports the known quirks', async () => {
    const { code, out } = await cli([FER_DIR, '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out) as DataCheckReport;
    const total = (s: string) => r.counts.find((c) => c.split === s)!.total;
    // Numbers from /work/shared/data/fer2013/SOURCE.md (byte duplicates; decoded pixels give the same groups).
    expect([r.images, total('Training'), total('PublicTest'), total('PrivateTest')]).toEqual([35887, 28709, 3589, 3589]);
    expect(r.counts.find((c) => c.split === 'Training')!.perClass).toEqual([3995, 436, 4097, 7215, 4830, 3171, 4965]);
    expect(r.blank).toHaveLength(12);
    expect(r.blank.every((b) => b.value === 0)).toBe(true);
    expect(r.blank.map((b) => path.relative(FER_DIR, b.key))).toContain('test/angry/PublicTest_5543497.jpg');
    expect(r.nearConstant.map((b) => path.relative(FER_DIR, b.key))).toEqual(['train/neutral/Training_3542668.jpg']);
    expect([r.duplicates.distinct, r.duplicates.redundant]).toEqual([34034, 1853]);
    expect(r.duplicates.evalInTraining).toEqual({ count: 568, otherClass: 16 });
    expect(r.duplicates.conflictingLabels).toHaveLength(57);
  });
});
