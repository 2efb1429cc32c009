/**
 * The EMA's part of train(): the average of a fer-resnet18's weights, and its validation after an
 * epoch (batch norms recalibrated first when asked).
 */
import { FerResNet18 } from '../nn/resnet.js';
import type { FerDataset, FerSplit } from '../data/dataset.js';
import type { DataLoader } from '../data/loader.js';
import { evaluate } from './evaluate.js';
import { ModelEma, recalibrateBatchNorm } from './averaging.js';

/** The EMA of a fer-resnet18 (its batch-norm statistics averaged too, unless recalibrated). */
export function createEma(model: FerResNet18, decay: number, bnBatches: number | undefined): ModelEma<FerResNet18> {
  const copy = new FerResNet18(model.device, { width: model.width, numClasses: model.numClasses, inChannels: model.conv1.inChannels });
  return new ModelEma(model, copy, { decay, averageBuffers: !bnBatches });
}

/**
 * Validates the EMA weights after an epoch, recalibrating their batch norms first from
 * `bnBatches` training batches (drawn with their own seed stream, so the training order is
 * untouched) when asked.
 */
export async function validateEma(
  ema: ModelEma<FerResNet18>,
  loader: DataLoader,
  epoch: number,
  bnBatches: number | undefined,
  val: { valSet: FerDataset; valSplit: FerSplit | readonly FerSplit[]; mean?: number; std?: number } | undefined,
): Promise<{ accuracy: number | null; macroF1: number | null }> {
  if (bnBatches) {
    loader.setEpoch(1_000_000 + epoch); // a stream of its own; the next epoch sets its own again
    recalibrateBatchNorm(ema.model, loader, { batches: bnBatches });
  }
  if (!val) return { accuracy: null, macroF1: null };
  const report = await evaluate(ema.model, val.valSet, { split: val.valSplit, mean: val.mean, std: val.std });
  return { accuracy: report.accuracy ?? null, macroF1: report.macroAvg.f1 };
}
