/**
 * Models in the browser (`fer-gpu/browser`'s `training` namespace): the platform-free part of the
 * Node entry's (train/portable.ts: evaluation, checkpoints from bytes, calibration, weight
 * averaging, schedules), the browser's predict and the shipped weights over HTTP. `train()` with
 * its run folder is Node's; in the browser, a training loop is ops, nn and optim (see
 * test/browser/sgd-steps.ts).
 */
export * from '../train/portable.js';
export { predict, type PredictInputs } from './predict.js';
export { loadPretrained, defaultWeightsUrl } from './pretrained.js';
