/**
 * `fer-gpu calibrate`: fits a temperature (and optionally a per-class logit bias) on a validation
 * split and writes a copy of the checkpoint with the calibration in its metadata.
 */
import type { Command } from 'commander';
import { createDevice } from '../gpu/dawn.js';
import { InputError } from '../errors.js';
import { loadFer2013 } from '../data/auto.js';
import { FER_SPLITS, type FerSplit } from '../data/dataset.js';
import { loadModel } from '../train/checkpoint.js';
import { DEFAULT_WEIGHTS_FILE, WEIGHTS_ENV } from '../train/pretrained.js';
import { fitCalibration, writeCalibratedCheckpoint } from '../train/calibrate.js';
import type { CalibrationFit, CalibrationScores } from '../train/calibration.js';
import { checkOutputFile, weightsFile } from './common.js';

/** The before/after table `fer-gpu calibrate` prints. */
export function formatCalibrationFit(fit: CalibrationFit & { split: string }): string {
  const row = (name: string, s: CalibrationScores) =>
    `| ${name} | ${s.nll.toFixed(4)} | ${s.ece.toFixed(4)} | ${(100 * s.accuracy).toFixed(2)}% | ${s.macroRecall.toFixed(3)} | ${s.macroF1.toFixed(3)} |`;
  const c = fit.calibration;
  return [
    `${fit.split} (${fit.images} images): temperature ${c.temperature.toFixed(4)}` +
      (c.logitBias ? `, logit bias [${c.logitBias.map((b) => b.toFixed(2)).join(', ')}]` : ''),
    '',
    '| logits | NLL | ECE | accuracy | macro recall | macro F1 |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('uncalibrated', fit.before),
    row('temperature', fit.temperature),
    ...(fit.logitBias ? [row('temperature + logit bias', fit.logitBias)] : []),
  ].join('\n');
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description(
      'fit a temperature (and optionally a per-class logit bias) on a validation split; write the checkpoint with it in its metadata',
    )
    .option('--weights <file>', `a .safetensors checkpoint (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`)
    .requiredOption('--data <csv|dir>', 'fer2013.csv or an image folder')
    .option('--split <name>', 'the split to fit on: PublicTest or Holdout (never a split results are reported on)', 'PublicTest')
    .option('--logit-bias', 'also fit a per-class logit bias that maximises macro F1 on the split')
    .requiredOption('--out <file>', 'where to write the calibrated checkpoint (.safetensors; not the --weights file)')
    .option('--json', 'print the fit as JSON')
    .action(async (o) => {
      const split = o.split as FerSplit;
      if (!(FER_SPLITS as readonly string[]).includes(split))
        throw new InputError(`--split must be one of ${FER_SPLITS.join(', ')}, got '${o.split}'`);
      const weights = weightsFile(o.weights);
      checkOutputFile(o.out, '--out', ['.safetensors'], [weights, o.data]);
      const data = await loadFer2013(o.data);
      const device = await createDevice();
      try {
        const { model, info } = loadModel(device, weights);
        let fit;
        try {
          fit = await fitCalibration(model, data, { split, logitBias: o.logitBias, mean: info.mean, std: info.std });
        } finally {
          model.dispose();
        }
        writeCalibratedCheckpoint(weights, o.out, fit, o.data);
        if (o.json) console.log(JSON.stringify({ weights, out: o.out, ...fit }));
        else
          console.log(
            `${formatCalibrationFit(fit)}\n\nwrote ${o.out} (fer-gpu eval/predict apply its calibration; --no-calibration ignores it)`,
          );
      } finally {
        device.destroy();
      }
    });
}
