/**
 * Drift report between two FER datasets: image-feature drift (GPU features + Evidently stattests),
 * embedding drift, prediction drift, label (class-mix) drift and, with labels, performance drift.
 * The result is plain JSON with a stable, versioned schema (see {@link DriftReport}).
 */
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { Module, inEvalMode } from '../nn/module.js';
import type { FerDataset } from '../data/dataset.js';
import { FER_CLASSES } from '../classes.js';
import { VERSION } from '../version.js';
import { InputError } from '../errors.js';
import { checkNumber } from '../options.js';
import { GpuImages, augmentBatch, identityParams, PARAMS_PER_IMAGE } from '../data/augment/index.js';
import { classificationReport } from '../metrics/report.js';
import { columnDrift, datasetDrift, type ColumnDriftResult, type StatTestId } from './index.js';
import { computeImageFeatures, featureColumns, IMAGE_FEATURE_NAMES } from './features/index.js';
import { embeddingDrift, type EmbeddingDriftOptions, type EmbeddingDriftResult, type EmbeddingInput } from './embeddings.js';

/** Version of the report JSON layout; bumped on any breaking change. */
export const DRIFT_REPORT_SCHEMA_VERSION = 1;

/**
 * What driftReport needs from a model: PyTorch-style `features` ([N, D]) and `forward` (logits [N, K]).
 * A fer-gpu {@link Module} (FerResNet18) runs in eval mode and is given back in the mode it was in;
 * any other object is called as it is.
 */
export interface DriftModel {
  features(x: Tensor): Tensor;
  forward(x: Tensor): Tensor;
}

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
    for (const v of a) c[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
    return c.map((x) => x / a.length);
  };
  return { edges, reference: shares(ref), current: shares(cur) };
}

function counts(classes: ArrayLike<number>, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (let i = 0; i < classes.length; i++) c[classes[i]!]++;
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

/**
 * Runs a model over a dataset in batches (no grad, eval mode for a {@link Module}; the model is
 * left as it was): embeddings [N, D] and softmax probabilities [N, K]. Inputs are normalised as
 * augmentBatch does ((pixel/255 - mean) / std).
 */
export async function runModel(
  model: DriftModel,
  device: Device,
  data: FerDataset,
  options: { batchSize?: number; normalize?: { mean: number; std: number } } = {},
): Promise<{ embeddings: Float32Array; dim: number; probabilities: Float32Array }> {
  if (model instanceof Module) return inEvalMode(model, () => runModelAsIs(model, device, data, options));
  return runModelAsIs(model, device, data, options);
}

async function runModelAsIs(
  model: DriftModel,
  device: Device,
  data: FerDataset,
  { batchSize = 256, normalize = { mean: 0.5, std: 0.5 } }: { batchSize?: number; normalize?: { mean: number; std: number } },
): Promise<{ embeddings: Float32Array; dim: number; probabilities: Float32Array }> {
  const images = new GpuImages(device, data.pixels);
  const emb: Float32Array[] = [];
  const probs: Float32Array[] = [];
  let dim = 0;
  try {
    for (let s = 0; s < data.length; s += batchSize) {
      const n = Math.min(batchSize, data.length - s);
      const params = new Float32Array(n * PARAMS_PER_IMAGE);
      for (let i = 0; i < n; i++) identityParams(params, i * PARAMS_PER_IMAGE, 0);
      const sources = Int32Array.from({ length: n }, (_, i) => s + i);
      const [f, logits] = device.noGrad(() =>
        device.tidy(() => {
          const x = augmentBatch(images, sources, params, normalize);
          return [model.features(x), model.forward(x)] as const;
        }),
      );
      if (f.shape[0] !== n || f.shape.length !== 2) throw new Error(`driftReport: model.features returned [${f.shape.join(', ')}], expected [${n}, D]`);
      if (logits.shape[0] !== n || logits.shape.length !== 2) throw new Error(`driftReport: model.forward returned [${logits.shape.join(', ')}], expected [${n}, K]`);
      dim = f.shape[1]!;
      emb.push(await f.toArray());
      const l = await logits.toArray();
      const k = logits.shape[1]!;
      for (let i = 0; i < n; i++) {
        let mx = -Infinity;
        for (let j = 0; j < k; j++) mx = Math.max(mx, l[i * k + j]!);
        let sum = 0;
        for (let j = 0; j < k; j++) sum += (l[i * k + j] = Math.exp(l[i * k + j]! - mx));
        for (let j = 0; j < k; j++) l[i * k + j]! /= sum;
      }
      probs.push(l);
      f.dispose();
      logits.dispose();
    }
  } finally {
    images.dispose();
  }
  const cat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return { embeddings: cat(emb), dim, probabilities: cat(probs) };
}

// ------------------------------------------------------------------ report

/**
 * Builds the drift report of `current` against `reference`.
 * @example
 * const report = await driftReport({ reference: train, current: incoming, model, device });
 * fs.writeFileSync('drift.html', renderDriftHtml(report));
 */
export async function driftReport({ reference, current, model, device, options = {} }: DriftReportInput): Promise<DriftReport> {
  if (reference.length < 2 || current.length < 2) {
    throw new InputError(`driftReport: need at least 2 images per dataset (reference ${reference.length}, current ${current.length})`);
  }
  checkNumber('driftReport', 'featureThreshold', options.featureThreshold);
  checkNumber('driftReport', 'driftShare', options.driftShare, { min: 0, max: 1 });
  checkNumber('driftReport', 'bins', options.bins, { integer: true, min: 1 });
  checkNumber('driftReport', 'batchSize', options.batchSize, { integer: true, min: 1 });
  const classNames = [...(options.classNames ?? FER_CLASSES)];
  const bins = options.bins ?? 20;

  // Image features → per-feature drift (Evidently dataset drift over the feature columns).
  const refCols = featureColumns(await computeImageFeatures(reference.pixels, device));
  const curCols = featureColumns(await computeImageFeatures(current.pixels, device));
  const dd = datasetDrift(refCols, curCols, {
    method: options.featureStattest,
    threshold: options.featureThreshold,
    driftShare: options.driftShare,
  });
  const features: FeatureDrift[] = IMAGE_FEATURE_NAMES.map((name) => ({
    name,
    ...dd.columns[name]!,
    reference: stats(refCols[name]),
    current: stats(curCols[name]),
    histogram: histogram(refCols[name], curCols[name], bins),
  }));

  // Model outputs: run the model, or take precomputed ones.
  let refOut = options.referenceOutputs;
  let curOut = options.currentOutputs;
  let source: 'model' | 'provided' = 'provided';
  if (model) {
    if (!device) throw new Error('driftReport: a model needs a device');
    const runOpts = { batchSize: options.batchSize, normalize: options.normalize };
    refOut = { ...(await runModel(model, device, reference, runOpts)) };
    curOut = { ...(await runModel(model, device, current, runOpts)) };
    source = 'model';
  }

  let embeddings: DriftReport['embeddings'] = null;
  if (refOut?.embeddings && curOut?.embeddings) {
    const r = await embeddingDrift(refOut.embeddings, curOut.embeddings, { ...options.embedding, dim: refOut.dim ?? curOut.dim, device });
    embeddings = { ...r, source };
  }

  const labelsKnown = (options.currentLabelsKnown ?? current.labelled !== false) && reference.labelled !== false;
  let predictions: DriftReport['predictions'] = null;
  let performanceResult: DriftReport['performance'] = null;
  if (refOut?.probabilities && curOut?.probabilities) {
    const r = argmaxRows(refOut.probabilities, reference.length, 'reference');
    const c = argmaxRows(curOut.probabilities, current.length, 'current');
    if (r.k !== c.k) throw new Error(`driftReport: reference has ${r.k} classes of probabilities, current ${c.k}`);
    const name = (i: number) => classNames[i] ?? String(i);
    predictions = {
      classDrift: columnDrift(Array.from(r.classes, name), Array.from(c.classes, name), { kind: 'cat' }),
      confidenceDrift: columnDrift(r.confidence, c.confidence, { kind: 'num' }),
      distribution: { reference: counts(r.classes, r.k), current: counts(c.classes, c.k) },
      meanConfidence: { reference: stats(Array.from(r.confidence)).mean, current: stats(Array.from(c.confidence)).mean },
    };
    if (labelsKnown) {
      const rp = performance(reference.labels, r.classes, classNames);
      const cp = performance(current.labels, c.classes, classNames);
      performanceResult = { reference: rp, current: cp, accuracyDelta: cp.accuracy - rp.accuracy };
    }
  }

  let labels: DriftReport['labels'] = null;
  if (labelsKnown) {
    const name = (i: number) => classNames[i] ?? String(i);
    labels = {
      classDrift: columnDrift(Array.from(reference.labels, name), Array.from(current.labels, name), { kind: 'cat' }),
      distribution: { reference: counts(reference.labels, classNames.length), current: counts(current.labels, classNames.length) },
    };
  }

  const embeddingFlag = embeddings ? embeddings.driftDetected : null;
  const predictionFlag = predictions ? predictions.classDrift.drifted || predictions.confidenceDrift.drifted : null;
  const labelFlag = labels ? labels.classDrift.drifted : null;
  return {
    schemaVersion: DRIFT_REPORT_SCHEMA_VERSION,
    generator: `fer-gpu ${VERSION}`,
    createdAt: options.createdAt ?? new Date().toISOString(),
    reference: { name: options.referenceName ?? reference.source, rows: reference.length },
    current: { name: options.currentName ?? current.source, rows: current.length },
    classNames,
    summary: {
      drift: dd.datasetDrift || !!embeddingFlag || !!predictionFlag || !!labelFlag,
      featureDrift: dd.datasetDrift,
      numberOfFeatures: dd.numberOfColumns,
      numberOfDriftedFeatures: dd.numberOfDriftedColumns,
      shareOfDriftedFeatures: dd.shareOfDriftedColumns,
      driftShare: dd.driftShare,
      embeddingDrift: embeddingFlag,
      predictionDrift: predictionFlag,
      labelDrift: labelFlag,
      accuracyDelta: performanceResult ? performanceResult.accuracyDelta : null,
    },
    features,
    embeddings,
    predictions,
    labels,
    performance: performanceResult,
  };
}
