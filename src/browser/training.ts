/**
 * Models in the browser (`fer-gpu/browser`'s `training` namespace, the platform-free part of the
 * Node entry's): evaluation and prediction, the shipped weights over HTTP, checkpoints from bytes,
 * calibration, weight averaging and learning-rate schedules. `train()` with its run folder is
 * Node's; in the browser, a training loop is ops, nn and optim (see test/browser/sgd-steps.ts).
 */
export {
  evaluate,
  predictDataset,
  type EvaluateOptions,
  type PredictOptions,
  type Prediction,
  type Model,
  type PredictFunction,
} from '../train/evaluate.js';
export { predict, type PredictInputs } from './predict.js';
export { loadPretrained, defaultWeightsUrl } from './pretrained.js';
export { loadModelFromBytes, type LoadedModel } from '../train/model-bytes.js';
export {
  calibrateLogits,
  calibrationScores,
  fitTemperature,
  fitLogitBias,
  type Calibration,
  type CalibrationFit,
  type CalibrationScores,
} from '../train/calibration.js';
export { ModelEma, recalibrateBatchNorm, type ModelEmaOptions, type ModelEmaState } from '../train/averaging.js';
export { LrSchedule, type ScheduleSpec } from '../train/schedules.js';
