/**
 * Drift monitoring on FER2013: two random halves of the test split show no drift; a brightness
 * shift, a blur and a class-mix change are detected.
 *
 *   npx tsx examples/drift.ts [--data ../shared/data/fer2013] [--out drift-example]
 *
 * Embeddings here are 6x6 average-pooled pixels (64 values per image) so the example needs no
 * trained model; with one, pass `model` to driftReport instead (see `fer-gpu drift --weights`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/gpu/dawn.js';
import { loadImageFolder } from '../src/data/folder.js';
import { splitIndices, subset, type FerDataset } from '../src/data/dataset.js';
import { driftReport } from '../src/drift/report.js';
import { renderDriftHtml } from '../src/drift/html.js';
import { blur, randomHalves, resampleClasses, shiftBrightness } from '../src/drift/shifts.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, out: { type: 'string' } } });
const dataDir = values.data ?? path.resolve(import.meta.dirname, '../../shared/data/fer2013');
if (!fs.existsSync(dataDir)) {
  console.error(`examples/drift.ts: no FER2013 image folder at ${dataDir}; pass --data <dir> (train/<class>/, test/<class>/)`);
  process.exit(1);
}

/** 6x6 average pooling of each 48x48 image → 8x8 = 64 values in [0, 1]. */
function pooled(ds: FerDataset): Float32Array {
  const out = new Float32Array(ds.length * 64);
  for (let i = 0; i < ds.length; i++) {
    for (let by = 0; by < 8; by++) {
      for (let bx = 0; bx < 8; bx++) {
        let s = 0;
        for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) s += ds.pixels[i * 2304 + (by * 6 + y) * 48 + bx * 6 + x]!;
        out[i * 64 + by * 8 + bx] = s / 36 / 255;
      }
    }
  }
  return out;
}

const all = await loadImageFolder(dataDir);
const test = subset(all, splitIndices(all, ['Test', 'PublicTest', 'PrivateTest']));
const [reference, half] = randomHalves(test, 7);
const scenarios: [string, FerDataset][] = [
  ['random half (no shift)', half],
  ['brightness +25', shiftBrightness(half, 25)],
  ['blur 3x3', blur(half, 1)],
  ['class mix: 50% happy', resampleClasses(half, [1, 0.1, 1, 6, 1, 1, 1], half.length, 3)],
];

const device = await createDevice();
const outDir = values.out;
if (outDir) fs.mkdirSync(outDir, { recursive: true });
const rows: string[][] = [];
try {
  for (const [name, current] of scenarios) {
    const t0 = performance.now();
    const report = await driftReport({
      reference,
      current,
      device,
      options: {
        referenceOutputs: { embeddings: pooled(reference), dim: 64 },
        currentOutputs: { embeddings: pooled(current), dim: 64 },
        embedding: { method: 'mmd' },
        referenceName: `${dataDir} test half A`,
        currentName: name,
      },
    });
    const s = report.summary;
    const drifted = report.features.filter((f) => f.drifted).map((f) => f.name);
    rows.push([
      name,
      String(current.length),
      `${s.numberOfDriftedFeatures}/${s.numberOfFeatures} ${drifted.join(',')}`,
      `${report.embeddings!.driftScore.toFixed(4)} ${s.embeddingDrift ? 'DRIFT' : 'ok'}`,
      `${report.labels!.classDrift.method} ${report.labels!.classDrift.score.toFixed(3)} ${s.labelDrift ? 'DRIFT' : 'ok'}`,
      s.drift ? 'DRIFT' : 'no drift',
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    ]);
    if (outDir) fs.writeFileSync(path.join(outDir, `${name.replace(/[^a-z0-9]+/gi, '-')}.html`), renderDriftHtml(report));
  }
} finally {
  device.destroy();
}
const header = ['scenario', 'images', 'drifted features', 'embeddings (mmd)', 'labels', 'verdict', 'time'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(`reference: ${reference.length} images (random half of the FER2013 test split), adapter: ${device.info.description}`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
