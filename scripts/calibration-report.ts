/**
 * Calibration of a checkpoint, fitted on PublicTest and reported on PrivateTest (and on PrivateTest
 * without its images also in Training): a temperature (fer-gpu calibrate), and a temperature plus a
 * per-class logit bias that maximises PublicTest macro F1 (fer-gpu calibrate --logit-bias), each
 * against the uncalibrated model: accuracy, macro recall, macro F1, NLL and ECE. Single crop.
 * Writes JSON and a Markdown table; the predictions are computed once, and the figures equal
 * `fer-gpu calibrate` then `fer-gpu eval [--no-calibration]` on the same weights.
 *
 *   npx tsx scripts/calibration-report.ts --data ../shared/data/fer2013 [--weights w.safetensors]
 *       [--json docs/results/calibration.json] [--md docs/results/calibration.md]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/gpu/dawn.js';
import { loadFer2013 } from '../src/data/auto.js';
import { findTrainingDuplicates } from '../src/data/check.js';
import { predictDataset } from '../src/train/evaluate.js';
import { loadModel } from '../src/train/checkpoint.js';
import { resolveWeights } from '../src/train/pretrained.js';
import {
  calibrationScores,
  fitCalibrationOnLogits,
  logProbabilities,
  type Calibration,
  type CalibrationScores,
} from '../src/train/calibration.js';
import { VERSION } from '../src/version.js';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string' },
    weights: { type: 'string' },
    json: { type: 'string', default: 'docs/results/calibration.json' },
    md: { type: 'string', default: 'docs/results/calibration.md' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (a.help || !a.data) {
  console.error(
    'usage: npx tsx scripts/calibration-report.ts --data <fer2013 folder|csv> [--weights w.safetensors] [--json out.json] [--md out.md]',
  );
  process.exit(a.help ? 0 : 1);
}
const weights = resolveWeights(a.weights);
const data = await loadFer2013(a.data);
const device = await createDevice();
const { model, info } = loadModel(device, weights);
const k = model.numClasses;
const run = (split: 'PublicTest' | 'PrivateTest') => predictDataset(device, model, data, { split, mean: info.mean, std: info.std });
const pub = await run('PublicTest');
const priv = await run('PrivateTest');
model.dispose();
device.destroy();

const pubLogits = logProbabilities(pub.probabilities);
const privLogits = logProbabilities(priv.probabilities);
const fit = fitCalibrationOnLogits(pubLogits, pub.labels, k, { logitBias: true });
const variants: Array<{ name: string; calibration?: Calibration }> = [
  { name: 'uncalibrated' },
  { name: `temperature ${fit.calibration.temperature.toFixed(3)}`, calibration: { temperature: fit.calibration.temperature } },
  { name: 'temperature + logit bias', calibration: fit.calibration },
];

// PrivateTest rows without the images whose pixels also occur in Training
const dup = new Set(findTrainingDuplicates(data, 'PrivateTest').indices);
const keep = Array.from(priv.indices.keys()).filter((r) => !dup.has(priv.indices[r]!));
const pick = (x: ArrayLike<number>, rows: number[], width: number) =>
  Float64Array.from(rows.flatMap((r) => Array.from({ length: width }, (_, j) => x[r * width + j]!)));
const dedupLogits = pick(privLogits, keep, k);
const dedupLabels = Int32Array.from(keep, (r) => priv.labels[r]!);

const evaluations = [
  { id: 'PrivateTest', images: priv.labels.length, score: (c?: Calibration) => calibrationScores(privLogits, priv.labels, k, c) },
  {
    id: 'PrivateTest without Training duplicates',
    images: keep.length,
    score: (c?: Calibration) => calibrationScores(dedupLogits, dedupLabels, k, c),
  },
  { id: 'PublicTest (fit split)', images: pub.labels.length, score: (c?: Calibration) => calibrationScores(pubLogits, pub.labels, k, c) },
];
const results = evaluations.map((e) => ({
  id: e.id,
  images: e.images,
  rows: variants.map((v) => ({ name: v.name, ...e.score(v.calibration) })),
}));

const raw = results[0]!.rows[0]!;
const better = (s: CalibrationScores) => s.accuracy > raw.accuracy && s.macroRecall > raw.macroRecall;
const verdict = variants.slice(1).map((v, i) => {
  const s = results[0]!.rows[i + 1]!;
  return `${v.name}: PrivateTest accuracy ${(100 * s.accuracy).toFixed(2)}% (uncalibrated ${(100 * raw.accuracy).toFixed(2)}%), macro recall ${s.macroRecall.toFixed(3)} (${raw.macroRecall.toFixed(3)}): ${better(s) ? 'better on both' : 'not better on both'}`;
});

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const md = [
  `Calibration of \`${path.relative(process.cwd(), weights)}\` fitted on PublicTest (${pub.labels.length.toLocaleString('en-US')} images): temperature ${fit.calibration.temperature.toFixed(4)}, logit bias [${fit.calibration.logitBias!.map((b) => b.toFixed(2)).join(', ')}] (${info.classes.join(', ')}). Single crop.`,
  '',
  ...results.flatMap((r) => [
    `| ${r.id}, ${r.images.toLocaleString('en-US')} images | accuracy | macro recall | macro F1 | NLL | ECE (15 bins) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...r.rows.map(
      (s) =>
        `| ${s.name} | ${pct(s.accuracy)} | ${s.macroRecall.toFixed(3)} | ${s.macroF1.toFixed(3)} | ${s.nll.toFixed(4)} | ${s.ece.toFixed(4)} |`,
    ),
    '',
  ]),
].join('\n');
const result = {
  generated: new Date().toISOString(),
  ferGpuVersion: VERSION,
  command: `npx tsx scripts/calibration-report.ts ${process.argv.slice(2).join(' ')}`,
  weights: path.relative(process.cwd(), weights),
  data: a.data,
  calibration: fit.calibration,
  evaluations: results,
  verdict,
};
console.log(md);
for (const line of verdict) console.log(line);
for (const [file, text] of [
  [a.json!, JSON.stringify(result, null, 2) + '\n'],
  [a.md!, md],
] as const) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  console.error(`wrote ${file}`);
}
