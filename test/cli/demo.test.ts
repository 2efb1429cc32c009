/**
 * `fer-gpu demo` (`npm start`): the shipped model on the sample faces, then a short training run
 * and its evaluation, naming the adapter, with the pictures written. Run small here (1 epoch on
 * 140 faces); CI runs the full `npm start`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DEMO_STEPS, runDemo } from '../../src/cli/demo.js';
import { FER_CLASSES } from '../../src/classes.js';

describe('fer-gpu demo', () => {
  it('prints the adapter, the sample-face table and the evaluation report; writes the pictures and the weights', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-demo-')), 'demo');
    const lines: string[] = [];
    await runDemo({ out, epochs: 1, images: 140, log: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(lines[0]).toMatch(/^fer-gpu demo on .+ \((vulkan|metal|d3d12|opengl|opengles), (core|compatibility) feature level\)/);
    expect(DEMO_STEPS).toHaveLength(2);
    for (const [n, step] of DEMO_STEPS.entries()) expect(lines).toContain(`${n + 1}. ${step.title}`);
    // 14 table rows: face number, the class drawn, a predicted class, its probability
    const rows = lines.filter((l) => /^ {2}\d+ +\w+ +\w+ +\d+% /.test(l));
    expect(rows).toHaveLength(14);
    for (const r of rows) expect(FER_CLASSES).toContain(r.trim().split(/ +/)[2]);
    expect(text).toMatch(/ \d+ of 14 as drawn\./);
    expect(text).toMatch(/accuracy +\d\.\d\d +14\n/); // the report on the 14 test faces
    expect(text).toMatch(/The sample faces of step 1 with the fine-tuned model: \d+ of 14 as drawn\./);
    for (const picture of ['sample-faces.png', 'confusion-matrix.png']) {
      expect(pngjs.PNG.sync.read(fs.readFileSync(path.join(out, picture))).width).toBeGreaterThan(200);
    }
    expect(fs.existsSync(path.join(out, 'train', 'train-log.jsonl'))).toBe(true);
  }, 300_000);

  it('bad options are one clear error', async () => {
    await expect(runDemo({ epochs: 0, log: () => {} })).rejects.toThrow(/epochs must be a positive integer, got 0/);
    await expect(runDemo({ images: 10, log: () => {} })).rejects.toThrow(/images must be an integer >= 70/);
  });
});
