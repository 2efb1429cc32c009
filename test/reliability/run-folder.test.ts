/**
 * Issue 14 item 4: one run per run folder. A run locks its folder (a lock whose process is gone
 * is stale and taken over); a fresh run refuses a folder that holds a run unless told to overwrite.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { InputError } from '../../src/errors.js';
import { HEARTBEAT_MS, STALE_AFTER_MS, lockRunFolder } from '../../src/train/run-folder.js';
import { useDevice } from '../helpers.js';

const quiet = Object.assign(() => {}, {});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fer-runfolder-'));
const ds = syntheticFaces({ perClass: 12, seed: 6 });
const lockOf = (dir: string) => path.join(dir, 'run.lock');
const logOf = (dir: string) => fs.readFileSync(path.join(dir, 'train-log.jsonl'), 'utf8').trim().split('\n');

describe('run folder', () => {
  const device = useDevice();
  const base = (over: Partial<TrainOptions> = {}) => {
    const d = device();
    return {
      device: d,
      model: ferResNet18(d, { width: 4, seed: 2 }),
      trainSet: ds,
      epochs: 1,
      batchSize: 16,
      log: quiet,
      seed: 9,
      ...over,
    } as TrainOptions;
  };

  it('a second run into a folder in use is refused; the first completes and unlocks it', async () => {
    const dir = tmp();
    const [a, b] = [base({ outDir: dir }), base({ outDir: dir })];
    const first = train(a);
    const second = await train(b).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(InputError);
    expect((second as Error).message).toMatch(new RegExp(`is in use by another training run \\(pid ${process.pid} on ${os.hostname()}`));
    expect((await first).history).toHaveLength(1);
    expect(logOf(dir)).toHaveLength(1);
    expect(fs.existsSync(lockOf(dir))).toBe(false);
    for (const o of [a, b]) o.model.dispose();
  });

  it('the lock of a process that is gone is stale and taken over', async () => {
    const dir = tmp();
    const gone = spawnSync(process.execPath, ['-e', '']).pid; // exited: its pid is free
    fs.writeFileSync(lockOf(dir), JSON.stringify({ pid: gone, host: os.hostname(), since: '2026-01-01T00:00:00Z', token: 'dead' }));
    const o = base({ outDir: dir });
    await train(o);
    expect(logOf(dir)).toHaveLength(1);
    expect(fs.existsSync(lockOf(dir))).toBe(false);
    o.model.dispose();
  });

  it('a lock from another host is respected, and the message says how to clear it', async () => {
    const dir = tmp();
    fs.writeFileSync(lockOf(dir), JSON.stringify({ pid: 1, host: 'elsewhere', since: '2026-01-01T00:00:00Z', token: 'far' }));
    const o = base({ outDir: dir });
    await expect(train(o)).rejects.toThrow(
      `(pid 1 on elsewhere, since 2026-01-01T00:00:00Z); wait for it to end, or use another folder. If that run is gone, delete ${lockOf(dir)}.`,
    );
    expect(fs.existsSync(lockOf(dir))).toBe(true); // not ours to remove
    o.model.dispose();
  });

  it('a lock from another host is stale once its heartbeat stops, and respected while it beats', async () => {
    const dir = tmp();
    const far = { pid: 1, host: 'elsewhere', since: '2026-01-01T00:00:00Z', token: 'far', heartbeat: true };
    fs.writeFileSync(lockOf(dir), JSON.stringify(far));
    const o = base({ outDir: dir });
    await expect(train(o)).rejects.toThrow('(pid 1 on elsewhere, since 2026-01-01T00:00:00Z)'); // touched just now
    const quiet = new Date(Date.now() - STALE_AFTER_MS - 1000);
    fs.utimesSync(lockOf(dir), quiet, quiet);
    await train(o);
    expect(logOf(dir)).toHaveLength(1);
    expect(fs.existsSync(lockOf(dir))).toBe(false);
    o.model.dispose();
  });

  it('the holder touches its lock every heartbeat, and stops when it releases the lock', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const dir = tmp();
      const release = lockRunFolder(dir);
      const old = new Date(Date.now() - STALE_AFTER_MS);
      fs.utimesSync(lockOf(dir), old, old);
      vi.advanceTimersByTime(HEARTBEAT_MS);
      expect(Date.now() - fs.statSync(lockOf(dir)).mtimeMs).toBeLessThan(HEARTBEAT_MS);
      expect(JSON.parse(fs.readFileSync(lockOf(dir), 'utf8'))).toMatchObject({ pid: process.pid, heartbeat: true });
      release();
      expect(fs.existsSync(lockOf(dir))).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a fresh run into a folder holding a run is refused; overwrite replaces that run', async () => {
    const dir = tmp();
    const o = base({ outDir: dir });
    await train(o);
    const again = base({ outDir: dir });
    await expect(train(again)).rejects.toThrow(
      /already holds a run \(checkpoint\.safetensors, last\.safetensors, best\.safetensors, train-log\.jsonl\); continue it with --resume, replace it with --overwrite/,
    );
    expect(logOf(dir)).toHaveLength(1);
    const replaced = base({ outDir: dir, overwrite: true, epochs: 2 });
    await train(replaced);
    expect(logOf(dir).map((l) => JSON.parse(l).epoch)).toEqual([1, 2]); // the old run's line is gone
    for (const m of [o, again, replaced]) m.model.dispose();
  });

  it('an outDir that cannot be a folder fails at once, naming it', async () => {
    const file = path.join(tmp(), 'a-file');
    fs.writeFileSync(file, 'x');
    const o = base({ outDir: path.join(file, 'run') });
    await expect(train(o)).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a folder`));
    o.model.dispose();
  });
});
