/**
 * The model's results for the README: evaluates a checkpoint on FER2013's PrivateTest (single
 * crop, and ten-crop TTA with --tta), also with the PrivateTest images whose decoded pixels occur
 * in Training removed, plus PublicTest (the validation split that picked the checkpoint) and both
 * test splits without their 568 Training duplicates. Writes to --out (default docs/results):
 *
 *   results.json           everything: checkpoint, data, every evaluation's full report, timings
 *   results.md             a snippet for the README: summary table, per-class table, picture, commands
 *   confusion-matrix.png   PrivateTest, single crop, rows normalised (recall on the diagonal)
 *   per-class.png          PrivateTest, single crop: precision, recall, F1 per class
 *
 *   npx tsx scripts/model-report.ts --data ../shared/data/fer2013 [--weights models/fer-resnet18.safetensors] [--tta]
 *       [--out docs/results] [--train-command "npx tsx src/cli/main.ts train …"]… [--train-log runs/x/train-log.jsonl]…
 *
 * Each image's prediction is computed once per split and view (single crop / TTA); the
 * "without Training duplicates" rows use the same predictions minus those images, so they equal
 * `fer-gpu eval --exclude-train-duplicates` on the same weights.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/gpu/dawn.js';
import { loadFer2013 } from '../src/data/auto.js';
import { findTrainingDuplicates } from '../src/data/check.js';
import { splitIndices, type FerDataset, type FerSplit } from '../src/data/dataset.js';
import { argmaxRows, predictDataset } from '../src/train/evaluate.js';
import { loadModel } from '../src/train/checkpoint.js';
import { resolveWeights } from '../src/train/pretrained.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { classificationReport, writePlot, type ClassificationReport } from '../src/metrics/index.js';
import { VERSION } from '../src/version.js';

const { values: a } = parseArgs({
  options: {
    weights: { type: 'string' },
    data: { type: 'string' },
    tta: { type: 'boolean', default: false },
    'no-public': { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/results' },
    'batch-size': { type: 'string', default: '256' },
    'train-command': { type: 'string', multiple: true },
    'train-log': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (a.help || !a.data) {
  console.error(
    'usage: npx tsx scripts/model-report.ts --data <fer2013 folder|csv> [--weights w.safetensors] [--tta] [--no-public] [--out docs/results]\n' +
      '         [--train-command "…"]… [--train-log train-log.jsonl]… (one per training stage) [--batch-size 256]',
  );
  process.exit(a.help ? 0 : 1);
}
const batchSize = Number(a['batch-size']);
const log = (s: string) => console.error(s);
const rel = (p: string) => path.relative(process.cwd(), path.resolve(p)) || '.';

const weights = resolveWeights(a.weights);
const weightBytes = fs.readFileSync(weights);
const { tensors } = readSafetensors(weights);
const parameters = Object.entries(tensors)
  .filter(([k]) => !/running_(mean|var)$|num_batches_tracked$/.test(k))
  .reduce((n, [, t]) => n + t.shape.reduce((x, y) => x * y, 1), 0);

const data: FerDataset = await loadFer2013(a.data);
for (const s of ['Training', 'PrivateTest'] as const) {
  if (splitIndices(data, s).length === 0)
    throw new Error(`${a.data}: no ${s} images (this script needs FER2013's Training and PrivateTest splits)`);
}
const doPublic = !a['no-public'] && splitIndices(data, 'PublicTest').length > 0;

const device = await createDevice();
const { model, info } = loadModel(device, weights);
const k = model.numClasses;
const classes = Array.from({ length: k }, (_, i) => i);
const names = classes.map((i) => info.classes[i] ?? String(i));

/** Predictions of one split and view, by dataset index. */
interface Predictions {
  split: FerSplit;
  tta: boolean;
  byIndex: Map<number, { p: Float32Array; label: number }>;
  seconds: number;
}
async function predictSplit(split: FerSplit, tta: boolean): Promise<Predictions> {
  const t0 = performance.now();
  log(`predicting ${split}${tta ? ' (ten-crop TTA)' : ''} …`);
  const r = await predictDataset(device, model, data, { split, tta, mean: info.mean, std: info.std, batchSize });
  const seconds = (performance.now() - t0) / 1000;
  const byIndex = new Map<number, { p: Float32Array; label: number }>();
  r.indices.forEach((idx, j) => byIndex.set(idx, { p: r.probabilities.subarray(j * k, (j + 1) * k), label: r.labels[j]! }));
  log(`  ${r.indices.length} images in ${seconds.toFixed(1)} s (${(r.indices.length / seconds).toFixed(0)} img/s)`);
  return { split, tta, byIndex, seconds };
}

/** The report on the given images (dataset indices), from stored predictions. */
function reportOn(preds: Predictions[], keep: (idx: number) => boolean): { report: ClassificationReport; images: number } {
  const rows = preds.flatMap((pr) => [...pr.byIndex].filter(([idx]) => keep(idx)).map(([, v]) => v));
  const probs = new Float32Array(rows.length * k);
  rows.forEach((r, i) => probs.set(r.p, i * k));
  const labels = Int32Array.from(rows, (r) => r.label);
  return {
    report: classificationReport(labels, argmaxRows(probs, k), { labels: classes, targetNames: names, probabilities: probs }),
    images: rows.length,
  };
}

const dupPrivate = findTrainingDuplicates(data, 'PrivateTest');
const dupBoth = findTrainingDuplicates(data, ['PublicTest', 'PrivateTest']);
const dupSet = new Set(dupBoth.indices);
log(
  `PrivateTest images also in Training: ${dupPrivate.indices.length} of ${dupPrivate.searched}; PublicTest+PrivateTest: ${dupBoth.indices.length} of ${dupBoth.searched}`,
);

const privatePlain = await predictSplit('PrivateTest', false);
const publicPlain = doPublic ? await predictSplit('PublicTest', false) : null;
const privateTta = a.tta ? await predictSplit('PrivateTest', true) : null;
model.dispose();
const adapter = device.info.description || device.info.device || device.info.backend;
device.destroy();

interface Row {
  id: string;
  title: string;
  split: string;
  tta: boolean;
  excludedTrainDuplicates: number;
  images: number;
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  report: ClassificationReport;
}
const rows: Row[] = [];
function add(id: string, title: string, preds: Predictions[], excludeDuplicates: boolean): Row {
  const { report, images } = reportOn(preds, (idx) => !(excludeDuplicates && dupSet.has(idx)));
  const all = preds.reduce((n, p) => n + p.byIndex.size, 0);
  const row: Row = {
    id,
    title,
    split: preds.map((p) => p.split).join('+'),
    tta: preds[0]!.tta,
    excludedTrainDuplicates: all - images,
    images,
    accuracy: report.accuracy ?? report.microAvg!.f1,
    macroF1: report.macroAvg.f1,
    weightedF1: report.weightedAvg.f1,
    report,
  };
  rows.push(row);
  return row;
}
const headline = add('private', 'PrivateTest', [privatePlain], false);
add('private-dedup', `PrivateTest without its ${dupPrivate.indices.length} images also in Training`, [privatePlain], true);
if (privateTta) {
  add('private-tta', 'PrivateTest, ten-crop TTA', [privateTta], false);
  add(
    'private-tta-dedup',
    `PrivateTest, ten-crop TTA, without its ${dupPrivate.indices.length} images also in Training`,
    [privateTta],
    true,
  );
}
if (publicPlain) {
  add('public', 'PublicTest (validation: picked the checkpoint)', [publicPlain], false);
  add(
    'test-dedup',
    `PublicTest+PrivateTest without their ${dupBoth.indices.length} images also in Training`,
    [publicPlain, privatePlain],
    true,
  );
}

fs.mkdirSync(a.out!, { recursive: true });
const cmPng = path.join(a.out!, 'confusion-matrix.png');
const barsPng = path.join(a.out!, 'per-class.png');
await writePlot(cmPng, {
  type: 'confusionMatrix',
  cm: headline.report.confusionMatrix!,
  classNames: names,
  normalize: 'true',
  title: `FER2013 PrivateTest (n=${headline.images}), rows normalised`,
});
await writePlot(barsPng, { type: 'perClassBars', report: headline.report, title: 'FER2013 PrivateTest: precision, recall, F1' });

// A model trained in stages (a run, then a fine-tuning run with --init) has one log and one command per stage.
const trainCommands = a['train-command'] ?? [];
const trainLogs = (a['train-log'] ?? [path.join(path.dirname(weights), 'train-log.jsonl')]).filter((f) => fs.existsSync(f));
const training = trainLogs.map((f, i) => ({
  log: rel(f),
  command: trainCommands[i] ?? null,
  epochs: fs
    .readFileSync(f, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l)),
}));
const evalCommand = [
  'npx tsx scripts/model-report.ts',
  '--data',
  a.data,
  ...(a.weights ? ['--weights', a.weights] : []),
  ...(a.tta ? ['--tta'] : []),
  ...(a.out !== 'docs/results' ? ['--out', a.out!] : []),
].join(' ');
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const f3 = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(3));
const int = (n: number) => n.toLocaleString('en-US');

const json = {
  generated: new Date().toISOString(),
  ferGpuVersion: VERSION,
  adapter,
  command: evalCommand,
  trainCommands,
  weights: {
    file: rel(weights),
    bytes: weightBytes.length,
    sha256: createHash('sha256').update(weightBytes).digest('hex'),
    arch: info.arch,
    width: info.width,
    parameters,
    mean: info.mean,
    std: info.std,
    classes: info.classes,
  },
  data: {
    source: rel(data.source),
    images: data.length,
    splits: Object.fromEntries((['Training', 'PublicTest', 'PrivateTest'] as const).map((s) => [s, splitIndices(data, s).length])),
  },
  trainDuplicates: {
    note: 'test images whose decoded 48x48 pixels also occur in the Training split (fer-gpu data check, fer-gpu eval --exclude-train-duplicates)',
    PrivateTest: { count: dupPrivate.indices.length, of: dupPrivate.searched, otherClass: dupPrivate.otherClass },
    'PublicTest+PrivateTest': { count: dupBoth.indices.length, of: dupBoth.searched, otherClass: dupBoth.otherClass },
  },
  seconds: Object.fromEntries(
    [privatePlain, publicPlain, privateTta]
      .filter((p): p is Predictions => p !== null)
      .map((p) => [`${p.split}${p.tta ? '-tta' : ''}`, Number(p.seconds.toFixed(1))]),
  ),
  evaluations: rows.map(({ report, ...r }) => ({ ...r, report: report.toJSON() })),
  training,
};
fs.writeFileSync(path.join(a.out!, 'results.json'), JSON.stringify(json, null, 2) + '\n');

const md: string[] = [];
md.push(
  `Model: \`${rel(weights)}\` — fer-resnet18, width ${info.width}, ${int(parameters)} parameters, ${(weightBytes.length / 1e6).toFixed(2)} MB ` +
    `(sha256 \`${json.weights.sha256.slice(0, 12)}…\`), evaluated with fer-gpu ${VERSION} on ${adapter}.`,
  '',
  '| evaluation | images | accuracy | macro F1 | weighted F1 |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.title} | ${int(r.images)} | ${pct(r.accuracy)} | ${f3(r.macroF1)} | ${f3(r.weightedF1)} |`),
  '',
  `Per class, PrivateTest, single crop (scikit-learn's \`classification_report\`):`,
  '',
  '| class | precision | recall | F1 | support |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...headline.report.classes.map((c) => `| ${c.name} | ${f3(c.precision)} | ${f3(c.recall)} | ${f3(c.f1)} | ${int(c.support)} |`),
  `| macro avg | ${f3(headline.report.macroAvg.precision)} | ${f3(headline.report.macroAvg.recall)} | ${f3(headline.report.macroAvg.f1)} | ${int(headline.report.macroAvg.support)} |`,
  `| weighted avg | ${f3(headline.report.weightedAvg.precision)} | ${f3(headline.report.weightedAvg.recall)} | ${f3(headline.report.weightedAvg.f1)} | ${int(headline.report.weightedAvg.support)} |`,
  '',
  `![Confusion matrix on FER2013 PrivateTest, rows normalised](${path.posix.join(...rel(cmPng).split(path.sep))})`,
  '',
  `${int(dupPrivate.indices.length)} of the ${int(dupPrivate.searched)} PrivateTest images (${int(dupBoth.indices.length)} of the ${int(dupBoth.searched)} test images) ` +
    `have pixel-identical copies in Training (${int(dupPrivate.otherClass)} of those PrivateTest images with another label there); ` +
    '`fer-gpu eval --exclude-train-duplicates` leaves them out.',
  '',
  'Reproduce:',
  '',
  '```sh',
  ...(trainCommands.length ? trainCommands : ['# (training command: pass --train-command to record it here)']),
  evalCommand,
  `npx tsx src/cli/main.ts eval --data ${a.data}${a.weights ? ` --weights ${a.weights}` : ''} --split PrivateTest --exclude-train-duplicates`,
  '```',
);
fs.writeFileSync(path.join(a.out!, 'results.md'), md.join('\n') + '\n');

console.log(md.join('\n'));
log(`\nwrote ${rel(path.join(a.out!, 'results.json'))}, ${rel(path.join(a.out!, 'results.md'))}, ${rel(cmPng)}, ${rel(barsPng)}`);
