/**
 * `fer-gpu train`, `eval` and `predict` (the last in predict.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { createDevice } from '../gpu/dawn.js';
import { InputError } from '../errors.js';
import { loadFer2013 } from '../data/auto.js';
import { syntheticFaces } from '../data/synthetic.js';
import { FER_SPLITS, holdout, type FerDataset, type FerSplit } from '../data/dataset.js';
import { withoutTrainingDuplicates } from '../data/check.js';
import { ferResNet18 } from '../nn/resnet.js';
import { train, type TrainOptions } from '../train/trainer.js';
import { evaluate } from '../train/evaluate.js';
import { CHECKPOINT_FILE, loadModel } from '../train/checkpoint.js';
import { checkTrainOptions } from '../train/options.js';
import { makeDirs } from '../train/run-folder.js';
import { DEFAULT_WEIGHTS_FILE, WEIGHTS_ENV } from '../train/pretrained.js';
import { renderConfusionMatrix } from '../metrics/index.js';
import {
  checkOutputFile,
  collect,
  finiteNumber,
  numberRange,
  onErrorMode,
  positiveInt,
  probability,
  weightsFile,
  writeOutputFile,
} from './common.js';
import type { Calibration } from '../train/calibration.js';
import type { ScheduleSpec } from '../train/schedules.js';

/** "temperature 1.23, logit bias [0.1, …]". */
function describeCalibration(c: Calibration): string {
  return (
    `temperature ${c.temperature.toFixed(3)}` + (c.logitBias ? `, logit bias [${c.logitBias.map((b) => b.toFixed(2)).join(', ')}]` : '')
  );
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

import { registerPredict } from './predict.js';

/** Adds `fer-gpu train`, `eval` and `predict` to the program. */
export function registerWorkflow(program: Command): void {
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
}

/** `fer-gpu train`: its options, then trainCommand. */
function registerTrain(program: Command): Command {
  return program
    .command('train')
    .description('train fer-resnet18 on FER2013 (or the built-in synthetic faces)')
    .option('--data <csv|dir>', 'fer2013.csv or an image folder (default: built-in synthetic faces)')
    .option(
      '--on-error <mode>',
      'bad rows or images in --data: throw (stop, naming the file and line) or skip (skip and report them)',
      'throw',
    )
    .option('--width <n>', 'channels of the first stage', positiveInt('width'), 16)
    .option('--init <weights>', 'start from these weights (fine-tuning; the width comes from the file) with a fresh optimizer and schedule')
    .option('--epochs <n>', 'epochs', positiveInt('epochs'), 10)
    .option('--batch-size <n>', 'batch size', positiveInt('batch-size'), 64)
    .option('--optimizer <name>', 'sgd or adamw', 'sgd')
    .option('--lr <x>', 'learning rate (default 0.01 for SGD, 0.001 for AdamW)', finiteNumber('lr'))
    .option('--weight-decay <x>', 'weight decay', finiteNumber('weight-decay'))
    .option('--nesterov', 'Nesterov momentum (SGD)')
    .option('--schedule <name>', 'cosine, step, one-cycle, plateau or constant', 'cosine')
    .option('--warmup-epochs <n>', 'linear warm-up epochs (cosine)', finiteNumber('warmup-epochs'), 0)
    .option('--label-smoothing <x>', 'label smoothing', finiteNumber('label-smoothing'), 0)
    .option('--clip-grad-norm <x>', 'clip the gradient norm', finiteNumber('clip-grad-norm'))
    .option('--no-augment', 'no training augmentation')
    .option('--erasing <p>', 'random erasing probability (default 0.25)', probability('erasing'))
    .option('--scale <low,high>', 'random scale range (default 0.9,1.1)', numberRange('scale'))
    .option(
      '--ema <decay>',
      'keep an exponential moving average of the weights with this decay (e.g. 0.999), validated beside them',
      finiteNumber('ema'),
    )
    .option(
      '--ema-bn-batches <n>',
      "recompute the EMA weights' batch-norm statistics from this many training batches before each validation",
      positiveInt('ema-bn-batches'),
    )
    .option(
      '--select-from <weights>',
      'with --ema: the best checkpoint holds either (default: whichever validates better), ema or raw weights',
    )
    .option('--balanced', 'class-balanced sampling')
    .option('--patience <n>', 'early stopping patience (epochs)', positiveInt('patience'))
    .option(
      '--max-steps <n>',
      'stop after this many steps (quick runs; a stop inside an epoch leaves a checkpoint --resume continues)',
      positiveInt('max-steps'),
    )
    .option(
      '--checkpoint-every <steps>',
      'also write the last checkpoint every this many steps inside an epoch',
      positiveInt('checkpoint-every'),
      200,
    )
    .option('--seed <n>', 'random seed', finiteNumber('seed'), 0)
    .option('--out <dir>', 'output folder for checkpoints and the log', 'runs/fer-resnet18')
    .option('--resume', 'continue the run in --out (its checkpoint is verified; the options and data must be the same)')
    .option('--overwrite', 'start afresh in an --out that holds a run, deleting its checkpoints and log')
    .option('--json', 'print the result as JSON')
    .action(trainCommand);
}

/** `fer-gpu eval`: its options, then evalCommand. */
function registerEval(program: Command): Command {
  return program
    .command('eval')
    .description('evaluate weights on a split: classification report, probability metrics, confusion-matrix plot')
    .option('--weights <file>', `a .safetensors checkpoint (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`)
    .option('--data <csv|dir>', 'fer2013.csv or an image folder (default: built-in synthetic faces)')
    .option(
      '--on-error <mode>',
      'bad rows or images in --data: throw (stop, naming the file and line) or skip (skip and report them)',
      'throw',
    )
    .option('--split <name>', 'Training, PublicTest, PrivateTest, Test or Holdout', 'PrivateTest')
    .option(
      '--exclude-train-duplicates',
      'leave out the images whose decoded pixels also occur in the Training split (FER2013 train/test leakage)',
    )
    .option('--tta', 'ten-crop test-time augmentation')
    .option('--out <file>', 'write the report (.json) or the confusion matrix (.png, .svg); repeatable', collect)
    .addOption(new Option('--plot <file>', 'the same as --out with a .png or .svg file').hideHelp().argParser(collect))
    .option('--no-calibration', "ignore the checkpoint's calibration (temperature, logit bias; see fer-gpu calibrate)")
    .option('--json', 'print the report as JSON')
    .action(evalCommand);
}

/** The parsed options of `fer-gpu train` (see registerTrain). */
interface TrainFlags {
  data?: string;
  onError: string;
  width: number;
  init?: string;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr?: number;
  weightDecay?: number;
  nesterov?: boolean;
  schedule: string;
  warmupEpochs: number;
  labelSmoothing: number;
  clipGradNorm?: number;
  augment: boolean;
  erasing?: number;
  scale?: [number, number];
  ema?: number;
  emaBnBatches?: number;
  selectFrom?: string;
  balanced?: boolean;
  patience?: number;
  maxSteps?: number;
  checkpointEvery: number;
  seed: number;
  out: string;
  resume?: boolean;
  overwrite?: boolean;
  json?: boolean;
}

/** The --schedule (and --warmup-epochs) as a schedule spec. */
function scheduleSpec(o: TrainFlags): ScheduleSpec {
  switch (o.schedule) {
    case 'step':
      return { kind: 'step', stepSize: Math.max(1, Math.floor(o.epochs / 3)) };
    case 'one-cycle':
      return { kind: 'one-cycle' };
    case 'plateau':
      return { kind: 'plateau', patience: 3 };
    case 'constant':
      return { kind: 'constant' };
    case 'cosine':
      return { kind: 'cosine', warmupEpochs: o.warmupEpochs };
  }
  throw new InputError(`--schedule must be cosine, step, one-cycle, plateau or constant, got '${o.schedule}'`);
}

/** train()'s options from the flags (the model, data and device come later). */
function trainOptions(o: TrainFlags) {
  const augment =
    o.augment === false ? false : { ...(o.erasing !== undefined ? { erasing: o.erasing } : {}), ...(o.scale ? { scale: o.scale } : {}) };
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    optimizer: o.optimizer as TrainOptions['optimizer'],
    lr: o.lr,
    weightDecay: o.weightDecay,
    nesterov: o.nesterov,
    schedule: scheduleSpec(o),
    labelSmoothing: o.labelSmoothing,
    clipGradNorm: o.clipGradNorm,
    augment,
    balanced: o.balanced,
    ema: o.ema,
    emaBnBatches: o.emaBnBatches,
    selectFrom: o.selectFrom as TrainOptions['selectFrom'],
    earlyStoppingPatience: o.patience,
    maxSteps: o.maxSteps,
    checkpointEvery: o.checkpointEvery || undefined,
    seed: o.seed,
    outDir: o.out,
    resume: o.resume,
    overwrite: o.overwrite,
  };
}

/** Runs `fer-gpu train` with its parsed options. */
async function trainCommand(o: TrainFlags, cmd: Command): Promise<void> {
  const log = o.json ? () => {} : (s: string) => console.log(s);
  if (o.init && o.resume) throw new InputError('--init starts a new run from weights and --resume continues one: pass one of them');
  const options = trainOptions(o);
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
}

/** The parsed options of `fer-gpu eval` (see registerEval). */
interface EvalFlags {
  weights?: string;
  data?: string;
  onError: string;
  split: string;
  excludeTrainDuplicates?: boolean;
  tta?: boolean;
  out?: string[];
  plot?: string[];
  calibration: boolean;
  json?: boolean;
}

/** Runs `fer-gpu eval` with its parsed options. */
async function evalCommand(o: EvalFlags): Promise<void> {
  const split = o.split as FerSplit;
  if (!(FER_SPLITS as readonly string[]).includes(split))
    throw new InputError(`--split must be one of ${FER_SPLITS.join(', ')}, got '${o.split}'`);
  const weights = weightsFile(o.weights);
  const inputs = [o.data, weights].filter((x): x is string => !!x);
  const outputs = [
    ...(o.out ?? []).map((file) => ({ file, ext: checkOutputFile(file, '--out', ['.json', '.png', '.svg'], inputs) })),
    ...(o.plot ?? []).map((file) => ({ file, ext: checkOutputFile(file, '--plot', ['.png', '.svg'], inputs) })),
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
    const report = await evaluate(model, data, {
      split,
      mean: info.mean,
      std: info.std,
      tta: o.tta,
      classNames: info.classes,
      calibration,
    });
    model.dispose();
    const json = JSON.stringify(excluded ? { ...report.toJSON(), 'excluded train duplicates': excluded } : report);
    for (const { file, ext } of outputs) {
      const format = ext === '.png' ? 'png' : 'svg';
      writeOutputFile(
        file,
        ext === '.json'
          ? json + '\n'
          : renderConfusionMatrix(report.confusionMatrix!, { format, classNames: [...info.classes], normalize: 'true' }),
      );
    }
    if (o.json) console.log(json);
    else console.log(report.toString());
  } finally {
    device.destroy();
  }
}
