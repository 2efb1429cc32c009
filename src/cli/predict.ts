/**
 * `fer-gpu predict`: the expression of face images and of the images in folders, as a table or
 * JSON lines.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { createDevice } from '../gpu/dawn.js';
import { InputError } from '../errors.js';
import { FER_CLASSES } from '../classes.js';
import { FER_PIXELS, FerDataError, type FerDataset, type LoadIssue } from '../data/dataset.js';
import { loadImageFolder } from '../data/folder.js';
import { decodeImage } from '../data/image.js';
import type { Prediction } from '../train/evaluate.js';
import { predict } from '../train/predict.js';
import { loadModel } from '../train/checkpoint.js';
import { DEFAULT_WEIGHTS_FILE, WEIGHTS_ENV } from '../train/pretrained.js';
import { onErrorMode, weightsFile } from './common.js';

/** `fer-gpu predict`: its options, then predictCommand. */
export function registerPredict(program: Command): Command {
  return program
    .command('predict')
    .description(
      'predict the expression of face images (PNG/JPEG, any size) and of the images in folders: a table, or JSON lines with --json',
    )
    .argument('<inputs...>', 'image files, or folders of images (<dir>/*, <dir>/<class>/*, <dir>/train|test/<class>/*)')
    .option('--weights <file>', `a .safetensors checkpoint (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`)
    .option('--tta', 'ten-crop test-time augmentation')
    .option(
      '--on-error <mode>',
      'an unreadable image: throw (stop, naming it) or skip (report it on stderr and predict the others)',
      'throw',
    )
    .option('--no-calibration', "ignore the checkpoint's calibration (temperature, logit bias)")
    .option('--json', 'one JSON line per image: {"file", "label", "probabilities"}')
    .action(predictCommand);
}

/** The parsed options of `fer-gpu predict` (see registerPredict). */
interface PredictFlags {
  weights?: string;
  tta?: boolean;
  onError: string;
  calibration: boolean;
  json?: boolean;
}

/** Runs `fer-gpu predict` on its inputs with its parsed options. */
async function predictCommand(inputs: string[], o: PredictFlags): Promise<void> {
  const mode = onErrorMode(o.onError)!;
  const weights = weightsFile(o.weights);
  const { files, images, issues } = await readImages(inputs, mode);
  for (const i of issues) console.error(`fer-gpu: ${i.location}: ${i.message} (skipped)`);
  if (images.length === 0) throw new InputError(`no image could be read from ${inputs.join(', ')}`);
  const device = await createDevice();
  try {
    const { model, info } = loadModel(device, weights);
    let preds: Prediction[];
    try {
      const calibration = o.calibration ? info.calibration : undefined;
      preds = await predict(model, images, {
        mean: info.mean,
        std: info.std,
        tta: o.tta,
        classNames: info.classes ?? FER_CLASSES,
        calibration,
      });
    } finally {
      model.dispose();
    }
    preds = preds.map((p, i) => ({ file: files[i]!, label: p.label, probabilities: p.probabilities }));
    if (o.json) for (const p of preds) console.log(JSON.stringify(p));
    else console.log(predictionTable(preds));
  } finally {
    device.destroy();
  }
  if (issues.length > 0)
    console.error(`fer-gpu: skipped ${issues.length} of ${issues.length + images.length} images (listed above); the others were predicted`);
}

/**
 * The 48x48 gray images of `inputs` (files, or folders in any layout loadImageFolder reads) with
 * their paths, and the inputs that could not be read (with `onError: 'throw'`, the first throws).
 */
async function readImages(
  inputs: readonly string[],
  onError: 'throw' | 'skip',
): Promise<{ files: string[]; images: Uint8Array[]; issues: LoadIssue[] }> {
  const files: string[] = [];
  const images: Uint8Array[] = [];
  const issues: LoadIssue[] = [];
  const fail = (location: string, message: string): void => {
    if (onError === 'throw') throw new FerDataError(location, message);
    issues.push({ location, message });
  };
  for (const input of inputs) {
    let isDir: boolean;
    try {
      isDir = statSync(input).isDirectory();
    } catch (e) {
      fail(input, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : `cannot read (${(e as Error).message})`);
      continue;
    }
    if (isDir) {
      let ds: FerDataset;
      try {
        ds = await loadImageFolder(input, { onError, cache: false, onSkip: () => {} });
      } catch (e) {
        if (e instanceof FerDataError) fail(e.location, e.detail);
        else throw e;
        continue;
      }
      issues.push(...ds.issues);
      for (let i = 0; i < ds.length; i++) {
        files.push(ds.keys[i]!);
        images.push(ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS));
      }
      continue;
    }
    try {
      images.push(decodeImage(readFileSync(input), input));
      files.push(input);
    } catch (e) {
      if (e instanceof FerDataError) fail(e.location, e.detail);
      else fail(input, (e as Error).message);
    }
  }
  return { files, images, issues };
}

/** Predictions as a table: file, label, its probability, then every class's probability. */
export function predictionTable(preds: readonly Prediction[]): string {
  const classes = Object.keys(preds[0]?.probabilities ?? {});
  const header = ['file', 'label', 'p', ...classes];
  const rows = preds.map((p) => [
    p.file ?? '',
    p.label,
    p.probabilities[p.label]!.toFixed(3),
    ...classes.map((c) => p.probabilities[c]!.toFixed(3)),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => (j < 2 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
