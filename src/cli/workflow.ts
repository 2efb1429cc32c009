/**
 * `fer-gpu train`, `eval` and `predict`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { createDevice } from '../gpu/dawn.js';
import { InputError } from '../errors.js';
import { FER_CLASSES } from '../classes.js';
import { loadFer2013 } from '../data/auto.js';
import { syntheticFaces } from '../data/synthetic.js';
import { FER_PIXELS, FER_SPLITS, FerDataError, holdout, type FerDataset, type FerSplit, type LoadIssue } from '../data/dataset.js';
import { loadImageFolder } from '../data/folder.js';
import { decodeImage } from '../data/image.js';
import { withoutTrainingDuplicates } from '../data/check.js';
import { ferResNet18 } from '../nn/resnet.js';
import { train } from '../train/trainer.js';
import { evaluate, type Prediction } from '../train/evaluate.js';
import { predict } from '../train/predict.js';
import { CHECKPOINT_FILE, loadModel } from '../train/checkpoint.js';
import { checkTrainOptions } from '../train/options.js';
import { makeDirs } from '../train/run-folder.js';
import { DEFAULT_WEIGHTS_FILE, WEIGHTS_ENV } from '../train/pretrained.js';
import { renderConfusionMatrix } from '../metrics/index.js';
import { checkOutputFile, collect, weightsFile, writeOutputFile } from './common.js';
import type { Calibration } from '../train/calibration.js';

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InputError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
}
function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InputError(`--${name} must be a number, got '${v}'`);
    return n;
  };
}

function probability(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InputError(`--${name} must be a probability in [0, 1], got '${v}'`);
    return n;
  };
}
/** "0.8,1.2": a range of two positive numbers, low first. */
function range(name: string) {
  return (v: string): [number, number] => {
    const parts = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (parts.length !== 2 || !(parts[0]! > 0 && parts[1]! >= parts[0]!)) throw new InputError(`--${name} must be two positive numbers low,high (e.g. 0.8,1.2), got '${v}'`);
    return [parts[0]!, parts[1]!];
  };
}

/** The --on-error value, checked. */
function onErrorMode(value: string | undefined): 'throw' | 'skip' | undefined {
  if (value !== undefined && value !== 'throw' && value !== 'skip') throw new InputError(`--on-error must be throw or skip, got '${value}'`);
  return value;
}

/** "temperature 1.23, logit bias [0.1, …]". */
function describeCalibration(c: Calibration): string {
  return `temperature ${c.temperature.toFixed(3)}` + (c.logitBias ? `, logit bias [${c.logitBias.map((b) => b.toFixed(2)).join(', ')}]` : '');
}

/**
 * The data a command works on: FER2013 from a path, or the built-in synthetic faces. `split` is
 * the split of a folder without split folders (`<dir>/<class>/*`).
 */
async function dataFor(path: string | undefined, log: (s: string) => void, onError?: string, split?: FerSplit): Promise<FerDataset> {
  const mode = onErrorMode(onError);
  if (path) return loadFer2013(path, { onError: mode, split, onSkip: (_issues, summary) => console.error(summary) });
  log('no --data given: using the built-in synthetic face set (2,100 procedurally drawn faces).');
  log('To use FER2013, pass --data path/to/fer2013.csv or --data path/to/folder (train/<class>/, test/<class>/).');
  return syntheticFaces({ count: 2100, seed: 2013 });
}

export function registerWorkflow(program: Command): void {
  program
    .command('train')
    .description('train fer-resnet18 on FER2013 (or the built-in synthetic faces)')
    .option('--data <csv|dir>', 'fer2013.csv or an image folder (default: built-in synthetic faces)')
    .option('--on-error <mode>', 'bad rows or images in --data: throw (stop, naming the file and line) or skip (skip and report them)', 'throw')
    .option('--width <n>', 'channels of the first stage', int('width'), 16)
    .option('--init <weights>', 'start from these weights (fine-tuning; the width comes from the file) with a fresh optimizer and schedule')
    .option('--epochs <n>', 'epochs', int('epochs'), 10)
    .option('--batch-size <n>', 'batch size', int('batch-size'), 64)
    .option('--optimizer <name>', 'sgd or adamw', 'sgd')
    .option('--lr <x>', 'learning rate (default 0.01 for SGD, 0.001 for AdamW)', num('lr'))
    .option('--weight-decay <x>', 'weight decay', num('weight-decay'))
    .option('--nesterov', 'Nesterov momentum (SGD)')
    .option('--schedule <name>', 'cosine, step, one-cycle, plateau or constant', 'cosine')
    .option('--warmup-epochs <n>', 'linear warm-up epochs (cosine)', num('warmup-epochs'), 0)
    .option('--label-smoothing <x>', 'label smoothing', num('label-smoothing'), 0)
    .option('--clip-grad-norm <x>', 'clip the gradient norm', num('clip-grad-norm'))
    .option('--no-augment', 'no training augmentation')
    .option('--erasing <p>', 'random erasing probability (default 0.25)', probability('erasing'))
    .option('--scale <low,high>', 'random scale range (default 0.9,1.1)', range('scale'))
    .option('--ema <decay>', 'keep an exponential moving average of the weights with this decay (e.g. 0.999), validated beside them', num('ema'))
    .option('--ema-bn-batches <n>', "recompute the EMA weights' batch-norm statistics from this many training batches before each validation", int('ema-bn-batches'))
    .option('--select-from <weights>', 'with --ema: the best checkpoint holds either (default: whichever validates better), ema or raw weights')
    .option('--balanced', 'class-balanced sampling')
    .option('--patience <n>', 'early stopping patience (epochs)', int('patience'))
    .option('--max-steps <n>', 'stop after this many steps (quick runs; a stop inside an epoch leaves a checkpoint --resume continues)', int('max-steps'))
    .option('--checkpoint-every <steps>', 'also write the last checkpoint every this many steps inside an epoch', int('checkpoint-every'), 200)
    .option('--seed <n>', 'random seed', num('seed'), 0)
    .option('--out <dir>', 'output folder for checkpoints and the log', 'runs/fer-resnet18')
    .option('--resume', 'continue the run in --out (its checkpoint is verified; the options and data must be the same)')
    .option('--overwrite', 'start afresh in an --out that holds a run, deleting its checkpoints and log')
    .option('--json', 'print the result as JSON')
    .action(async (o, cmd: Command) => {
      const log = o.json ? () => {} : (s: string) => console.log(s);
      if (o.init && o.resume) throw new InputError('--init starts a new run from weights and --resume continues one: pass one of them');
      const schedule =
        o.schedule === 'step' ? { kind: 'step' as const, stepSize: Math.max(1, Math.floor(o.epochs / 3)) }
        : o.schedule === 'one-cycle' ? { kind: 'one-cycle' as const }
        : o.schedule === 'plateau' ? { kind: 'plateau' as const, patience: 3 }
        : o.schedule === 'constant' ? { kind: 'constant' as const }
        : o.schedule === 'cosine' ? { kind: 'cosine' as const, warmupEpochs: o.warmupEpochs }
        : null;
      if (!schedule) throw new InputError(`--schedule must be cosine, step, one-cycle, plateau or constant, got '${o.schedule}'`);
      const augment = o.augment === false ? false : { ...(o.erasing !== undefined ? { erasing: o.erasing } : {}), ...(o.scale ? { scale: o.scale } : {}) };
      const options = {
        epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer, lr: o.lr, weightDecay: o.weightDecay, nesterov: o.nesterov,
        schedule, labelSmoothing: o.labelSmoothing, clipGradNorm: o.clipGradNorm, augment, balanced: o.balanced,
        ema: o.ema, emaBnBatches: o.emaBnBatches, selectFrom: o.selectFrom,
        earlyStoppingPatience: o.patience, maxSteps: o.maxSteps, checkpointEvery: o.checkpointEvery || undefined, seed: o.seed,
        outDir: o.out, resume: o.resume, overwrite: o.overwrite,
      };
      // Bad options and an unusable --out fail before the data are loaded.
      checkTrainOptions(options);
      makeDirs(o.out, `--out ${o.out}`);
      let data = await dataFor(o.data, log, o.onError);
      if (!data.splits.includes(1) && !data.splits.includes(4)) data = holdout(data, { fraction: 0.1, seed: o.seed });
      const device = await createDevice();
      try {
        // The width of a fine-tuned or resumed run comes from its weights.
        const checkpoint = join(o.out, CHECKPOINT_FILE);
        const from: string | undefined = o.init ?? (o.resume && existsSync(checkpoint) ? checkpoint : undefined);
        const model = from ? loadModel(device, from).model : ferResNet18(device, { width: o.width, seed: o.seed });
        if (from && cmd.getOptionValueSource('width') === 'cli' && model.width !== o.width) {
          throw new InputError(`--width ${o.width} does not match ${from}, a fer-resnet18(${model.width})`);
        }
        const result = await train({ ...options, device, model, trainSet: data, log: o.json ? Object.assign(() => {}, {}) : undefined });
        if (o.json) console.log(JSON.stringify(result));
        else if (result.best) {
          const weights = result.best.selected ? `, ${result.best.selected === 'ema' ? 'EMA' : 'raw'} weights` : '';
          log(`best checkpoint: ${o.out}/best.safetensors (epoch ${result.best.epoch}${weights}); log: ${o.out}/train-log.jsonl`);
        } else log(`no validated epoch yet, so no best checkpoint: the weights are in ${o.out}/last.safetensors`);
      } finally {
        device.destroy();
      }
    });

  program
    .command('eval')
    .description('evaluate weights on a split: classification report, probability metrics, confusion-matrix plot')
    .option('--weights <file>', `a .safetensors checkpoint (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`)
    .option('--data <csv|dir>', 'fer2013.csv or an image folder (default: built-in synthetic faces)')
    .option('--on-error <mode>', 'bad rows or images in --data: throw (stop, naming the file and line) or skip (skip and report them)', 'throw')
    .option('--split <name>', 'Training, PublicTest, PrivateTest, Test or Holdout', 'PrivateTest')
    .option('--exclude-train-duplicates', 'leave out the images whose decoded pixels also occur in the Training split (FER2013 train/test leakage)')
    .option('--tta', 'ten-crop test-time augmentation')
    .option('--out <file>', 'write the report (.json) or the confusion matrix (.png, .svg); repeatable', collect)
    .addOption(new Option('--plot <file>', 'the same as --out with a .png or .svg file').hideHelp().argParser(collect))
    .option('--no-calibration', "ignore the checkpoint's calibration (temperature, logit bias; see fer-gpu calibrate)")
    .option('--json', 'print the report as JSON')
    .action(async (o) => {
      const split = o.split as FerSplit;
      if (!(FER_SPLITS as readonly string[]).includes(split)) throw new InputError(`--split must be one of ${FER_SPLITS.join(', ')}, got '${o.split}'`);
      const weights = weightsFile(o.weights);
      const inputs = [o.data, weights].filter((x): x is string => !!x);
      const outputs = [
        ...((o.out ?? []) as string[]).map((file) => ({ file, ext: checkOutputFile(file, '--out', ['.json', '.png', '.svg'], inputs) })),
        ...((o.plot ?? []) as string[]).map((file) => ({ file, ext: checkOutputFile(file, '--plot', ['.png', '.svg'], inputs) })),
      ];
      // a folder of <class>/* images (no split folders) is evaluated as the split asked for
      let data = await dataFor(o.data, o.json ? () => {} : (s) => console.error(s), o.onError, split);
      let excluded: { count: number; of: number; otherClass: number } | undefined;
      if (o.excludeTrainDuplicates) {
        if (split === 'Training') throw new InputError('--exclude-train-duplicates needs a split other than Training');
        const { dataset, removed } = withoutTrainingDuplicates(data, split);
        data = dataset;
        excluded = { count: removed.indices.length, of: removed.searched, otherClass: removed.otherClass };
        console.error(
          `excluded ${excluded.count} of ${excluded.of} ${split} images whose pixels also occur in Training ` +
            `(${excluded.otherClass} of them labelled differently there); evaluating on ${excluded.of - excluded.count}`,
        );
      }
      const device = await createDevice();
      try {
        const { model, info } = loadModel(device, weights);
        const calibration = o.calibration ? info.calibration : undefined;
        if (calibration) console.error(`applying ${weights}'s calibration (${describeCalibration(calibration)}); --no-calibration ignores it`);
        const report = await evaluate(model, data, { split, mean: info.mean, std: info.std, tta: o.tta, classNames: info.classes, calibration });
        model.dispose();
        const json = JSON.stringify(excluded ? { ...report.toJSON(), 'excluded train duplicates': excluded } : report);
        for (const { file, ext } of outputs) {
          const format = ext === '.png' ? 'png' : 'svg';
          writeOutputFile(file, ext === '.json' ? json + '\n' : renderConfusionMatrix(report.confusionMatrix!, { format, classNames: [...info.classes], normalize: 'true' }));
        }
        if (o.json) console.log(json);
        else console.log(report.toString());
      } finally {
        device.destroy();
      }
    });

  program
    .command('predict')
    .description('predict the expression of face images (PNG/JPEG, any size) and of the images in folders: a table, or JSON lines with --json')
    .argument('<inputs...>', 'image files, or folders of images (<dir>/*, <dir>/<class>/*, <dir>/train|test/<class>/*)')
    .option('--weights <file>', `a .safetensors checkpoint (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`)
    .option('--tta', 'ten-crop test-time augmentation')
    .option('--on-error <mode>', 'an unreadable image: throw (stop, naming it) or skip (report it on stderr and predict the others)', 'throw')
    .option('--no-calibration', "ignore the checkpoint's calibration (temperature, logit bias)")
    .option('--json', 'one JSON line per image: {"file", "label", "probabilities"}')
    .action(async (inputs: string[], o) => {
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
          preds = await predict(model, images, { mean: info.mean, std: info.std, tta: o.tta, classNames: info.classes ?? FER_CLASSES, calibration });
        } finally {
          model.dispose();
        }
        preds = preds.map((p, i) => ({ file: files[i]!, label: p.label, probabilities: p.probabilities }));
        if (o.json) for (const p of preds) console.log(JSON.stringify(p));
        else console.log(predictionTable(preds));
      } finally {
        device.destroy();
      }
      if (issues.length > 0) console.error(`fer-gpu: skipped ${issues.length} of ${issues.length + images.length} images (listed above); the others were predicted`);
    });
}

/**
 * The 48x48 gray images of `inputs` (files, or folders in any layout loadImageFolder reads) with
 * their paths, and the inputs that could not be read (with `onError: 'throw'`, the first throws).
 */
async function readImages(inputs: readonly string[], onError: 'throw' | 'skip'): Promise<{ files: string[]; images: Uint8Array[]; issues: LoadIssue[] }> {
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
  const rows = preds.map((p) => [p.file ?? '', p.label, p.probabilities[p.label]!.toFixed(3), ...classes.map((c) => p.probabilities[c]!.toFixed(3))]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const line = (cells: string[]) => cells.map((c, j) => (j < 2 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
