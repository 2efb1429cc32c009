/**
 * `fer-gpu train`, `eval` and `predict`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createDevice } from '../gpu/device.js';
import { InputError } from '../errors.js';
import { FER_CLASSES } from '../classes.js';
import { loadFer2013 } from '../data/auto.js';
import { syntheticFaces } from '../data/synthetic.js';
import { FER_SPLITS, holdout, type FerDataset, type FerSplit } from '../data/dataset.js';
import { withoutTrainingDuplicates } from '../data/check.js';
import { ferResNet18 } from '../nn/resnet.js';
import { train } from '../train/trainer.js';
import { evaluate, predict } from '../train/evaluate.js';
import { CHECKPOINT_FILE, loadModel } from '../train/checkpoint.js';
import { checkTrainOptions } from '../train/options.js';
import { makeDirs } from '../train/run-folder.js';
import { DEFAULT_WEIGHTS_FILE, WEIGHTS_ENV, resolveWeights } from '../train/pretrained.js';
import { writePlot } from '../metrics/index.js';

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

/** The data a command works on: FER2013 from a path, or the built-in synthetic faces. */
async function dataFor(path: string | undefined, log: (s: string) => void, onError?: string): Promise<FerDataset> {
  if (onError !== undefined && onError !== 'throw' && onError !== 'skip') throw new InputError(`--on-error must be throw or skip, got '${onError}'`);
  if (path) return loadFer2013(path, { onError: onError as 'throw' | 'skip' | undefined, onSkip: (_issues, summary) => console.error(summary) });
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
      const options = {
        epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer, lr: o.lr, weightDecay: o.weightDecay, nesterov: o.nesterov,
        schedule, labelSmoothing: o.labelSmoothing, clipGradNorm: o.clipGradNorm, augment: o.augment, balanced: o.balanced,
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
        else if (result.best) log(`best checkpoint: ${o.out}/best.safetensors (epoch ${result.best.epoch}); log: ${o.out}/train-log.jsonl`);
        else log(`no validated epoch yet, so no best checkpoint: the weights are in ${o.out}/last.safetensors`);
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
    .option('--plot <file>', 'write the confusion matrix as .png or .svg')
    .option('--json', 'print the report as JSON')
    .action(async (o) => {
      const split = o.split as FerSplit;
      if (!(FER_SPLITS as readonly string[]).includes(split)) throw new InputError(`--split must be one of ${FER_SPLITS.join(', ')}, got '${o.split}'`);
      const weights = resolveWeights(o.weights);
      let data = await dataFor(o.data, o.json ? () => {} : (s) => console.error(s), o.onError);
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
        const report = await evaluate(model, data, { split, mean: info.mean, std: info.std, tta: o.tta, classNames: info.classes });
        model.dispose();
        if (o.plot) await writePlot(o.plot, { type: 'confusionMatrix', cm: report.confusionMatrix!, classNames: [...info.classes], normalize: 'true' });
        if (o.json) console.log(JSON.stringify(excluded ? { ...report.toJSON(), 'excluded train duplicates': excluded } : report));
        else console.log(report.toString());
      } finally {
        device.destroy();
      }
    });

  program
    .command('predict')
    .description('predict the expression of face images (PNG/JPEG, any size): one JSON line per file')
    .argument('<files...>', 'image files')
    .option('--weights <file>', `a .safetensors checkpoint (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`)
    .option('--tta', 'ten-crop test-time augmentation')
    .option('--json', 'JSON lines (the default output)')
    .action(async (files: string[], o) => {
      const weights = resolveWeights(o.weights);
      const device = await createDevice();
      try {
        const { model, info } = loadModel(device, weights);
        const preds = await predict(model, files, { mean: info.mean, std: info.std, tta: o.tta, classNames: info.classes ?? FER_CLASSES });
        for (const p of preds) console.log(JSON.stringify(p));
      } finally {
        device.destroy();
      }
    });
}
