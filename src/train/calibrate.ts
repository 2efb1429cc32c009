/**
 * Calibrating a model on a validation split (`fer-gpu calibrate`): its single-crop predictions on
 * the split, a temperature (and optionally a per-class logit bias) fitted to them (calibration.ts), and
 * a copy of the checkpoint that records the calibration in its metadata.
 */
import { writeSafetensors } from '../io/safetensors.js';
import { readModelFile } from './checkpoint.js';
import { calibrationMetadata, FER_METADATA_KEYS, parseFerMetadata } from '../io/fer-metadata.js';
import type { FerDataset, FerSplit } from '../data/dataset.js';
import { InputError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { VERSION } from '../version.js';
import { predictDataset } from './evaluate.js';
import { fitCalibrationOnLogits, logProbabilities, type CalibrationFit } from './calibration.js';

/** Options of {@link fitCalibration}. */
export interface FitCalibrationOptions {
  /** The split to fit on (default PublicTest); never a test split that reports results. */
  split?: FerSplit;
  /** Also fit a per-class logit bias that maximises macro F1. */
  logitBias?: boolean;
  mean?: number;
  std?: number;
  batchSize?: number;
}

/**
 * Fits a temperature (and with `logitBias` a per-class logit bias) to a model's single-crop
 * predictions on `split` of `dataset`, and scores the split before and after.
 * @throws InputError for PrivateTest or Test (results are reported there), or an empty split.
 *
 * @example
 * const fit = await fitCalibration(model, data, { split: 'PublicTest', mean: info.mean, std: info.std });
 * const report = await evaluate(model, data, { split: 'PrivateTest', calibration: fit.calibration });
 */
export async function fitCalibration(
  model: Module & { numClasses: number },
  dataset: FerDataset,
  options: FitCalibrationOptions = {},
): Promise<CalibrationFit & { split: FerSplit }> {
  const split = options.split ?? 'PublicTest';
  if (split === 'PrivateTest' || split === 'Test') {
    throw new InputError(
      `calibrate: fit the calibration on a validation split (PublicTest or Holdout), not ${split}, where results are reported`,
    );
  }
  const { probabilities, labels } = await predictDataset(model.device, model, dataset, {
    split,
    mean: options.mean,
    std: options.std,
    batchSize: options.batchSize,
  });
  // Log-probabilities are the logits up to a per-row constant, which neither fit sees.
  const fit = fitCalibrationOnLogits(logProbabilities(probabilities), labels, model.numClasses, { logitBias: options.logitBias });
  return { ...fit, split };
}

/**
 * Writes a copy of model file `weights` to `out` with the calibration in its metadata
 * (`fer-gpu.temperature`, `fer-gpu.logit-bias`, and `fer-gpu.calibration` saying how it was
 * fitted); the tensors are copied unchanged (of a training checkpoint, the model's only). Atomic.
 */
export function writeCalibratedCheckpoint(weights: string, out: string, fit: CalibrationFit & { split: FerSplit }, source?: string): void {
  const { tensors, metadata } = readModelFile(weights);
  const info = parseFerMetadata(metadata, weights);
  const kept = Object.fromEntries(
    Object.entries(metadata).filter(
      ([key]) => key !== FER_METADATA_KEYS.temperature && key !== FER_METADATA_KEYS.logitBias && key !== FER_METADATA_KEYS.calibration,
    ),
  );
  const about = {
    fittedOn: { split: fit.split, images: fit.images, ...(source ? { data: source } : {}) },
    ferGpuVersion: VERSION,
    before: fit.before,
    temperature: fit.temperature,
    ...(fit.logitBias ? { logitBias: fit.logitBias } : {}),
  };
  if (!tensors['fc.weight']) throw new InputError(`${weights}: no 'fc.weight' tensor: not a fer-resnet18 checkpoint`);
  writeSafetensors(out, tensors, { ...kept, ...calibrationMetadata(fit.calibration, info.classes.length, about) });
}
