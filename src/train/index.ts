/**
 * Training and inference on models: train(), evaluation and prediction, model files, the shipped
 * weights, calibration, weight averaging and learning-rate schedules (the package's `training`
 * namespace; train, evaluate, predict, loadPretrained, loadModel and saveModel are also at the root).
 */
export {
  train,
  defaultLogger,
  NonFiniteLossError,
  type TrainOptions,
  type TrainResult,
  type EpochLog,
  type BestEpoch,
  type Logger,
} from './trainer.js';
export {
  evaluate,
  predictDataset,
  type EvaluateOptions,
  type PredictOptions,
  type Prediction,
  type Model,
  type PredictFunction,
} from './evaluate.js';
export { predict, type PredictInputs } from './predict.js';
export { saveModel, loadModel, loadModelFromBytes, type LoadedModel, type ModelFileMeta } from './checkpoint.js';
export {
  loadPretrained,
  defaultWeightsPath,
  shippedWeightsPath,
  resolveWeights,
  packageRoot,
  DEFAULT_WEIGHTS_FILE,
  WEIGHTS_ENV,
} from './pretrained.js';
export {
  calibrateLogits,
  calibrationScores,
  fitTemperature,
  fitLogitBias,
  type Calibration,
  type CalibrationFit,
  type CalibrationScores,
} from './calibration.js';
export { fitCalibration, writeCalibratedCheckpoint, type FitCalibrationOptions } from './calibrate.js';
export { ModelEma, recalibrateBatchNorm, type ModelEmaOptions, type ModelEmaState } from './averaging.js';
export { LrSchedule, type ScheduleSpec } from './schedules.js';
