/**
 * Drift report between two FER datasets: image-feature drift (GPU features + Evidently stattests),
 * embedding drift, prediction drift, label (class-mix) drift and, with labels, performance drift.
 * The result is plain JSON with a stable, versioned schema (see {@link DriftReport}).
 */
import type { Device } from '../gpu/device.js';
import type { FerDataset } from '../data/dataset.js';
import { FER_CLASSES } from '../classes.js';
import { VERSION } from '../version.js';
import { InputError } from '../errors.js';
import { checkNumber } from '../options.js';
import { classificationReport } from '../metrics/report.js';
import { columnDrift, datasetDrift, type ColumnDriftResult, type DatasetDriftResult, type StatTestId } from './column-drift.js';
import { computeImageFeatures, featureColumns, IMAGE_FEATURE_NAMES } from './features/index.js';
import { embeddingDrift, type EmbeddingDriftOptions, type EmbeddingDriftResult, type EmbeddingInput } from './embedding-drift.js';
import { runModel, type DriftModel } from './run-model.js';

/** Version of the report JSON layout; bumped on any breaking change. */
export const DRIFT_REPORT_SCHEMA_VERSION = 1;

/** Precomputed model outputs for one dataset (instead of, or without, a model). */
export interface ModelOutputs {
  /** Embeddings [N, D] (flat with `dim`, or rows). */
  embeddings?: EmbeddingInput;
  dim?: number;
  /** Class probabilities [N, K] row-major (softmax of the logits). */
  probabilities?: Float32Array | Float64Array;
}

export interface DriftReportOptions {
  /** Precomputed outputs; used when no model is given (or to skip running it). */
  referenceOutputs?: ModelOutputs;
  currentOutputs?: ModelOutputs;
  /** Embedding drift method and its options (default: Evidently's default, `model`). */
  embedding?: Omit<EmbeddingDriftOptions, 'device' | 'dim'>;
  /** Stattest for every image feature (default: Evidently's automatic choice per column). */
  featureStattest?: StatTestId;
  featureThreshold?: number;
  /** Dataset drift on the image features when the share of drifted features >= this (default 0.5). */
  driftShare?: number;
  /**
   * False when the current dataset's labels are not ground truth (skips label and performance
   * drift). Default: false for an unlabelled dataset (`labelled: false`, e.g. a folder of images), else true.
   */
  currentLabelsKnown?: boolean;
  /** Class names (default FER2013's seven). */
  classNames?: readonly string[];
  /** Display names of the datasets (default: their `source`). */
  referenceName?: string;
  currentName?: string;
  /** Model input normalisation (default mean 0.5, std 0.5 on [0, 1] pixels, as augmentBatch). */
  normalize?: { mean: number; std: number };
  /** Images per model batch (default 256). */
  batchSize?: number;
  /** Histogram bins per feature (default 20). */
  bins?: number;
  /** Report timestamp (default now, ISO 8601). */
  createdAt?: string;
}

export interface DriftReportInput {
  reference: FerDataset;
  current: FerDataset;
  model?: DriftModel;
  /** GPU for features, model and MMD; the CPU references are used without one (no model then). */
  device?: Device;
  options?: DriftReportOptions;
}

/** Summary numbers of one feature on one dataset. */
export interface FeatureStats {
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** One row of the feature drift table. */
export interface FeatureDrift extends ColumnDriftResult {
  name: string;
  reference: FeatureStats;
  current: FeatureStats;
  /** Shared equal-width bins: `edges` (bins + 1), and the share of each dataset per bin. */
  histogram: { edges: number[]; reference: number[]; current: number[] };
}

/** Class counts of both datasets (index = class id). */
export interface ClassDistribution {
  reference: number[];
  current: number[];
}

export interface PerformanceSummary {
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  /** sklearn `classification_report(output_dict=True)` layout. */
  report: Record<string, unknown>;
  /** Counts, rows = true class, columns = predicted class. */
  confusionMatrix: number[][];
}

/**
 * The drift report (schemaVersion 1). Fields are never removed within a schema version; absent
 * parts are `null`. Overall verdict: `summary.drift` is true when any of feature (dataset) drift,
 * embedding drift, predicted-class drift or label drift is detected.
 */
export interface DriftReport {
  schemaVersion: 1;
  generator: string;
  createdAt: string;
  reference: { name: string; rows: number };
  current: { name: string; rows: number };
  classNames: string[];
  summary: {
    drift: boolean;
    featureDrift: boolean;
    numberOfFeatures: number;
    numberOfDriftedFeatures: number;
    shareOfDriftedFeatures: number;
    driftShare: number;
    embeddingDrift: boolean | null;
    predictionDrift: boolean | null;
    labelDrift: boolean | null;
    /** Current minus reference accuracy (null without labels and predictions). */
    accuracyDelta: number | null;
  };
  features: FeatureDrift[];
  embeddings: (EmbeddingDriftResult & { source: 'model' | 'provided' }) | null;
  predictions: {
    classDrift: ColumnDriftResult;
    confidenceDrift: ColumnDriftResult;
    distribution: ClassDistribution;
    meanConfidence: { reference: number; current: number };
  } | null;
  labels: { classDrift: ColumnDriftResult; distribution: ClassDistribution } | null;
  performance: { reference: PerformanceSummary; current: PerformanceSummary; accuracyDelta: number } | null;
}

// ------------------------------------------------------------------ report

/**
 * Builds the drift report of `current` against `reference`.
 * @example
 * const report = await driftReport({ reference: train, current: incoming, model, device });
 * fs.writeFileSync('drift.html', renderDriftHtml(report));
 */
export async function driftReport({ reference, current, model, device, options = {} }: DriftReportInput): Promise<DriftReport> {
  checkReportInput(reference, current, options);
  const classNames = [...(options.classNames ?? FER_CLASSES)];
  const { features, dataset } = await featureDrift(reference, current, device, options);
  const outputs = await modelOutputs(reference, current, model, device, options);
  const embeddings = await embeddingSection(outputs, device, options);
  const labelsKnown = (options.currentLabelsKnown ?? current.labelled !== false) && reference.labelled !== false;
  const predicted = predictedClasses(outputs, reference, current);
  const predictions = predicted && predictionSection(predicted, classNames);
  const performance = predicted && labelsKnown ? performanceSection(predicted, reference, current, classNames) : null;
  const labels = labelsKnown ? labelSection(reference, current, classNames) : null;
  return {
    schemaVersion: DRIFT_REPORT_SCHEMA_VERSION,
    generator: `fer-gpu ${VERSION}`,
    createdAt: options.createdAt ?? new Date().toISOString(),
    reference: { name: options.referenceName ?? reference.source, rows: reference.length },
    current: { name: options.currentName ?? current.source, rows: current.length },
    classNames,
    summary: summarize(dataset, embeddings, predictions, labels, performance),
    features,
    embeddings,
    predictions,
    labels,
    performance,
  };
}

/** One clear error for too few images or a bad option, before any work. */
function checkReportInput(reference: FerDataset, current: FerDataset, options: DriftReportOptions): void {
  if (reference.length < 2 || current.length < 2) {
    throw new InputError(`driftReport: need at least 2 images per dataset (reference ${reference.length}, current ${current.length})`);
  }
  checkNumber('driftReport', 'featureThreshold', options.featureThreshold);
  checkNumber('driftReport', 'driftShare', options.driftShare, { min: 0, max: 1 });
  checkNumber('driftReport', 'bins', options.bins, { integer: true, min: 1 });
  checkNumber('driftReport', 'batchSize', options.batchSize, { integer: true, min: 1 });
}

/** Image features → per-feature drift (Evidently dataset drift over the feature columns). */
async function featureDrift(
  reference: FerDataset,
  current: FerDataset,
  device: Device | undefined,
  options: DriftReportOptions,
): Promise<{ features: FeatureDrift[]; dataset: DatasetDriftResult }> {
  const bins = options.bins ?? 20;
  const refCols = featureColumns(await computeImageFeatures(reference.pixels, device));
  const curCols = featureColumns(await computeImageFeatures(current.pixels, device));
  const dataset = datasetDrift(refCols, curCols, {
    method: options.featureStattest,
    threshold: options.featureThreshold,
    driftShare: options.driftShare,
  });
  const features: FeatureDrift[] = IMAGE_FEATURE_NAMES.map((name) => ({
    name,
    ...dataset.columns[name]!,
    reference: stats(refCols[name]),
    current: stats(curCols[name]),
    histogram: histogram(refCols[name], curCols[name], bins),
  }));
  return { features, dataset };
}

/** Both datasets' model outputs, and where they came from. */
interface Outputs {
  reference?: ModelOutputs;
  current?: ModelOutputs;
  source: 'model' | 'provided';
}

/** Runs the model on both datasets, or takes the precomputed outputs of the options. */
async function modelOutputs(
  reference: FerDataset,
  current: FerDataset,
  model: DriftModel | undefined,
  device: Device | undefined,
  options: DriftReportOptions,
): Promise<Outputs> {
  if (!model) return { reference: options.referenceOutputs, current: options.currentOutputs, source: 'provided' };
  if (!device) throw new Error('driftReport: a model needs a device');
  const runOpts = { batchSize: options.batchSize, normalize: options.normalize };
  const ref = { ...(await runModel(model, device, reference, runOpts)) };
  const cur = { ...(await runModel(model, device, current, runOpts)) };
  return { reference: ref, current: cur, source: 'model' };
}

/** Embedding drift, when both datasets have embeddings. */
async function embeddingSection(
  outputs: Outputs,
  device: Device | undefined,
  options: DriftReportOptions,
): Promise<DriftReport['embeddings']> {
  const { reference: ref, current: cur } = outputs;
  if (!ref?.embeddings || !cur?.embeddings) return null;
  const r = await embeddingDrift(ref.embeddings, cur.embeddings, { ...options.embedding, dim: ref.dim ?? cur.dim, device });
  return { ...r, source: outputs.source };
}

/** Predicted classes and their confidence on both datasets. */
interface Predicted {
  reference: ReturnType<typeof argmaxRows>;
  current: ReturnType<typeof argmaxRows>;
}

/** The argmax of both datasets' probabilities, when both have probabilities. */
function predictedClasses(outputs: Outputs, reference: FerDataset, current: FerDataset): Predicted | null {
  if (!outputs.reference?.probabilities || !outputs.current?.probabilities) return null;
  const r = argmaxRows(outputs.reference.probabilities, reference.length, 'reference');
  const c = argmaxRows(outputs.current.probabilities, current.length, 'current');
  if (r.k !== c.k) throw new Error(`driftReport: reference has ${r.k} classes of probabilities, current ${c.k}`);
  return { reference: r, current: c };
}

/** Drift of the predicted class and of the confidence. */
function predictionSection(
  { reference: r, current: c }: Predicted,
  classNames: readonly string[],
): NonNullable<DriftReport['predictions']> {
  const name = (i: number) => classNames[i] ?? String(i);
  return {
    classDrift: columnDrift(Array.from(r.classes, name), Array.from(c.classes, name), { kind: 'cat' }),
    confidenceDrift: columnDrift(r.confidence, c.confidence, { kind: 'num' }),
    distribution: { reference: counts(r.classes, r.k), current: counts(c.classes, c.k) },
    meanConfidence: { reference: stats(Array.from(r.confidence)).mean, current: stats(Array.from(c.confidence)).mean },
  };
}

/** Accuracy and F1 of the predictions against the labels on both datasets. */
function performanceSection(
  predicted: Predicted,
  reference: FerDataset,
  current: FerDataset,
  classNames: readonly string[],
): DriftReport['performance'] {
  const rp = performance(reference.labels, predicted.reference.classes, classNames);
  const cp = performance(current.labels, predicted.current.classes, classNames);
  return { reference: rp, current: cp, accuracyDelta: cp.accuracy - rp.accuracy };
}

/** Drift of the labels' class mix. */
function labelSection(reference: FerDataset, current: FerDataset, classNames: readonly string[]): NonNullable<DriftReport['labels']> {
  const name = (i: number) => classNames[i] ?? String(i);
  return {
    classDrift: columnDrift(Array.from(reference.labels, name), Array.from(current.labels, name), { kind: 'cat' }),
    distribution: { reference: counts(reference.labels, classNames.length), current: counts(current.labels, classNames.length) },
  };
}

/** The report's verdicts: drift when the features, embeddings, predictions or labels drifted. */
function summarize(
  dataset: DatasetDriftResult,
  embeddings: DriftReport['embeddings'],
  predictions: DriftReport['predictions'],
  labels: DriftReport['labels'],
  performance: DriftReport['performance'],
): DriftReport['summary'] {
  const embeddingFlag = embeddings ? embeddings.driftDetected : null;
  const predictionFlag = predictions ? predictions.classDrift.drifted || predictions.confidenceDrift.drifted : null;
  const labelFlag = labels ? labels.classDrift.drifted : null;
  return {
    drift: dataset.datasetDrift || !!embeddingFlag || !!predictionFlag || !!labelFlag,
    featureDrift: dataset.datasetDrift,
    numberOfFeatures: dataset.numberOfColumns,
    numberOfDriftedFeatures: dataset.numberOfDriftedColumns,
    shareOfDriftedFeatures: dataset.shareOfDriftedColumns,
    driftShare: dataset.driftShare,
    embeddingDrift: embeddingFlag,
    predictionDrift: predictionFlag,
    labelDrift: labelFlag,
    accuracyDelta: performance ? performance.accuracyDelta : null,
  };
}

// ------------------------------------------------------------------ helpers

function stats(values: readonly number[]): FeatureStats {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / values.length), min, max };
}

function histogram(ref: readonly number[], cur: readonly number[], bins: number): FeatureDrift['histogram'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of [...ref, ...cur]) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const shares = (a: readonly number[]) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of a) c[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]!++;
    return c.map((x) => x / a.length);
  };
  return { edges, reference: shares(ref), current: shares(cur) };
}

function counts(classes: ArrayLike<number>, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (let i = 0; i < classes.length; i++) c[classes[i]!]!++;
  return c;
}

/** Argmax class and its probability per row of [N, K] probabilities. */
function argmaxRows(p: Float32Array | Float64Array, n: number, side: string): { classes: Int32Array; confidence: Float64Array; k: number } {
  if (n === 0 || p.length % n !== 0) throw new Error(`driftReport: ${side} probabilities have ${p.length} values for ${n} images`);
  const k = p.length / n;
  const classes = new Int32Array(n);
  const confidence = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[i * k + j]! > p[i * k + best]!) best = j;
    classes[i] = best;
    confidence[i] = p[i * k + best]!;
  }
  return { classes, confidence, k };
}

function performance(labels: Uint8Array, pred: Int32Array, classNames: readonly string[]): PerformanceSummary {
  const ids = classNames.map((_, i) => i);
  const r = classificationReport(Array.from(labels), Array.from(pred), { labels: ids, targetNames: classNames });
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === pred[i]) correct++;
  return {
    accuracy: correct / labels.length,
    macroF1: r.macroAvg.f1,
    weightedF1: r.weightedAvg.f1,
    report: r.toJSON(),
    confusionMatrix: r.confusionMatrix ?? [],
  };
}
