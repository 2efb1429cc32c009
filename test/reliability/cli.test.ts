/**
 * Issue 14 item 11: bad input exits 1 everywhere, early, with a message that names what is wrong
 * (and where), never one that misleads.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { runDrift } from '../../src/cli/drift.js';
import { loadFer2013Csv } from '../../src/data/csv.js';
import { loadImageFolder } from '../../src/data/folder.js';
import { FerDataError } from '../../src/data/dataset.js';
import { row } from '../data/helpers.js';

const root = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-cli-exit-'));
const HEADER = 'emotion,pixels,Usage';

function fer(args: string[], timeout = 120_000) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

function csv(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('exit 1 for bad input', () => {
  it('options outside their domain, before any data is read', () => {
    const missing = path.join(dir, 'never-read.csv'); // would be exit 1 too, but for another reason
    for (const [flag, value] of [
      ['--lr', '-1'],
      ['--weight-decay', '-1'],
      ['--label-smoothing', '2'],
      ['--clip-grad-norm', '-1'],
      ['--seed', '1.5'],
      ['--warmup-epochs', '-5'],
    ]) {
      const r = fer(['train', '--data', missing, flag!, value!, '--out', path.join(dir, 'never')]);
      expect(r.code, `${flag} ${value}: ${r.err}`).toBe(1);
      expect(r.err).toContain(`(${flag}) must be`);
      expect(r.err).toContain(`got ${value}`);
    }
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('a header-only CSV, naming the file', () => {
    const file = csv('header-only.csv', [HEADER]);
    for (const cmd of [['train', '--out', path.join(dir, 'h')], ['eval']]) {
      const r = fer([...cmd, '--data', file]);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toContain(`${file}: no data rows after the header`);
    }
  });

  it('a split with no images', () => {
    const file = csv('training-only.csv', [HEADER, row(0), row(1), row(2)]);
    const r = fer(['eval', '--data', file, '--split', 'PublicTest']);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/training-only\.csv has no images in split PublicTest/);
    const noTraining = csv('test-only.csv', [HEADER, row(0, 7, 'PublicTest'), row(1, 7, 'PublicTest')]);
    const t = fer(['train', '--data', noTraining, '--out', path.join(dir, 't')]);
    expect(t.code, t.err).toBe(1);
    expect(t.err).toMatch(/test-only\.csv has no images in split Training/);
  });

  it('--out that is a file, or under /proc: exit 1 at once (no hang, no training)', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const a = fer(['train', '--out', file]);
    expect(a.code, a.err).toBe(1);
    expect(a.err).toContain(`--out ${file}: ${file} is not a folder`);
    expect(a.err).not.toMatch(/synthetic/); // refused before the data were even made
    const b = fer(['train', '--out', '/proc/x'], 60_000);
    expect(b.code, b.err).toBe(1);
    expect(b.err).toContain('--out /proc/x: cannot create /proc/x');
    expect(b.seconds).toBeLessThan(50);
  });

  it('drift with fewer than 2 images', async () => {
    const one = csv('one.csv', [HEADER, row(0)]);
    const err: string[] = [];
    const code = await runDrift(['--reference', one, '--current', one, '--cpu'], { stdout: () => {}, stderr: (t) => void err.push(t) });
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/need at least 2 images per dataset \(reference 1, current 1\)/);
  });
});

describe('messages that used to mislead', () => {
  it("a pixel written '5.0' or '+5' is named as such, not 'expected 2304 pixels, got 2304'", async () => {
    for (const [token, k] of [
      ['5.0', 3],
      ['+5', 1],
    ] as const) {
      const pixels = new Array(2304).fill('7');
      pixels[k - 1] = token;
      const file = csv(`pixel-${k}.csv`, [HEADER, `0,${pixels.join(' ')},Training`]);
      await expect(loadFer2013Csv(file, { cache: false })).rejects.toThrow(
        `${file}:2: pixel ${k} is '${token}', not an integer 0-255 written in digits`,
      );
    }
  });

  it('an unclosed quote is reported at the line where the quoted field starts', async () => {
    const file = csv('quote.csv', [HEADER, row(0), `1,"${new Array(2304).fill(7).join(' ')},Training`, row(2), row(3)]);
    const err = await loadFer2013Csv(file, { cache: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerDataError);
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: a quoted field is never closed`));
  });

  it('images reached through symbolic links are images; a dangling link says so', async () => {
    const data = path.join(dir, 'linked');
    const real = path.join(dir, 'real.png');
    const png = new PNG({ width: 48, height: 48 });
    png.data.fill(200);
    fs.writeFileSync(real, PNG.sync.write(png));
    fs.mkdirSync(path.join(data, 'train', 'happy'), { recursive: true });
    fs.symlinkSync(real, path.join(data, 'train', 'happy', 'a.png'));
    const ds = await loadImageFolder(data, { cache: false });
    expect([ds.length, ds.pixels[0]]).toEqual([1, 200]);
    fs.symlinkSync(path.join(dir, 'gone.png'), path.join(data, 'train', 'happy', 'b.png'));
    await expect(loadImageFolder(data, { cache: false })).rejects.toThrow(
      `${path.join(data, 'train', 'happy', 'b.png')}: cannot read file: a symbolic link to a missing file`,
    );
  });

  it('drift history names the bad line', async () => {
    const good = JSON.stringify({
      schemaVersion: 1,
      createdAt: '2026-01-01',
      reference: 'a',
      current: 'b',
      drift: false,
      metrics: { x: 0.1 },
    });
    for (const bad of ['{"metrics": null}', '{"metrics": {"x": "high"}}', 'not json']) {
      const file = path.join(dir, 'h.jsonl');
      fs.writeFileSync(file, [good, '', bad, good].join('\n') + '\n');
      const err: string[] = [];
      const code = await runDrift(['history', file, '--out', path.join(dir, 'trend.html')], {
        stdout: () => {},
        stderr: (t) => void err.push(t),
      });
      expect(code, bad).toBe(1);
      expect(err.join(''), bad).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: not a drift history entry`));
    }
  });
});
