/**
 * `fer-gpu demo` (`npm start`): the shipped model on the sample faces, the faces of the sample
 * photo, then a short training run and its evaluation, naming the adapter, with the pictures written. Run small here (1 epoch on
 * 140 faces); CI runs the full `npm start`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DEMO_STEPS, runDemo, SAMPLE_PHOTO_FILE } from '../../src/cli/demo.js';
import { FER_CLASSES } from '../../src/classes.js';
import { recognize } from '../../src/faces/node.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('fer-gpu demo', () => {
  it('prints the adapter, the sample-face table, the faces of the sample photo and the evaluation report; writes the pictures and the weights', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-demo-')), 'demo');
    const lines: string[] = [];
    await runDemo({ out, epochs: 1, images: 140, log: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(lines[0]).toMatch(/^fer-gpu demo on .+ \((vulkan|metal|d3d12|opengl|opengles), (core|compatibility) feature level\)/);
    expect(DEMO_STEPS).toHaveLength(3);
    for (const [n, step] of DEMO_STEPS.entries()) expect(lines).toContain(`${n + 1}. ${step.title}`);
    // 14 table rows: face number, the class drawn, a predicted class, its probability
    const rows = lines.filter((l) => /^ {2}\d+ +\w+ +\w+ +\d+% /.test(l));
    expect(rows).toHaveLength(14);
    for (const r of rows) expect(FER_CLASSES).toContain(r.trim().split(/ +/)[2]);
    expect(text).toMatch(/ \d+ of 14 as drawn\./);
    // the sample photo: its five faces, as recognize() finds them, one row each
    const photo = path.join(ROOT, SAMPLE_PHOTO_FILE);
    const faces = await recognize(photo);
    expect(faces).toHaveLength(5);
    expect(text).toContain(`${SAMPLE_PHOTO_FILE} (960x699, a group photo from @vladmandic/face-api, MIT): 5 faces found`);
    faces.forEach((f, i) => {
      const box = [f.box.x, f.box.y, f.box.width, f.box.height].map((v) => Math.round(v)).join(', ');
      expect(
        lines.some(
          (l) => l.startsWith(`  ${i + 1} `) && l.includes(box) && l.includes(`${f.label} ${Math.round(100 * f.probabilities[f.label]!)}%`),
        ),
        `face ${i + 1}: ${box} ${f.label}`,
      ).toBe(true);
    });
    expect(jpeg.decode(fs.readFileSync(path.join(out, 'group-photo.jpg'))).width).toBe(960);
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
