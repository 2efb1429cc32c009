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
export * from './portable.js';
export { predict, type PredictInputs } from './predict.js';
export { saveModel, loadModel, type ModelFileMeta } from './checkpoint.js';
export {
  loadPretrained,
  defaultWeightsPath,
  shippedWeightsPath,
  resolveWeights,
  packageRoot,
  DEFAULT_WEIGHTS_FILE,
  WEIGHTS_ENV,
} from './pretrained.js';
export { fitCalibration, writeCalibratedCheckpoint, type FitCalibrationOptions } from './calibrate.js';
