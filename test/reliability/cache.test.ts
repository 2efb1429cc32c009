/**
 * Issue 14 item 8: the decoded-data cache is keyed by the data's content, lives in the user's own
 * cache folder, and serves nothing it cannot trust (another user's file, a file others may write,
 * data that do not match their checksum).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadFer2013Csv } from '../../src/data/csv.js';
import { writeCache } from '../../src/data/cache.js';
import { row, tmpDir } from '../data/helpers.js';

const HEADER = 'emotion,pixels,Usage';
const isRoot = process.getuid?.() === 0;

function csv(labels: number[]): string {
  const file = path.join(tmpDir(), 'fer.csv');
  fs.writeFileSync(file, [HEADER, ...labels.map((l) => row(l, 10 + l))].join('\n') + '\n');
  return file;
}

/** Rewrites the label bytes inside a cache file (they follow the JSON header), as a forger would. */
function forgeLabels(cacheFile: string, label: number): void {
  const buf = fs.readFileSync(cacheFile);
  const headerLen = buf.readUInt32LE(8);
  const n = (JSON.parse(buf.toString('utf8', 12, 12 + headerLen)) as { length: number }).length;
  buf.fill(label, 12 + headerLen, 12 + headerLen + n);
  fs.writeFileSync(cacheFile, buf);
}

describe('decoded-data cache', () => {
  const saved = { xdg: process.env.XDG_CACHE_HOME, fer: process.env.FER_GPU_CACHE_DIR };
  let home: string;
  beforeEach(() => {
    home = tmpDir('fer-xdg-');
    process.env.XDG_CACHE_HOME = home;
    delete process.env.FER_GPU_CACHE_DIR;
  });
  afterEach(() => {
    for (const [k, v] of [
      ['XDG_CACHE_HOME', saved.xdg],
      ['FER_GPU_CACHE_DIR', saved.fer],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('lives in $XDG_CACHE_HOME/fer-gpu, private to the user, and never beside the data', async () => {
    const file = csv([0, 1, 2]);
    fs.chmodSync(path.dirname(file), 0o555); // a read-only data folder, once a reason to use os.tmpdir()
    try {
      const a = await loadFer2013Csv(file);
      expect(a.info?.cache).toBe('written');
      expect(path.dirname(a.info!.cachePath!)).toBe(path.join(home, 'fer-gpu', 'data'));
      expect(fs.statSync(path.join(home, 'fer-gpu', 'data')).mode & 0o777).toBe(0o700);
      expect(fs.statSync(a.info!.cachePath!).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(path.dirname(file))).toEqual(['fer.csv']);
      expect((await loadFer2013Csv(file)).info?.cache).toBe('hit');
    } finally {
      fs.chmodSync(path.dirname(file), 0o755);
    }
  });

  it('is keyed by content: an edit that keeps the size and modification time is not served the old labels', async () => {
    const file = csv([0, 1, 2]);
    const when = 1_700_000_000; // a whole second: set again exactly after the edit
    fs.utimesSync(file, when, when);
    expect((await loadFer2013Csv(file)).info?.cache).toBe('written');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/\n1,/, '\n5,')); // same size
    fs.utimesSync(file, when, when);
    expect(fs.statSync(file).mtimeMs).toBe(when * 1000);
    const edited = await loadFer2013Csv(file);
    expect(edited.info?.cache).not.toBe('hit');
    expect(Array.from(edited.labels)).toEqual([0, 5, 2]);
  });

  it('data that do not match their checksum are not served', async () => {
    const file = csv([0, 1, 2]);
    const first = await loadFer2013Csv(file);
    forgeLabels(first.info!.cachePath!, 6);
    const again = await loadFer2013Csv(file);
    expect(again.info?.cache).not.toBe('hit');
    expect(Array.from(again.labels)).toEqual([0, 1, 2]);
  });

  it('a cache file others may write is not served', async () => {
    const file = csv([3, 4]);
    const first = await loadFer2013Csv(file);
    fs.chmodSync(first.info!.cachePath!, 0o666);
    expect((await loadFer2013Csv(file)).info?.cache).not.toBe('hit');
  });

  it.skipIf(!isRoot)("another user's cache file is not served, even a well-formed one", async () => {
    const file = csv([0, 1, 2]);
    const dir = tmpDir('fer-shared-cache-');
    const first = await loadFer2013Csv(file, { cache: dir });
    const planted = first.info!.cachePath!;
    // A forger who knows the format: the right key, other labels, a matching checksum.
    const buf = fs.readFileSync(planted);
    const { key } = JSON.parse(buf.toString('utf8', 12, 12 + buf.readUInt32LE(8))) as { key: string };
    writeCache(planted, key, { ...first, labels: Uint8Array.of(6, 6, 6) });
    expect(Array.from((await loadFer2013Csv(file, { cache: dir })).labels)).toEqual([6, 6, 6]); // well-formed: served while it is ours
    fs.chownSync(planted, 65534, 65534);
    const again = await loadFer2013Csv(file, { cache: dir });
    expect(again.info?.cache).not.toBe('hit');
    expect(Array.from(again.labels)).toEqual([0, 1, 2]);
  });
});
