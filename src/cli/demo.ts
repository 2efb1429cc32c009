/**
 * `fer-gpu demo` (`npm start` in a checkout): the main job on built-in data, with no arguments and
 * no downloads. Each step prints a table and writes a picture into the output folder:
 *
 *  1. the shipped model recognises the expressions of built-in sample faces;
 *  2. recognize() finds the faces in a sample photo (shipped in samples/) and their expressions;
 *  3. a short training run on the built-in synthetic faces, then its evaluation report.
 *
 * The steps are the list {@link DEMO_STEPS}.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createDevice } from '../gpu/dawn.js';
import type { Device } from '../gpu/device.js';
import { InputError } from '../errors.js';
import { FER_CLASSES } from '../classes.js';
import { FER_PIXELS } from '../data/dataset.js';
import { syntheticFaces } from '../data/synthetic.js';
import { train } from '../train/trainer.js';
import { evaluate } from '../train/evaluate.js';
import { predict } from '../train/predict.js';
import { loadPretrained } from '../train/pretrained.js';
import { packageRoot } from '../package-root.js';
import { loadFaceModels, readImageInput, recognize } from '../faces/node.js';
import { faceLabel } from '../faces/draw.js';
import { writePicture } from './detect.js';
import { writePlot, type GridFace } from '../metrics/index.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Folder for the pictures, the trained weights and the training log (default `fer-gpu-demo`). */
  out?: string;
  /** Epochs of the training step (default 2). */
  epochs?: number;
  /** Synthetic faces of the training step, 80% for training, 10% validation, 10% test (default 1400). */
  images?: number;
  /** Where the tables go (default console.log). */
  log?: (line: string) => void;
}

/** What every step gets: the device, the output folder and the log. */
export interface DemoContext {
  device: Device;
  out: string;
  epochs: number;
  images: number;
  log: (line: string) => void;
}

/** One step of the demo: a title and what it does. */
export interface DemoStep {
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

const GOOD = '#1a7f37';
const BAD = '#cf222e';

function pct(p: number): string {
  return `${(100 * p).toFixed(0)}%`;
}

/** Rows of text as a table with aligned columns, indented. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    '  ' +
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The built-in sample faces: two drawn faces of each expression (not among the training run's faces). */
function sampleFaceImages(): { images: Uint8Array[]; drawn: string[] } {
  const faces = syntheticFaces({ perClass: 2, seed: 2024, split: 'PrivateTest' });
  return {
    images: Array.from({ length: faces.length }, (_, i) => faces.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS)),
    drawn: Array.from(faces.labels, (l) => FER_CLASSES[l]!),
  };
}

/** Step 1: the shipped model on the sample faces. */
const sampleFaces: DemoStep = {
  title: 'The shipped model recognises built-in sample faces',
  async run({ device, out, log }) {
    const { images, drawn } = sampleFaceImages();
    const { model, info } = loadPretrained(device);
    let preds;
    try {
      preds = await predict(model, images, { mean: info.mean, std: info.std, classNames: info.classes });
    } finally {
      model.dispose();
    }
    const rows: string[][] = [];
    const grid: GridFace[] = [];
    let right = 0;
    preds.forEach((p, i) => {
      const [top, second] = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1]);
      const ok = p.label === drawn[i];
      if (ok) right++;
      rows.push([String(i + 1), drawn[i]!, p.label, pct(top![1]), `${second![0]} ${pct(second![1])}`, ok ? 'yes' : 'no']);
      grid.push({ pixels: images[i]!, caption: [`${i + 1}. ${drawn[i]}`, `-> ${p.label} ${pct(top![1])}`], color: ok ? GOOD : BAD });
    });
    log(`fer-resnet18(${info.width}), trained on FER2013's real photos, on ${images.length} faces drawn by code (two of each expression):`);
    for (const line of table(['face', 'drawn as', 'predicted', 'probability', 'runner-up', 'right'], rows)) log(line);
    log(`  ${right} of ${images.length} as drawn. The model never saw drawn faces; step 3 fine-tunes it on some.`);
    const picture = path.join(out, 'sample-faces.png');
    await writePlot(picture, { type: 'faceGrid', faces: grid, title: 'Shipped model on built-in sample faces: drawn as -> predicted' });
    log(`  picture: ${picture}`);
  },
};

/** The sample photo inside the package: @vladmandic/face-api's demo/sample5.jpg, shrunk (samples/NOTICE.md). */
export const SAMPLE_PHOTO_FILE = 'samples/group-photo.jpg';

/** Step 2: the faces of a sample photo, found by BlazeFace, with their expressions, drawn on it. */
const facesInPhoto: DemoStep = {
  title: 'Faces in a sample photo: BlazeFace finds them, the shipped model reads their expressions',
  async run({ device, out, log }) {
    const root = packageRoot();
    if (!root) throw new InputError(`demo: the fer-gpu package folder (with ${SAMPLE_PHOTO_FILE}) cannot be found from this bundle`);
    const file = path.join(root, SAMPLE_PHOTO_FILE);
    const { image } = readImageInput(file);
    const models = loadFaceModels(device, { ranges: ['full'] });
    let faces;
    try {
      faces = await recognize(models, image);
    } finally {
      models.dispose();
    }
    log(
      `${SAMPLE_PHOTO_FILE} (${image.width}x${image.height}, a group photo from @vladmandic/face-api, MIT): ${faces.length} faces found by full-range BlazeFace, each cropped as FER2013 crops faces:`,
    );
    const rows = faces.map((f, i) => {
      const [, second] = Object.entries(f.probabilities).sort((a, b) => b[1] - a[1]);
      return [
        String(i + 1),
        [f.box.x, f.box.y, f.box.width, f.box.height].map((v) => Math.round(v)).join(', '),
        f.score.toFixed(2),
        faceLabel(f),
        `${second![0]} ${pct(second![1])}`,
      ];
    });
    for (const line of table(['face', 'box (x, y, w, h)', 'score', 'expression', 'runner-up'], rows)) log(line);
    log(`  picture: ${writePicture(out, file, image, faces)}   (the same for any photo: npx fer-gpu detect --out <dir> <photos...>)`);
  },
};

/**
 * Step 3: fine-tuning. The shipped model trained for a few epochs on synthetic faces (as users
 * adapt it to their own faces), evaluated on the synthetic test split it never trained on.
 */
const shortTraining: DemoStep = {
  title: 'A short training run: the shipped model fine-tuned on built-in synthetic faces',
  async run({ device, out, epochs, images, log }) {
    const data = syntheticFaces({ count: images, seed: 2013 });
    const runDir = path.join(out, 'train');
    const count = (s: number) => data.splits.filter((x) => x === s).length;
    const { model, info } = loadPretrained(device);
    log(
      `fer-resnet18(${info.width}) from the shipped weights, ${epochs} epochs on ${count(0)} faces (validation ${count(1)}, test ${count(2)}), SGD + cosine, augmentation on the GPU:`,
    );
    const result = await train({
      device,
      model,
      trainSet: data,
      epochs,
      batchSize: 64,
      optimizer: 'sgd',
      lr: 0.02,
      nesterov: true,
      schedule: { kind: 'cosine', warmupEpochs: 0 },
      labelSmoothing: 0.1,
      seed: 0,
      outDir: runDir,
      mean: info.mean,
      std: info.std,
      overwrite: true, // each demo replaces its own previous run
    });
    // train() leaves the best validation epoch's weights in the model (saved as best.safetensors)
    const best = path.join(runDir, result.best ? 'best.safetensors' : 'last.safetensors');
    const norm = { mean: info.mean, std: info.std, classNames: info.classes };
    const report = await evaluate(model, data, { split: 'PrivateTest', ...norm });
    const { images: samples, drawn } = sampleFaceImages();
    const again = (await predict(model, samples, norm)).filter((p, i) => p.label === drawn[i]).length;
    model.dispose();
    log(`Evaluation of ${best}${result.best ? ` (best validation epoch: ${result.best.epoch})` : ''} on the ${count(2)} test faces:`);
    for (const line of report.toString().trimEnd().split('\n')) log(`  ${line}`.trimEnd());
    const picture = path.join(out, 'confusion-matrix.png');
    await writePlot(picture, { type: 'confusionMatrix', cm: report.confusionMatrix!, classNames: info.classes, normalize: 'true' });
    log(`  confusion matrix: ${picture}; training log: ${path.join(runDir, 'train-log.jsonl')}`);
    log(`  The sample faces of step 1 with the fine-tuned model: ${again} of ${samples.length} as drawn.`);
  },
};

/** The demo's steps, in order. */
export const DEMO_STEPS: readonly DemoStep[] = [sampleFaces, facesInPhoto, shortTraining];

/** Runs the demo's steps on one device, naming the adapter first. */
export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const ctx = {
    out: options.out ?? 'fer-gpu-demo',
    epochs: options.epochs ?? 2,
    images: options.images ?? 1400,
    log: options.log ?? ((line: string) => console.log(line)),
  };
  if (!(Number.isInteger(ctx.epochs) && ctx.epochs > 0)) throw new InputError(`demo: epochs must be a positive integer, got ${ctx.epochs}`);
  if (!(Number.isInteger(ctx.images) && ctx.images >= 70))
    throw new InputError(`demo: images must be an integer >= 70 (ten of each class), got ${ctx.images}`);
  fs.mkdirSync(ctx.out, { recursive: true });
  const device = await createDevice();
  try {
    const i = device.info;
    ctx.log(
      `fer-gpu demo on ${i.description || i.device || 'an unnamed adapter'} (${i.backend}, ${i.featureLevel} feature level); output in ${ctx.out}/`,
    );
    for (const [n, step] of DEMO_STEPS.entries()) {
      const t0 = performance.now();
      ctx.log('');
      ctx.log(`${n + 1}. ${step.title}`);
      await step.run({ ...ctx, device });
      ctx.log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    device.destroy();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the main job on built-in data: the shipped model on sample faces, the faces in a sample photo, then a short training run with its evaluation (a few minutes on a software GPU)',
    )
    .option('--out <dir>', 'folder for the pictures, weights and log', 'fer-gpu-demo')
    .option('--epochs <n>', 'epochs of the training run', (v) => Number(v), 2)
    .option('--images <n>', 'synthetic faces of the training run', (v) => Number(v), 1400)
    .action(async (o: { out: string; epochs: number; images: number }) => {
      await runDemo(o);
    });
}
