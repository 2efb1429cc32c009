import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FER_CLASSES } from '../../src/classes.js';
import { loadFer2013Csv } from '../../src/data/csv.js';
import { FER_SPLITS, FerDataError, describeSkipped, splitIndices } from '../../src/data/dataset.js';
import { HAVE_SAMPLE, SAMPLE_CSV, row, tmpDir } from './helpers.js';

const HEADER = 'emotion,pixels,Usage';

function writeCsv(lines: string[], name = 'bad.csv'): string {
  const file = path.join(tmpDir(), name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe.skipIf(!HAVE_SAMPLE)('fer2013-sample.csv (1,400 real rows)', () => {
  it('loads every row with its split and class', async () => {
    const ds = await loadFer2013Csv(SAMPLE_CSV, { cache: false });
    expect(ds.length).toBe(1400);
    expect(ds.pixels.length).toBe(1400 * 2304);
    expect(ds.issues).toEqual([]);
    const per = (split: 'Training' | 'PublicTest' | 'PrivateTest') => {
      const counts = new Array(7).fill(0);
      for (const i of splitIndices(ds, split)) counts[ds.labels[i]!]++;
      return counts;
    };
    expect(per('Training')).toEqual(new Array(7).fill(100));
    expect(per('PublicTest')).toEqual(new Array(7).fill(50));
    expect(per('PrivateTest')).toEqual(new Array(7).fill(50));
    // First data row is on line 2; its first pixels as written in the file.
    expect(ds.keys[0]).toBe(`${path.resolve(SAMPLE_CSV)}:2`);
    const firstLine = fs.readFileSync(SAMPLE_CSV, 'utf8').split('\n', 2)[1]!;
    const [label, pixels] = firstLine.split(',');
    expect(ds.labels[0]).toBe(Number(label));
    expect(Array.from(ds.pixels.subarray(0, 2304))).toEqual(pixels!.split(' ').map(Number));
  });

  it('usage filter keeps only those rows', async () => {
    const ds = await loadFer2013Csv(SAMPLE_CSV, { usage: ['PublicTest', 'PrivateTest'], cache: false });
    expect(ds.length).toBe(700);
    expect(new Set(Array.from(ds.splits, (s) => FER_SPLITS[s]))).toEqual(new Set(['PublicTest', 'PrivateTest']));
  });

  it('second load comes from the cache with identical content; a changed file invalidates it', async () => {
    const dir = tmpDir();
    const copy = path.join(dir, 'fer.csv');
    fs.copyFileSync(SAMPLE_CSV, copy);
    const cacheDir = path.join(dir, 'cache');
    const a = await loadFer2013Csv(copy, { cache: cacheDir });
    expect(a.info?.cache).toBe('written');
    const b = await loadFer2013Csv(copy, { cache: cacheDir });
    expect(b.info?.cache).toBe('hit');
    expect(Buffer.compare(b.pixels, a.pixels)).toBe(0); // (toEqual on MB-sized typed arrays is very slow)
    expect(Buffer.compare(b.labels, a.labels)).toBe(0);
    expect(Buffer.compare(b.splits, a.splits)).toBe(0);
    expect(b.keys).toEqual(a.keys);
    fs.appendFileSync(copy, row(3, 1, 'Training') + '\n');
    const c = await loadFer2013Csv(copy, { cache: cacheDir });
    expect(c.info?.cache).toBe('written');
    expect(c.length).toBe(1401);
  });
});

describe('bad CSV input names file and line', () => {
  const cases: [string, string[], RegExp][] = [
    ['wrong pixel count', [HEADER, row(0), row(1, 7, 'Training', 2303)], /bad\.csv:3: expected 2304 pixels \(48x48\), got 2303/],
    ['too many pixels', [HEADER, row(1, 7, 'Training', 2305)], /bad\.csv:2: expected 2304 pixels/],
    ['non-numeric pixel', [HEADER, row(0).replace(' 7 ', ' x7 ')], /bad\.csv:2: pixel 2 is 'x7', not a number/],
    ['pixel above 255', [HEADER, row(0, 256)], /bad\.csv:2: pixel 1 is 256, outside the integers 0-255/],
    [
      'negative pixel',
      [HEADER, row(0).replace(/ 7$/, ' -3').replace(' 7,Training', ' -3,Training')],
      /bad\.csv:2: pixel 2304 is -3, outside/,
    ],
    ['label outside 0-6', [HEADER, row(0), row(7)], /bad\.csv:3: label '7' is outside 0-6/],
    ['non-numeric label', [HEADER, row('happy')], /bad\.csv:2: label 'happy' is outside 0-6/],
    ['unknown Usage', [HEADER, row(2, 7, 'Validation')], /bad\.csv:2: unknown Usage 'Validation'/],
    ['missing header', [row(0), row(1)], /bad\.csv:1: missing header/],
    ['wrong header', ['label,pixels,Usage', row(0)], /bad\.csv:1: wrong header 'label,pixels,Usage'/],
    ['wrong column count', [HEADER, row(0), '3,1 2 3'], /bad\.csv:3: expected 3 columns, got 2/],
  ];
  for (const [name, lines, message] of cases) {
    it(name, async () => {
      const file = writeCsv(lines);
      const err = await loadFer2013Csv(file, { cache: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FerDataError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('empty file and missing file', async () => {
    const empty = writeCsv([], 'empty.csv');
    fs.writeFileSync(empty, '');
    await expect(loadFer2013Csv(empty)).rejects.toThrow(/empty\.csv: empty file/);
    await expect(loadFer2013Csv(path.join(tmpDir(), 'nope.csv'))).rejects.toThrow(/nope\.csv: cannot read CSV/);
  });

  it("onError 'skip' skips bad rows and lists every one", async () => {
    const file = writeCsv([HEADER, row(0), row(9), row(1, 300), row(2), row(3, 7, 'Foo'), row(6, 5, 'PrivateTest')]);
    const reports: string[] = [];
    const ds = await loadFer2013Csv(file, { onError: 'skip', cache: false, onSkip: (_issues, summary) => reports.push(summary) });
    expect(ds.length).toBe(3);
    expect(Array.from(ds.labels)).toEqual([0, 2, 6]);
    expect(ds.issues.map((i) => i.location)).toEqual([`${file}:3`, `${file}:4`, `${file}:6`]);
    // reported once: the count and the first locations
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain(`3 bad entries skipped in ${file}: ${file}:3 (`);
    expect(reports[0]).toContain(`${file}:6 (`);
    expect(
      describeSkipped(
        'x.csv',
        Array.from({ length: 8 }, (_, k) => ({ location: `x.csv:${k + 2}`, message: 'bad' })),
      ),
    ).toMatch(/^8 bad entries skipped in x\.csv: x\.csv:2 \(bad\); .*x\.csv:6 \(bad\); and 3 more/);
    expect(ds.info?.cache).toBe('off');
  });

  it('a file with bad rows is never cached', async () => {
    const file = writeCsv([HEADER, row(0), row(9)]);
    const cacheDir = path.join(tmpDir(), 'c');
    const ds = await loadFer2013Csv(file, { onError: 'skip', cache: cacheDir });
    expect(ds.info?.cache).toBe('not-written');
    await expect(loadFer2013Csv(file, { cache: cacheDir })).rejects.toThrow(/:3: label '9'/);
  });

  it('accepts a CSV without Usage (all Training) and the icml layout with spaces in the header', async () => {
    const a = await loadFer2013Csv(writeCsv(['emotion,pixels', `4,${new Array(2304).fill(1).join(' ')}`]), { cache: false });
    expect([a.length, FER_SPLITS[a.splits[0]!], FER_CLASSES[a.labels[0]!]]).toEqual([1, 'Training', 'sad']);
    const b = await loadFer2013Csv(writeCsv(['emotion, Usage, pixels', `5,PublicTest,${new Array(2304).fill(2).join(' ')}`]), {
      cache: false,
    });
    expect([b.length, FER_SPLITS[b.splits[0]!], b.pixels[2303]]).toEqual([1, 'PublicTest', 2]);
  });
});
