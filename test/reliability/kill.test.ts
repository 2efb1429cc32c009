/**
 * Issue 14 item 3: `fer-gpu train` killed (SIGKILL) right after each rename of a checkpoint write
 * in turn, then resumed, ends exactly as the uninterrupted run: same weights, same best model,
 * same log. A preload wraps fs.renameSync to do the killing (fixtures/kill-after-rename.mjs).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { tensorsDigest } from '../../src/train/checkpoint.js';

const root = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-kill-'));
const csv = path.join(work, 'faces.csv');
const preload = path.join(__dirname, 'fixtures', 'kill-after-rename.mjs');
// 48 Training images in batches of 16: 3 steps per epoch; a checkpoint inside each epoch (step 2) and at its end.
const ARGS = ['--data', csv, '--width', '4', '--epochs', '2', '--batch-size', '16', '--checkpoint-every', '2', '--seed', '3', '--json'];

function train(out: string, extra: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    ['--import', preload, '--import', 'tsx', 'src/cli/main.ts', 'train', ...ARGS, '--out', out, ...extra],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', RENAME_DIR: out, ...env },
    },
  );
  return { status: r.status, signal: r.signal, err: r.stderr };
}

/** What must not depend on crashes: the weights, the best model, the log (less its timings), the checkpoint's step. */
function outcome(out: string) {
  const digest = (f: string) => tensorsDigest(readSafetensors(path.join(out, f)).tensors);
  const log = fs
    .readFileSync(path.join(out, 'train-log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { seconds: _s, imagesPerSecond: _i, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
  const state = JSON.parse(readSafetensors(path.join(out, 'checkpoint.safetensors')).metadata['fer-gpu.checkpoint']!) as {
    step: number;
    epoch: number;
  };
  return { last: digest('last.safetensors'), best: digest('best.safetensors'), log, step: state.step, epoch: state.epoch };
}

describe('a training run killed after any checkpoint rename resumes to the same result', () => {
  let reference: ReturnType<typeof outcome>;
  let renames: string[];

  beforeAll(() => {
    const faces = syntheticFaces({ perClass: 8, seed: 11, split: 'Training' });
    const px = (i: number) => Array.from(faces.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS)).join(' ');
    const rows = ['emotion,pixels,Usage'];
    for (let i = 0; i < 56; i++) rows.push(`${faces.labels[i]},${px(i)},${i < 48 ? 'Training' : 'PublicTest'}`);
    fs.writeFileSync(csv, rows.join('\n') + '\n');
    const out = path.join(work, 'reference');
    const log = path.join(work, 'renames.txt');
    const r = train(out, [], { RENAME_LOG: log });
    expect(r.status, r.err).toBe(0);
    reference = outcome(out);
    renames = fs.readFileSync(log, 'utf8').trim().split('\n');
  }, 120_000);

  it('the uninterrupted run: 2 epochs of 3 steps; the first epoch renames checkpoint, last (step 2), checkpoint, last, best (its end)', () => {
    expect([reference.epoch, reference.step, reference.log.length]).toEqual([2, 6, 2]);
    expect(renames.slice(0, 5)).toEqual([
      'checkpoint.safetensors',
      'last.safetensors',
      'checkpoint.safetensors',
      'last.safetensors',
      'best.safetensors',
    ]);
  });

  // Each kind of rename once (the second epoch's are the same kinds).
  for (let k = 1; k <= 5; k++) {
    it(`killed after rename ${k}, then --resume`, () => {
      const out = path.join(work, `kill-${k}`);
      const killed = train(out, [], { KILL_AFTER_RENAME: String(k) });
      expect(killed.signal, killed.err).toBe('SIGKILL');
      const resumed = train(out, ['--resume']);
      expect(resumed.status, resumed.err).toBe(0);
      expect(outcome(out)).toEqual(reference);
      expect(fs.existsSync(path.join(out, 'run.lock'))).toBe(false);
    }, 120_000);
  }
});
