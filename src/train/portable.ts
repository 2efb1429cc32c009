/**
 * The platform-free part of the `training` namespace, shared by the Node entry (train/index.ts)
 * and fer-gpu/browser (browser/training.ts): evaluation, checkpoints from bytes, calibration,
 * weight averaging and learning-rate schedules.
 */
export {
  evaluate,
  predictDataset,
  type EvaluateOptions,
  type PredictOptions,
  type Prediction,
  type Model,
  type PredictFunction,
} from './evaluate.js';
export { loadModelFromBytes, type LoadedModel } from './model-bytes.js';
export {
  calibrateLogits,
  calibrationScores,
  fitTemperature,
  fitLogitBias,
  type Calibration,
  type CalibrationFit,
  type CalibrationScores,
} from './calibration.js';
export { ModelEma, recalibrateBatchNorm, type ModelEmaOptions, type ModelEmaState } from './averaging.js';
export { LrSchedule, type ScheduleSpec } from './schedules.js';
