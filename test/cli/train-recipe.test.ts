/** The training recipe on the command line: augmentation strength, warm-up and the EMA of the weights. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { runCli } from '../run-cli.js';

const run = (args: string[]) => runCli(args);

describe('fer-gpu train: recipe options', () => {
  it('takes --erasing, --scale, --warmup-epochs and --ema, and keeps the EMA in the run', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-cli-recipe-'));
    const r = run([
      'train',
      '--width',
      '4',
      '--batch-size',
      '16',
      '--epochs',
      '2',
      '--max-steps',
      '2',
      '--erasing',
      '0.5',
      '--scale',
      '0.8,1.2',
      '--warmup-epochs',
      '1',
      '--ema',
      '0.99',
      '--out',
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    const checkpoint = readCheckpoint(path.join(out, 'checkpoint.safetensors'));
    expect(checkpoint.state.ema).toEqual({ decay: 0.99, updates: 2, averageBuffers: true });
    expect(Object.keys(checkpoint.ema ?? {})).toContain('fc.weight');
  }, 120_000);

  it.each([
    [['--erasing', '1.5'], /--erasing must be a probability in \[0, 1\], got '1\.5'/],
    [['--scale', '1.2,0.8'], /--scale must be two positive numbers low,high/],
    [['--scale', '0.9'], /--scale must be two positive numbers/],
    [['--ema', '1'], /ema \(--ema\) must be a number in \(0, 1\), got 1/],
    [['--ema-bn-batches', '4'], /emaBnBatches \(--ema-bn-batches\) needs ema \(--ema\)/],
    [['--select-from', 'ema'], /selectFrom \(--select-from\) needs ema \(--ema\)/],
    [['--ema', '0.9', '--select-from', 'best'], /selectFrom \(--select-from\) must be one of either, ema, raw, got 'best'/],
  ])('rejects %j', (args, message) => {
    const r = run(['train', '--epochs', '1', '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'fer-cli-recipe-')), ...args]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
});
