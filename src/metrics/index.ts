/**
 * Classification metrics with scikit-learn semantics (checked against sklearn 1.2.1 golden
 * vectors), a classification report, and confusion-matrix / per-class bar plots as PNG or SVG.
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
export {
  expectedCalibrationError,
  logLoss,
  rocAucOvr,
  topKAccuracy,
  type EceOptions,
  type ProbabilityOptions,
} from './probabilistic.js';
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
export {
  renderConfusionMatrix,
  renderPerClassBars,
  renderFaceGrid,
  writePlot,
  type BarsPlotOptions,
  type ConfusionPlotOptions,
  type FaceGridOptions,
  type GridFace,
  type PlotFormat,
  type PlotSpec,
} from './plot.js';
export { MetricAccumulator, type MetricAccumulatorOptions } from './accumulator/index.js';
