/**
 * The expression models a JavaScript developer can install, side by side with fer-gpu's on the
 * same FER2013 test images: face-api.js FaceExpressionNet and @vladmandic/human's "emotion"
 * (mini-Xception), each run with TensorFlow.js (wasm backend) and preprocessed as the peer does it
 * (bench/peers/fer-models.ts), and fer-gpu's checkpoint (single crop, on this machine's WebGPU
 * adapter). Every model sees the same decoded 48x48 images as its whole face box.
 *
 * Reported per model: accuracy, macro recall, macro F1 and per-class recall on PrivateTest,
 * PublicTest+PrivateTest, and both without the test images whose pixels also occur in Training
 * (`fer-gpu eval --exclude-train-duplicates`). Writes JSON and a Markdown table.
 *
 *   npx tsx bench/peers/fer2013.ts --data ../shared/data/fer2013 [--weights w.safetensors]
 *       [--json docs/results/peers.json] [--md docs/results/peers.md] [--limit N] [--peers face-api,human]
 *
 * `--limit N` keeps N evenly spaced images of each test split (quick runs, tests). A checkpoint with a
 * calibration (fer-gpu calibrate) is run without it and, as a second row, with it; a logit bias
 * fitted on PublicTest makes that row's PublicTest+PrivateTest figures optimistic.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDevice } from '../../src/gpu/dawn.js';
import { loadFer2013 } from '../../src/data/auto.js';
import { findTrainingDuplicates } from '../../src/data/check.js';
import { FER_PIXELS, FER_SPLITS, splitIndices, subset, type FerDataset } from '../../src/data/dataset.js';
import { FER_CLASSES } from '../../src/classes.js';
import { argmaxRows, predictDataset } from '../../src/train/evaluate.js';
import { loadModel } from '../../src/train/checkpoint.js';
import { resolveWeights } from '../../src/train/pretrained.js';
import { precisionRecallF1Support } from '../../src/metrics/index.js';
import { VERSION } from '../../src/version.js';
import { faceApiExpressionNet, humanEmotion, tensorflowWasm, type PeerModel } from './fer-models.js';

/** Scores of one model on one evaluation set. */
export interface PeerScores {
  images: number;
  accuracy: number;
  macroRecall: number;
  macroF1: number;
  /** Recall per FER2013 class, by name. */
  recall: Record<string, number>;
}

/** The evaluation sets, as predicates over the test images. */
export const EVALUATIONS = [
  { id: 'PrivateTest', label: 'PrivateTest', splits: ['PrivateTest'], dedup: false },
  { id: 'PublicTest+PrivateTest', label: 'PublicTest+PrivateTest', splits: ['PublicTest', 'PrivateTest'], dedup: false },
  { id: 'PrivateTest-dedup', label: 'PrivateTest without Training duplicates', splits: ['PrivateTest'], dedup: true },
  {
    id: 'PublicTest+PrivateTest-dedup',
    label: 'PublicTest+PrivateTest without Training duplicates',
    splits: ['PublicTest', 'PrivateTest'],
    dedup: true,
  },
] as const;

/** Accuracy, macro recall, macro F1 and per-class recall (sklearn's definitions, all 7 classes). */
export function scoreRows(probabilities: Float32Array, labels: ArrayLike<number>, rows: readonly number[]): PeerScores {
  const k = FER_CLASSES.length;
  const pred = argmaxRows(probabilities, k);
  const yTrue = rows.map((r) => labels[r]!);
  const yPred = rows.map((r) => pred[r]!);
  const classes = FER_CLASSES.map((_, j) => j);
  const per = precisionRecallF1Support(yTrue, yPred, { labels: classes });
  const macro = precisionRecallF1Support(yTrue, yPred, { labels: classes, average: 'macro' });
  return {
    images: rows.length,
    accuracy: yTrue.filter((y, i) => y === yPred[i]).length / rows.length,
    macroRecall: macro.recall,
    macroF1: macro.f1,
    recall: Object.fromEntries(FER_CLASSES.map((c, j) => [c, per.recall[j]!])),
  };
}

/** The Markdown tables of a peers result. */
export function peersMarkdown(result: { models: Array<{ name: string; scores: Record<string, PeerScores> }> }): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const three = (s: PeerScores | undefined) =>
    s ? `${pct(s.accuracy)} | ${s.macroRecall.toFixed(3)} | ${s.macroF1.toFixed(3)}` : '– | – | –';
  const table = (a: string, b: string, title: string) => {
    const first = result.models[0]!.scores;
    const n = (id: string) => first[id]?.images.toLocaleString('en-US') ?? '–';
    return [
      `| ${title} | ${a.replace('-dedup', '')} (${n(a)}) accuracy | macro recall | macro F1 | ${b.replace('-dedup', '')} (${n(b)}) accuracy | macro recall | macro F1 |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...result.models.map((m) => `| ${m.name} | ${three(m.scores[a])} | ${three(m.scores[b])} |`),
    ].join('\n');
  };
  const perClass = [
    `| recall on PrivateTest | ${FER_CLASSES.join(' | ')} |`,
    `| --- |${FER_CLASSES.map(() => ' ---: |').join('')}`,
    ...result.models.map(
      (m) => `| ${m.name} | ${FER_CLASSES.map((c) => m.scores.PrivateTest?.recall[c]?.toFixed(3) ?? '–').join(' | ')} |`,
    ),
  ].join('\n');
  return [
    table('PrivateTest', 'PublicTest+PrivateTest', 'model'),
    '',
    table('PrivateTest-dedup', 'PublicTest+PrivateTest-dedup', 'without test images also in Training'),
    '',
    perClass,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      data: { type: 'string' },
      weights: { type: 'string' },
      json: { type: 'string', default: 'docs/results/peers.json' },
      md: { type: 'string', default: 'docs/results/peers.md' },
      limit: { type: 'string' },
      peers: { type: 'string', default: 'face-api,human' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (a.help || !a.data) {
    console.error(
      'usage: npx tsx bench/peers/fer2013.ts --data <fer2013 folder|csv> [--weights w.safetensors] [--json out.json] [--md out.md] [--limit N] [--peers face-api,human]',
    );
    process.exit(a.help ? 0 : 1);
  }
  const log = (s: string) => console.error(s);
  const started = performance.now();
  const data: FerDataset = await loadFer2013(a.data);
  const limit = a.limit === undefined ? Infinity : Number(a.limit);
  if (!(limit > 0)) throw new Error(`--limit must be a positive number, got '${a.limit}'`);
  // The test images (PublicTest then PrivateTest; with --limit, that many evenly spaced ones of each), as one dataset.
  const spaced = (idx: number[]) =>
    idx.length <= limit ? idx : Array.from({ length: limit }, (_, i) => idx[Math.floor((i * idx.length) / limit)]!);
  const testIdx = (['PublicTest', 'PrivateTest'] as const).flatMap((s) => spaced(splitIndices(data, s)));
  if (testIdx.length === 0) throw new Error(`${a.data}: no PublicTest or PrivateTest images`);
  const test = subset(data, testIdx);
  const dup = new Set(findTrainingDuplicates(data).indices);
  const rowsOf = (e: (typeof EVALUATIONS)[number]) =>
    testIdx.flatMap((src, r) => ((e.splits as readonly string[]).includes(splitName(data, src)) && !(e.dedup && dup.has(src)) ? [r] : []));

  const models: Array<{ name: string; source: string; preprocessing: string; seconds: number; scores: Record<string, PeerScores> }> = [];
  const score = (p: Float32Array) =>
    Object.fromEntries(
      EVALUATIONS.map((e) => [e.id, scoreRows(p, test.labels, rowsOf(e))]).filter(([, s]) => (s as PeerScores).images > 0),
    );

  // fer-gpu
  const weights = resolveWeights(a.weights);
  const device = await createDevice();
  try {
    const { model, info } = loadModel(device, weights);
    const variants = info.calibration ? [null, info.calibration] : [null];
    for (const calibration of variants) {
      const t0 = performance.now();
      const { probabilities } = await predictDataset(device, model, test, { mean: info.mean, std: info.std, calibration });
      const name = `fer-gpu fer-resnet18(${info.width})${calibration ? ', calibrated' : ''}`;
      models.push({
        name,
        source: `fer-gpu ${VERSION}, ${path.relative(process.cwd(), weights)}`,
        preprocessing: `48x48 gray, (x/255 − ${info.mean}) / ${info.std}, single crop${calibration ? ', logits / T + logit bias' : ''}`,
        seconds: (performance.now() - t0) / 1000,
        scores: score(probabilities),
      });
      log(`${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    model.dispose();
  } finally {
    device.destroy();
  }

  // Peers
  const makers: Record<string, () => Promise<PeerModel>> = { 'face-api': faceApiExpressionNet, human: humanEmotion };
  const tf = await tensorflowWasm();
  for (const id of a.peers!.split(',').filter(Boolean)) {
    const make = makers[id];
    if (!make) throw new Error(`--peers: unknown peer '${id}' (known: ${Object.keys(makers).join(', ')})`);
    const t0 = performance.now();
    const peer = await make();
    const p = await peer.predict(test.pixels.subarray(0, test.length * FER_PIXELS), test.length);
    peer.dispose();
    models.push({
      name: peer.name,
      source: peer.source,
      preprocessing: peer.preprocessing,
      seconds: (performance.now() - t0) / 1000,
      scores: score(p),
    });
    log(`${peer.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }

  const result = {
    generated: new Date().toISOString(),
    command: `npx tsx bench/peers/fer2013.ts ${process.argv.slice(2).join(' ')}`,
    data: { source: a.data, testImages: test.length, limit: a.limit ?? null },
    runtime: { node: process.version, tfjs: tf.version.tfjs, tfjsBackend: tf.getBackend() },
    evaluations: EVALUATIONS.map((e) => ({ id: e.id, label: e.label, images: rowsOf(e).length })),
    notes: [
      'Every model gets each pre-cropped 48x48 FER2013 image as its whole face box.',
      "mini-Xception's checkpoint was selected on FER2013's test images by its authors, so its figures are, if anything, optimistic.",
    ],
    models,
    seconds: (performance.now() - started) / 1000,
  };
  const md = peersMarkdown(result);
  console.log(md);
  for (const [file, text] of [
    [a.json!, JSON.stringify(result, null, 2) + '\n'],
    [a.md!, md],
  ] as const) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    log(`wrote ${file}`);
  }
}

function splitName(ds: FerDataset, i: number): string {
  return FER_SPLITS[ds.splits[i]!]!;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main();
