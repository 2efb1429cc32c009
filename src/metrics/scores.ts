/**
 * Classification metrics with scikit-learn semantics and the classification report, without the
 * plots (which write PNG through Node's zlib): what the browser entry exports as `metrics`.
 */
export {
  accuracy,
  balancedAccuracy,
  cohenKappa,
  confusionMatrix,
  matthewsCorrcoef,
  normalizeConfusion,
  precisionRecallF1Support,
  type AveragedScores,
  type Average,
  type CohenKappaOptions,
  type ConfusionMatrixOptions,
  type PerClassScores,
  type PrfOptions,
  type ZeroDivision,
} from './classification.js';
export { expectedCalibrationError, logLoss, rocAucOvr, topKAccuracy, type EceOptions, type ProbabilityOptions } from './probabilistic.js';
export {
  ClassificationReport,
  classificationReport,
  computeProbabilityMetrics,
  reportFromConfusion,
  type ClassReportRow,
  type ClassificationReportOptions,
  type ProbabilityMetrics,
  type ReportData,
  type ReportFromConfusionOptions,
  type ReportRow,
} from './report.js';
export { ROW_SUM_TOLERANCE, type LabelArray, type ProbabilityInput } from './validate.js';
export { MetricAccumulator, type MetricAccumulatorOptions } from './accumulator/index.js';
