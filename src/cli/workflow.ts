/**
 * `fer-gpu train`, `eval` and `predict`.
 */
import type { Command } from 'commander';
import { createDevice } from '../gpu/device.js';
import { InputError } from '../errors.js';
import { FER_CLASSES } from '../classes.js';
import { loadFer2013 } from '../data/auto.js';
import { syntheticFaces } from '../data/synthetic.js';
import type { FerDataset, FerSplit } from '../data/dataset.js';
import { holdout } from '../data/dataset.js';
import { ferResNet18 } from '../nn/resnet.js';
import { train } from '../train/trainer.js';
import { evaluate, predict } from '../train/evaluate.js';
import { loadModel } from '../train/checkpoint.js';
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
async function dataFor(path: string | undefined, log: (s: string) => void): Promise<FerDataset> {
  if (path) return loadFer2013(path);
  log('no --data given: using the built-in synthetic face set (2,100 procedurally drawn faces).');
  log('To use FER2013, pass --data path/to/fer2013.csv or --data path/to/folder (train/<class>/, test/<class>/).');
  return syntheticFaces({ count: 2100, seed: 2013 });
}

export function registerWorkflow(program: Command): void {
  program
    .command('train')
    .description('train fer-resnet18 on FER2013 (or the built-in synthetic faces)')
    .option('--data <csv|dir>', 'fer2013.csv or an image folder (default: built-in synthetic faces)')
    .option('--width <n>', 'channels of the first stage', int('width'), 16)
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
    .option('--max-steps <n>', 'stop after this many steps (quick runs)', int('max-steps'))
    .option('--seed <n>', 'random seed', num('seed'), 0)
    .option('--out <dir>', 'output folder for checkpoints and the log', 'runs/fer-resnet18')
    .option('--resume', 'continue the run in --out')
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      const log = o.json ? () => {} : (s: string) => console.log(s);
      let data = await dataFor(o.data, log);
      if (!data.splits.includes(1) && !data.splits.includes(4)) data = holdout(data, { fraction: 0.1, seed: o.seed });
      const device = await createDevice();
      try {
        const model = ferResNet18(device, { width: o.width, seed: o.seed });
        const schedule =
          o.schedule === 'step' ? { kind: 'step' as const, stepSize: Math.max(1, Math.floor(o.epochs / 3)) }
          : o.schedule === 'one-cycle' ? { kind: 'one-cycle' as const }
          : o.schedule === 'plateau' ? { kind: 'plateau' as const, patience: 3 }
          : o.schedule === 'constant' ? { kind: 'constant' as const }
          : o.schedule === 'cosine' ? { kind: 'cosine' as const, warmupEpochs: o.warmupEpochs }
          : null;
        if (!schedule) throw new InputError(`--schedule must be cosine, step, one-cycle, plateau or constant, got '${o.schedule}'`);
        if (o.optimizer !== 'sgd' && o.optimizer !== 'adamw') throw new InputError(`--optimizer must be sgd or adamw, got '${o.optimizer}'`);
        const result = await train({
          device, model, trainSet: data, epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer, lr: o.lr,
          weightDecay: o.weightDecay, nesterov: o.nesterov, schedule, labelSmoothing: o.labelSmoothing,
          clipGradNorm: o.clipGradNorm, augment: o.augment, balanced: o.balanced, earlyStoppingPatience: o.patience,
          maxSteps: o.maxSteps, seed: o.seed, outDir: o.out, resume: o.resume, log: o.json ? Object.assign(() => {}, {}) : undefined,
        });
        if (o.json) console.log(JSON.stringify(result));
        else log(`best checkpoint: ${o.out}/best.safetensors (epoch ${result.best?.epoch}); log: ${o.out}/train-log.jsonl`);
      } finally {
        device.destroy();
      }
    });

  program
    .command('eval')
    .description('evaluate weights on a split: classification report, probability metrics, confusion-matrix plot')
    .requiredOption('--weights <file>', 'a .safetensors checkpoint')
    .option('--data <csv|dir>', 'fer2013.csv or an image folder (default: built-in synthetic faces)')
    .option('--split <name>', 'Training, PublicTest, PrivateTest, Test or Holdout', 'PrivateTest')
    .option('--tta', 'ten-crop test-time augmentation')
    .option('--plot <file>', 'write the confusion matrix as .png or .svg')
    .option('--json', 'print the report as JSON')
    .action(async (o) => {
      const data = await dataFor(o.data, o.json ? () => {} : (s) => console.error(s));
      const device = await createDevice();
      try {
        const { model, info } = loadModel(device, o.weights);
        const split = o.split as FerSplit;
        const report = await evaluate(device, model, data, { split, mean: info.mean, std: info.std, tta: o.tta, classNames: info.classes });
        if (o.plot) await writePlot(o.plot, { type: 'confusionMatrix', cm: report.confusionMatrix!, classNames: [...info.classes], normalize: 'true' });
        if (o.json) console.log(JSON.stringify(report));
        else console.log(report.toString());
      } finally {
        device.destroy();
      }
    });

  program
    .command('predict')
    .description('predict the expression of face images (PNG/JPEG, any size): one JSON line per file')
    .argument('<files...>', 'image files')
    .requiredOption('--weights <file>', 'a .safetensors checkpoint')
    .option('--tta', 'ten-crop test-time augmentation')
    .option('--json', 'JSON lines (the default output)')
    .action(async (files: string[], o) => {
      const device = await createDevice();
      try {
        const { model, info } = loadModel(device, o.weights);
        const preds = await predict(device, model, files, { mean: info.mean, std: info.std, tta: o.tta, classNames: info.classes ?? FER_CLASSES });
        for (const p of preds) console.log(JSON.stringify(p));
      } finally {
        device.destroy();
      }
    });
}
