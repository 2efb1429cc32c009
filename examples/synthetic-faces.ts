/**
 * Writes a contact sheet of the built-in synthetic faces: one column per class
 * (angry, disgust, fear, happy, sad, surprise, neutral, left to right), one row per example.
 *
 *   npx tsx examples/synthetic-faces.ts [out.png] [--rows 6] [--seed 0] [--zoom 3]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { FER_CLASSES, FER_IMAGE_SIZE } from '../src/classes.js';
import { FER_PIXELS } from '../src/data/dataset.js';
import { syntheticFaces } from '../src/data/synthetic.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rows: { type: 'string', default: '6' },
    seed: { type: 'string', default: '0' },
    zoom: { type: 'string', default: '3' },
  },
});
const out = positionals[0] ?? 'synthetic-faces.png';
const rows = Number(values.rows);
const seed = Number(values.seed);
const zoom = Number(values.zoom);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got '${values.seed}'`);
for (const [name, v] of [
  ['rows', rows],
  ['zoom', zoom],
] as const) {
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`--${name} must be a positive integer, got '${values[name]}'`);
}

const nClasses = FER_CLASSES.length;
// Image i has class i % 7, so row r, column c is image r * 7 + c.
const ds = syntheticFaces({ perClass: rows, seed, split: 'Training' });
const cell = FER_IMAGE_SIZE * zoom;
const gap = 2;
const png = new PNG({ width: nClasses * (cell + gap) + gap, height: rows * (cell + gap) + gap });
png.data.fill(255); // white gaps, opaque

for (let r = 0; r < rows; r++) {
  for (let c = 0; c < nClasses; c++) {
    const img = ds.pixels.subarray((r * nClasses + c) * FER_PIXELS, (r * nClasses + c + 1) * FER_PIXELS);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const g = img[Math.floor(y / zoom) * FER_IMAGE_SIZE + Math.floor(x / zoom)]!;
        const o = ((gap + r * (cell + gap) + y) * png.width + gap + c * (cell + gap) + x) * 4;
        png.data[o] = png.data[o + 1] = png.data[o + 2] = g;
      }
    }
  }
}
fs.writeFileSync(out, PNG.sync.write(png));
console.log(`wrote ${out}: ${rows} rows x ${nClasses} columns (${FER_CLASSES.join(', ')}), seed ${seed}`);
