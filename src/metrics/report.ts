/**
 * `classificationReport`: sklearn's `classification_report` as an object that prints as sklearn's
 * text table and serialises like its `output_dict=True` dictionary, optionally with probability
 * metrics. `reportFromConfusion` builds the same report from a confusion matrix, so an accumulator
 * that only keeps a K×K count matrix (e.g. on the GPU) can produce it.
 */
import {
  countsFromConfusion,
  countsFromLabels,
  scoresFromCounts,
  type AveragedScores,
  type ClassCounts,
  type PerClassScores,
  type ZeroDivision,
} from './classification.js';
import { expectedCalibrationError, logLoss, rocAucOvr, topKAccuracy } from './probabilistic.js';
import { checkLabelsOption, toLabelPair, toProbabilityMatrix, uniqueSorted, type LabelArray, type ProbabilityInput } from './validate.js';

/** Scores of one row of the report. */
export interface ReportRow {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** One class's row: its label id, display name and scores. */
export interface ClassReportRow extends ReportRow {
  label: number;
  name: string;
}

/** Metrics on the predicted probabilities; a figure is `null` where it is undefined for the data. */
export interface ProbabilityMetrics {
  logLoss: number;
  /** One-vs-rest ROC AUC, macro average; null when some class has no positive or no negative sample. */
  rocAucMacro: number | null;
  /** One-vs-rest ROC AUC weighted by support; null as `rocAucMacro`. */
  rocAucWeighted: number | null;
  /** Top-2 accuracy; null for 2 classes (where it is trivially 1). */
  top2Accuracy: number | null;
  /** Expected calibration error with 15 equal-width bins. */
  ece: number;
}

/** The parts a report is made of. */
export interface ReportData {
  classes: ClassReportRow[];
  /** Present when sklearn prints an "accuracy" row (the listed labels are exactly the classes seen). */
  accuracy?: number;
  /** Present instead of `accuracy` when `labels` differs from the classes seen ("micro avg" row). */
  microAvg?: ReportRow;
  macroAvg: ReportRow;
  weightedAvg: ReportRow;
  /** Count matrix over the listed labels (rows = true), when known. */
  confusionMatrix?: number[][];
  probabilityMetrics?: ProbabilityMetrics;
  /**
   * sklearn 1.2 quirk, mirrored for identical text: when no sample at all is predicted correctly,
   * its counts become floats and supports print as "3.0" instead of "3".
   */
  floatSupport?: boolean;
}

/**
 * A classification report. `format(digits)` returns exactly the text of sklearn's
 * `classification_report(..., digits=digits)`; `toJSON()` returns sklearn's `output_dict=True`
 * layout (class names → {precision, recall, f1-score, support}, "accuracy" or "micro avg",
 * "macro avg", "weighted avg") plus "confusion matrix" and "probability metrics" when known.
 */
export class ClassificationReport implements ReportData {
  readonly classes: ClassReportRow[];
  readonly accuracy?: number;
  readonly microAvg?: ReportRow;
  readonly macroAvg: ReportRow;
  readonly weightedAvg: ReportRow;
  readonly confusionMatrix?: number[][];
  readonly probabilityMetrics?: ProbabilityMetrics;
  readonly floatSupport?: boolean;

  constructor(data: ReportData) {
    this.classes = data.classes;
    if (data.accuracy !== undefined) this.accuracy = data.accuracy;
    if (data.microAvg !== undefined) this.microAvg = data.microAvg;
    this.macroAvg = data.macroAvg;
    this.weightedAvg = data.weightedAvg;
    if (data.confusionMatrix !== undefined) this.confusionMatrix = data.confusionMatrix;
    if (data.probabilityMetrics !== undefined) this.probabilityMetrics = data.probabilityMetrics;
    if (data.floatSupport) this.floatSupport = true;
  }

  /** sklearn's `classification_report` text, character for character, with `digits` decimals. */
  format(digits = 2): string {
    if (!Number.isInteger(digits) || digits < 0) throw new RangeError(`digits must be a non-negative integer, got ${digits}`);
    const names = this.classes.map((c) => c.name);
    const width = Math.max(...names.map(textLength), 'weighted avg'.length, digits);
    const num = (v: number) => ' ' + padLeft(pyFixed(v, digits), 9);
    const count = (v: number) => padLeft(this.floatSupport && Number.isInteger(v) ? `${v}.0` : String(v), 9);
    const row = (name: string, r: ReportRow) =>
      padLeft(name, width) + ' ' + num(r.precision) + num(r.recall) + num(r.f1) + ' ' + count(r.support) + '\n';
    let out = padLeft('', width) + ' ' + ['precision', 'recall', 'f1-score', 'support'].map((h) => ' ' + padLeft(h, 9)).join('');
    out += '\n\n';
    for (const c of this.classes) out += row(c.name, c);
    out += '\n';
    const totalSupport = this.classes.reduce((a, c) => a + c.support, 0);
    if (this.accuracy !== undefined) {
      out +=
        padLeft('accuracy', width) +
        ' ' +
        ' ' +
        padLeft('', 9) +
        ' ' +
        padLeft('', 9) +
        num(this.accuracy) +
        ' ' +
        count(totalSupport) +
        '\n';
    } else if (this.microAvg !== undefined) {
      out += row('micro avg', this.microAvg);
    }
    out += row('macro avg', this.macroAvg);
    out += row('weighted avg', this.weightedAvg);
    return out;
  }

  /** The sklearn table (2 digits), followed by the probability metrics when present. */
  toString(): string {
    let out = this.format(2);
    const pm = this.probabilityMetrics;
    if (pm) {
      const fmt = (v: number | null) => (v === null ? 'n/a' : pyFixed(v, 4));
      out += '\n';
      out += `log loss              ${fmt(pm.logLoss)}\n`;
      out += `roc auc (ovr, macro)  ${fmt(pm.rocAucMacro)}\n`;
      out += `roc auc (ovr, wtd)    ${fmt(pm.rocAucWeighted)}\n`;
      out += `top-2 accuracy        ${fmt(pm.top2Accuracy)}\n`;
      out += `ece (15 bins)         ${fmt(pm.ece)}\n`;
    }
    return out;
  }

  /** sklearn's `output_dict=True` layout (NaN becomes null through JSON.stringify). */
  toJSON(): Record<string, unknown> {
    const entry = (r: ReportRow) => ({ precision: r.precision, recall: r.recall, 'f1-score': r.f1, support: r.support });
    const out: Record<string, unknown> = {};
    for (const c of this.classes) out[c.name] = entry(c);
    if (this.accuracy !== undefined) out.accuracy = this.accuracy;
    if (this.microAvg !== undefined) out['micro avg'] = entry(this.microAvg);
    out['macro avg'] = entry(this.macroAvg);
    out['weighted avg'] = entry(this.weightedAvg);
    if (this.confusionMatrix !== undefined) out['confusion matrix'] = this.confusionMatrix;
    if (this.probabilityMetrics !== undefined) out['probability metrics'] = this.probabilityMetrics;
    return out;
  }
}

/** Options of {@link classificationReport}. */
export interface ClassificationReportOptions {
  /** Classes to report, in this order (default: sorted union of yTrue and yPred, as sklearn). */
  labels?: LabelArray;
  /**
   * Display names aligned with `labels` (or with the default labels). Must have the same length;
   * sklearn only warns and drops rows when `labels` is given, this throws instead.
   */
  targetNames?: readonly string[];
  /** Value for 0/0 ratios; default 0 (sklearn's "warn" without the warning). */
  zeroDivision?: ZeroDivision;
  /**
   * Predicted probabilities [N, K]; column j belongs to class `probabilityLabels[j]`, by default
   * class id j. Adds log loss, one-vs-rest ROC AUC, top-2 accuracy and ECE to the report.
   */
  probabilities?: ProbabilityInput;
  /** Class of each probability column (sorted ascending); default `[0, 1, …, K-1]`. */
  probabilityLabels?: LabelArray;
}

/**
 * Per-class precision/recall/F1/support, accuracy and macro/weighted averages
 * (`sklearn.metrics.classification_report`), plus probability metrics when `probabilities` is given.
 * @throws RangeError on empty input, mismatched lengths, or `targetNames` of the wrong length.
 */
export function classificationReport(
  yTrue: LabelArray,
  yPred: LabelArray,
  options: ClassificationReportOptions = {},
): ClassificationReport {
  const [t, p] = toLabelPair(yTrue, yPred);
  const present = uniqueSorted(t, p);
  const labels = options.labels === undefined ? present : checkLabelsOption(options.labels);
  const microIsAccuracy = options.labels === undefined || (labels.length === present.length && present.every((l) => labels.includes(l)));
  const index = new Map(labels.map((l, i) => [l, i]));
  const cm = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < t.length; i++) {
    const ti = index.get(t[i]!);
    const pi = index.get(p[i]!);
    if (ti !== undefined && pi !== undefined) cm[ti]![pi]!++;
  }
  let probabilityMetrics: ProbabilityMetrics | undefined;
  if (options.probabilities !== undefined) {
    probabilityMetrics = computeProbabilityMetrics(t, options.probabilities, options.probabilityLabels);
  }
  return buildReport(countsFromLabels(t, p, labels), {
    microIsAccuracy,
    targetNames: options.targetNames,
    zeroDivision: options.zeroDivision ?? 0,
    confusionMatrix: cm,
    probabilityMetrics,
    floatSupport: !t.some((v, i) => v === p[i]),
  });
}

/** Options of {@link reportFromConfusion}. */
export interface ReportFromConfusionOptions {
  /** Class id of each row/column; default `[0, 1, …, K-1]`. */
  labels?: LabelArray;
  /** Display names aligned with the rows; default the label ids. */
  targetNames?: readonly string[];
  zeroDivision?: ZeroDivision;
  /** Probability metrics computed elsewhere (e.g. by a streaming accumulator). */
  probabilityMetrics?: ProbabilityMetrics;
}

/**
 * The report for a full K×K count matrix (rows = true class), identical to
 * `classification_report(y_true, y_pred, labels=labels)` on the samples it counts. Every sample
 * must fall in one of the K classes (true for a model's argmax over K outputs).
 */
export function reportFromConfusion(cm: readonly (readonly number[])[], options: ReportFromConfusionOptions = {}): ClassificationReport {
  const labels = options.labels === undefined ? cm.map((_, i) => i) : checkLabelsOption(options.labels);
  const counts = countsFromConfusion(cm, labels);
  cm.forEach((row, i) =>
    row.forEach((v, j) => {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`confusion matrix [${i}][${j}] = ${v} is not a count`);
    }),
  );
  if (counts.trueSum.every((s) => s === 0)) throw new RangeError('confusion matrix is all zeros; need at least one sample');
  // sklearn prints "accuracy" when the listed labels are exactly the classes seen in the data.
  const microIsAccuracy = labels.every((_, i) => counts.trueSum[i]! + counts.predSum[i]! > 0);
  return buildReport(counts, {
    microIsAccuracy,
    targetNames: options.targetNames,
    zeroDivision: options.zeroDivision ?? 0,
    confusionMatrix: cm.map((row) => [...row]),
    probabilityMetrics: options.probabilityMetrics,
    floatSupport: counts.tp.every((v) => v === 0),
  });
}

/**
 * Log loss, OvR ROC AUC (null where a class has no positive/negative sample), top-2 accuracy
 * (null for K = 2) and 15-bin ECE. Column j belongs to `labels[j]` (default class id j).
 */
export function computeProbabilityMetrics(yTrue: LabelArray, probabilities: ProbabilityInput, labels?: LabelArray): ProbabilityMetrics {
  const t = Array.from(yTrue as ArrayLike<number>);
  const k = toProbabilityMatrix(probabilities, t.length, { requireRowsSumToOne: true }).k;
  const columns = labels === undefined ? Array.from({ length: k }, (_, j) => j) : Array.from(labels as ArrayLike<number>);
  const auc = (average: 'macro' | 'weighted') => {
    const perClassDefined = columns.every((c) => t.includes(c) && t.some((v) => v !== c));
    return perClassDefined ? rocAucOvr(t, probabilities, { labels: columns, average }) : null;
  };
  return {
    logLoss: logLoss(t, probabilities, { labels: columns }),
    rocAucMacro: auc('macro'),
    rocAucWeighted: auc('weighted'),
    top2Accuracy: k > 2 ? topKAccuracy(t, probabilities, { k: 2, labels: columns }) : null,
    ece: expectedCalibrationError(t, probabilities, { labels: columns }),
  };
}

function buildReport(
  counts: ClassCounts,
  opts: {
    microIsAccuracy: boolean;
    targetNames?: readonly string[];
    zeroDivision: ZeroDivision;
    confusionMatrix?: number[][];
    probabilityMetrics?: ProbabilityMetrics;
    floatSupport: boolean;
  },
): ClassificationReport {
  const { labels } = counts;
  const names = opts.targetNames === undefined ? labels.map(String) : [...opts.targetNames];
  if (names.length !== labels.length) {
    throw new RangeError(`targetNames has ${names.length} names but there are ${labels.length} classes [${labels.join(', ')}]`);
  }
  const perClass = scoresFromCounts(counts, null, opts.zeroDivision) as PerClassScores;
  const totalSupport = perClass.support.reduce((a, b) => a + b, 0);
  const avg = (average: 'micro' | 'macro' | 'weighted'): ReportRow => {
    const s = scoresFromCounts(counts, average, opts.zeroDivision) as AveragedScores;
    return { precision: s.precision, recall: s.recall, f1: s.f1, support: totalSupport };
  };
  const micro = avg('micro');
  return new ClassificationReport({
    classes: labels.map((label, i) => ({
      label,
      // names was checked to have one entry per label; the scores have one per label too
      name: names[i]!,
      precision: perClass.precision[i]!,
      recall: perClass.recall[i]!,
      f1: perClass.f1[i]!,
      support: perClass.support[i]!,
    })),
    ...(opts.microIsAccuracy ? { accuracy: micro.f1 } : { microAvg: micro }),
    macroAvg: avg('macro'),
    weightedAvg: avg('weighted'),
    confusionMatrix: opts.confusionMatrix,
    probabilityMetrics: opts.probabilityMetrics,
    floatSupport: opts.floatSupport,
  });
}

/** Python's `format(x, '.{digits}f')`: exact decimal value, ties rounded half to even; nan/inf spelled as Python does. */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  let s = a.toFixed(digits);
  if (a < 1e21) {
    // toFixed rounds exact ties away from zero; Python rounds them to even.
    const exact = a.toFixed(100);
    const cut = exact.indexOf('.') + 1 + digits;
    const rest = exact.slice(cut);
    if (rest[0] === '5' && /^5?0*$/.test(rest)) {
      const truncated = exact.slice(0, digits === 0 ? cut - 1 : cut);
      if (Number(truncated[truncated.length - 1]) % 2 === 0) s = truncated;
    }
  }
  return sign + s;
}

function textLength(s: string): number {
  return [...s].length;
}

function padLeft(s: string, width: number): string {
  return ' '.repeat(Math.max(0, width - textLength(s))) + s;
}
