/** The autotuner's store in Node: a JSON file under FER_GPU_CACHE_DIR (the browser's is IndexedDB). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { autotune, setTuneStore } from '../../src/kernels/autotune.js';
import { chooseTiling } from '../../src/kernels/gemm/tiling.js';
import { fileTuneStore, tuneCachePath } from '../../src/kernels/tune-file.js';
import { useDevice } from '../helpers.js';

const device = useDevice();

it('autotune writes its winner to FER_GPU_CACHE_DIR/tilings.json, a later run reads it, and an unwritable folder does not fail', async () => {
  const d = device();
  const dir = mkdtempSync(join(tmpdir(), 'fer-gpu-tune-'));
  const saved = process.env.FER_GPU_CACHE_DIR;
  process.env.FER_GPU_CACHE_DIR = dir;
  try {
    setTuneStore(fileTuneStore);
    const won = await autotune(d, 'matmul', { M: 24, K: 8, N: 40 }, 1);
    const file = JSON.parse(readFileSync(tuneCachePath(), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(Object.values(file).map((e) => e.matmul)).toContainEqual(won);
    setTuneStore(fileTuneStore); // as a new process would: the winner comes back from the file
    expect(chooseTiling(d, 'matmul', { rows: 24, cols: 40, depth: 8 })).toEqual(won);
    process.env.FER_GPU_CACHE_DIR = join(tuneCachePath(), 'not-a-dir');
    await expect(autotune(d, 'matmul', { M: 8, K: 4, N: 8 }, 1)).resolves.toHaveProperty('bm');
  } finally {
    if (saved === undefined) delete process.env.FER_GPU_CACHE_DIR;
    else process.env.FER_GPU_CACHE_DIR = saved;
    setTuneStore(fileTuneStore);
    rmSync(dir, { recursive: true, force: true });
  }
});

it('tilings.json lives in the same user cache folder as the data cache: FER_GPU_CACHE_DIR, else an absolute XDG_CACHE_HOME, else ~/.cache', () => {
  const saved = { dir: process.env.FER_GPU_CACHE_DIR, xdg: process.env.XDG_CACHE_HOME };
  try {
    delete process.env.FER_GPU_CACHE_DIR;
    process.env.XDG_CACHE_HOME = '/tmp/xdg-cache';
    expect(tuneCachePath()).toBe('/tmp/xdg-cache/fer-gpu/tilings.json');
    process.env.XDG_CACHE_HOME = 'relative/cache'; // not absolute: ignored, as the XDG spec says
    expect(tuneCachePath()).toBe(join(homedir(), '.cache', 'fer-gpu', 'tilings.json'));
    process.env.FER_GPU_CACHE_DIR = '/tmp/mine';
    expect(tuneCachePath()).toBe('/tmp/mine/tilings.json');
  } finally {
    for (const [key, value] of [
      ['FER_GPU_CACHE_DIR', saved.dir],
      ['XDG_CACHE_HOME', saved.xdg],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});
