/**
 * Data drift detection compatible with Evidently: column stattests (column-drift.ts), image
 * features, embedding drift and drift reports. This file only re-exports (the `drift` namespace).
 *
 * @example
 * import { drift } from 'fer-gpu';
 * const r = drift.columnDrift(refAges, curAges);            // auto: ks / wasserstein / chisquare / z / jensenshannon
 * const d = drift.datasetDrift({ age: refAges, mood: refMoods }, { age: curAges, mood: curMoods });
 */
export {
  columnDrift,
  datasetDrift,
  defaultStatTest,
  STATTESTS,
  type ColumnKind,
  type Value,
  type StatTestId,
  type StatTestDef,
  type ColumnDriftOptions,
  type ColumnDriftResult,
  type DatasetDriftOptions,
  type DatasetDriftResult,
} from './column-drift.js';
export { LegacyMT19937 } from './numpy-random.js';

// Image features, embedding drift, reports (see each module).
export {
  computeImageFeatures,
  featureColumns,
  imageFeaturesReference,
  IMAGE_FEATURE_NAMES,
  type ImageFeatureName,
  type ImageFeatureOptions,
} from './features/index.js';
export {
  embeddingDrift,
  type EmbeddingDistance,
  type EmbeddingDriftMethod,
  type EmbeddingDriftOptions,
  type EmbeddingDriftResult,
  type EmbeddingInput,
} from './embedding-drift.js';
export { runModel, type DriftModel } from './run-model.js';
export {
  driftReport,
  DRIFT_REPORT_SCHEMA_VERSION,
  type DriftReport,
  type DriftReportInput,
  type DriftReportOptions,
  type FeatureDrift,
  type FeatureStats,
  type ClassDistribution,
  type PerformanceSummary,
  type ModelOutputs,
} from './report.js';
export { appendHistory, historyEntry, renderDriftHtml, renderTrendHtml, escapeHtml, type DriftHistoryEntry } from './html.js';
export { blur, randomHalves, resampleClasses, shiftBrightness } from './shifts.js';
