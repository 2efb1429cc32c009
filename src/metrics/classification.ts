/**
 * Label-based classification metrics with scikit-learn 1.2 semantics (the version Debian 12 ships
 * and our golden vectors come from). Each function names its sklearn counterpart in its JSDoc.
 */
import { checkLabelsOption, toLabelPair, uniqueSorted, type LabelArray } from './validate.js';

/** What to return for a ratio whose denominator is 0 (sklearn's `zero_division`; sklearn's default "warn" behaves as 0). */
export type ZeroDivision = 0 | 1 | number;

/** Averaging mode of {@link precisionRecallF1Support}; `null` returns one score per class. */
export type Average = 'micro' | 'macro' | 'weighted' | null;

/**
 * Fraction of samples whose prediction equals the truth (`sklearn.metrics.accuracy_score`).
 * @throws RangeError on empty input or mismatched lengths; TypeError on non-integer labels.
 */
export function accuracy(yTrue: LabelArray, yPred: LabelArray): number {
  const [t, p] = toLabelPair(yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) hits++;
  return hits / t.length;
}

/**
 * Mean per-class recall over the classes present in `yTrue` (`sklearn.metrics.balanced_accuracy_score`).
 * As in sklearn, classes that appear only in `yPred` are dropped (sklearn warns). With `adjusted`,
 * chance level scores 0 and perfect 1.
 */
export function balancedAccuracy(yTrue: LabelArray, yPred: LabelArray, options: { adjusted?: boolean } = {}): number {
  const [t, p] = toLabelPair(yTrue, yPred);
  const labels = uniqueSorted(t, p);
  const cm = countMatrix(t, p, labels);
  const perClass: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const rowSum = cm[i]!.reduce((a, b) => a + b, 0);
    if (rowSum > 0) perClass.push(cm[i]![i]! / rowSum);
  }
  let score = mean(perClass);
  if (options.adjusted) {
    const chance = 1 / perClass.length;
    score -= chance;
    score /= 1 - chance;
  }
  return score;
}

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /**
   * Classes indexing the rows/columns, in this order. Defaults to the sorted union of `yTrue` and
   * `yPred`. As in sklearn, samples whose true or predicted label is not listed are ignored.
   */
  labels?: LabelArray;
  /** Divide by row sums (`'true'`), column sums (`'pred'`) or the total (`'all'`); 0/0 gives 0 as in sklearn. */
  normalize?: 'true' | 'pred' | 'all';
}

/**
 * Confusion matrix with rows = true class and columns = predicted class
 * (`sklearn.metrics.confusion_matrix`). Returns `number[][]` of counts, or fractions with `normalize`.
 * @throws RangeError when no `yTrue` value is in `labels` (sklearn's error), on empty input or mismatched lengths.
 */
export function confusionMatrix(yTrue: LabelArray, yPred: LabelArray, options: ConfusionMatrixOptions = {}): number[][] {
  const [t, p] = toLabelPair(yTrue, yPred);
  const labels = options.labels === undefined ? uniqueSorted(t, p) : checkLabelsOption(options.labels);
  if (options.labels !== undefined) {
    const given = new Set(labels);
    if (!t.some((v) => given.has(v))) {
      throw new RangeError(`confusionMatrix: none of labels [${labels.join(', ')}] occurs in yTrue (at least one must)`);
    }
  }
  const cm = countMatrix(t, p, labels);
  return options.normalize === undefined ? cm : normalizeConfusion(cm, options.normalize);
}

/**
 * Normalises a count confusion matrix like sklearn's `confusion_matrix(normalize=...)`:
 * `'true'` divides rows, `'pred'` columns, `'all'` the grand total; 0/0 becomes 0.
 */
export function normalizeConfusion(cm: readonly (readonly number[])[], normalize: 'true' | 'pred' | 'all'): number[][] {
  const k = cm.length;
  const rowSums = cm.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = Array.from({ length: k }, (_, j) => cm.reduce((a, row) => a + row[j]!, 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const safe = (x: number) => (Number.isFinite(x) ? x : 0);
  return cm.map((row, i) =>
    row.map((v, j) => {
      if (normalize === 'true') return safe(v / rowSums[i]!);
      if (normalize === 'pred') return safe(v / colSums[j]!);
      if (normalize === 'all') return safe(v / total);
      throw new RangeError(`normalize must be 'true', 'pred' or 'all', got ${String(normalize)}`);
    }),
  );
}

/** Options of {@link precisionRecallF1Support}. */
export interface PrfOptions {
  /**
   * Classes to score, in this order (default: sorted union of `yTrue` and `yPred`). Listed classes
   * absent from the data get support 0; samples of unlisted classes still count as false
   * positives/negatives of listed ones, exactly as in sklearn.
   */
  labels?: LabelArray;
  /** `null` (default here; sklearn's default is 'binary') returns per-class arrays. */
  average?: Average;
  /**
   * Value for 0/0 ratios (a never-predicted class's precision, a zero-support class's recall).
   * Default 0, like sklearn's "warn" without the warning. `NaN` follows sklearn ≥ 1.3: NaN entries
   * are skipped by the averages.
   */
  zeroDivision?: ZeroDivision;
}

/** Per-class scores, aligned with `labels`. */
export interface PerClassScores {
  labels: number[];
  precision: number[];
  recall: number[];
  f1: number[];
  /** Number of true samples of each class. */
  support: number[];
}

/** Averaged scores. `support` is `null`, as sklearn returns `None` for averages. */
export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
  support: null;
}

/** Per-class counts from which precision, recall and F1 follow. */
export interface ClassCounts {
  labels: number[];
  /** Samples with true = predicted = label. */
  tp: number[];
  /** Samples predicted as label. */
  predSum: number[];
  /** Samples truly of label (support). */
  trueSum: number[];
}

/**
 * Precision, recall, F1 and support (`sklearn.metrics.precision_recall_fscore_support` with beta=1).
 * @throws RangeError on empty input, mismatched lengths or an unknown `average`.
 */
export function precisionRecallF1Support(yTrue: LabelArray, yPred: LabelArray, options?: PrfOptions & { average?: null }): PerClassScores;
export function precisionRecallF1Support(
  yTrue: LabelArray,
  yPred: LabelArray,
  options: PrfOptions & { average: 'micro' | 'macro' | 'weighted' },
): AveragedScores;
export function precisionRecallF1Support(yTrue: LabelArray, yPred: LabelArray, options?: PrfOptions): PerClassScores | AveragedScores;
export function precisionRecallF1Support(yTrue: LabelArray, yPred: LabelArray, options: PrfOptions = {}): PerClassScores | AveragedScores {
  const [t, p] = toLabelPair(yTrue, yPred);
  const labels = options.labels === undefined ? uniqueSorted(t, p) : checkLabelsOption(options.labels);
  return scoresFromCounts(countsFromLabels(t, p, labels), options.average ?? null, options.zeroDivision ?? 0);
}

/** Per-label true-positive, predicted and true counts (sklearn's `multilabel_confusion_matrix` sums). */
export function countsFromLabels(t: readonly number[], p: readonly number[], labels: readonly number[]): ClassCounts {
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const tp = new Array<number>(k).fill(0);
  const predSum = new Array<number>(k).fill(0);
  const trueSum = new Array<number>(k).fill(0);
  for (let i = 0; i < t.length; i++) {
    const ti = index.get(t[i]!);
    const pi = index.get(p[i]!);
    if (ti !== undefined) trueSum[ti]!++;
    if (pi !== undefined) predSum[pi]!++;
    if (ti !== undefined && t[i] === p[i]) tp[ti]!++;
  }
  return { labels: [...labels], tp, predSum, trueSum };
}

/** Per-label counts from a full confusion matrix (rows = true), e.g. one built on the GPU. */
export function countsFromConfusion(cm: readonly (readonly number[])[], labels: readonly number[]): ClassCounts {
  const k = labels.length;
  if (cm.length !== k || cm.some((row) => row.length !== k)) {
    throw new RangeError(`confusion matrix must be ${k}x${k} to match ${k} labels, got ${cm.length}x${cm[0]?.length ?? 0}`);
  }
  return {
    labels: [...labels],
    tp: cm.map((row, i) => row[i]!),
    predSum: labels.map((_, j) => cm.reduce((a, row) => a + row[j]!, 0)),
    trueSum: cm.map((row) => row.reduce((a, b) => a + b, 0)),
  };
}

/** Turns counts into scores with sklearn 1.2's `precision_recall_fscore_support` arithmetic. */
export function scoresFromCounts(counts: ClassCounts, average: Average, zeroDivision: ZeroDivision): PerClassScores | AveragedScores {
  if (average !== null && average !== 'micro' && average !== 'macro' && average !== 'weighted') {
    throw new RangeError(`average must be 'micro', 'macro', 'weighted' or null, got ${String(average)}`);
  }
  let { tp, predSum, trueSum } = counts;
  if (average === 'micro') {
    tp = [sum(tp)];
    predSum = [sum(predSum)];
    trueSum = [sum(trueSum)];
  }
  const divide = (a: number, b: number) => (b === 0 ? zeroDivision : a / b);
  const precision = tp.map((v, i) => divide(v, predSum[i]!));
  const recall = tp.map((v, i) => divide(v, trueSum[i]!));
  const f1 = precision.map((pr, i) => {
    const re = recall[i]!;
    // sklearn 1.2: F = 2PR / (P + R) with a zero denominator giving 0. With zeroDivision = NaN
    // (sklearn >= 1.3), F = 2TP / (2TP + FP + FN), NaN only when the class is neither true nor predicted.
    if (Number.isNaN(pr) || Number.isNaN(re)) return divide(2 * tp[i]!, trueSum[i]! + predSum[i]!);
    const denom = pr + re;
    return (2 * pr * re) / (denom === 0 ? 1 : denom);
  });
  if (average === null) {
    return { labels: [...counts.labels], precision, recall, f1, support: [...trueSum] };
  }
  if (average === 'weighted' && sum(trueSum) === 0) {
    // sklearn 1.2's special case: no true samples of any listed class.
    if (sum(predSum) === 0) return { precision: zeroDivision, recall: zeroDivision, f1: zeroDivision, support: null };
    return { precision: 0, recall: zeroDivision, f1: 0, support: null };
  }
  const weights = average === 'weighted' ? trueSum : undefined;
  return {
    precision: nanAverage(precision, weights),
    recall: nanAverage(recall, weights),
    f1: nanAverage(f1, weights),
    support: null,
  };
}

/**
 * Matthews correlation coefficient (`sklearn.metrics.matthews_corrcoef`); 0 when undefined, as in sklearn.
 */
export function matthewsCorrcoef(yTrue: LabelArray, yPred: LabelArray): number {
  const [t, p] = toLabelPair(yTrue, yPred);
  const cm = countMatrix(t, p, uniqueSorted(t, p));
  const tSum = cm.map((row) => sum(row));
  const pSum = cm.map((_, j) => cm.reduce((a, row) => a + row[j]!, 0));
  const nCorrect = sum(cm.map((row, i) => row[i]!));
  const n = sum(pSum);
  const covYtYp = nCorrect * n - dot(tSum, pSum);
  const covYpYp = n ** 2 - dot(pSum, pSum);
  const covYtYt = n ** 2 - dot(tSum, tSum);
  if (covYpYp * covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

/** Options of {@link cohenKappa}. */
export interface CohenKappaOptions {
  /** Classes (matrix order, which also sets the distances for weighting); default: sorted union of both arrays. */
  labels?: LabelArray;
  /** Disagreement weight by distance between class positions in `labels`; default unweighted. */
  weights?: 'linear' | 'quadratic';
}

/**
 * Cohen's kappa between two labelings (`sklearn.metrics.cohen_kappa_score`). NaN when both raters
 * use one single class (0/0, as sklearn returns with a warning).
 */
export function cohenKappa(y1: LabelArray, y2: LabelArray, options: CohenKappaOptions = {}): number {
  const cm = confusionMatrix(y1, y2, { labels: options.labels });
  const k = cm.length;
  const sum0 = cm.map((_, j) => cm.reduce((a, row) => a + row[j]!, 0));
  const sum1 = cm.map((row) => sum(row));
  const total = sum(sum0);
  const weight = (i: number, j: number): number => {
    if (options.weights === undefined) return i === j ? 0 : 1;
    if (options.weights === 'linear') return Math.abs(i - j);
    if (options.weights === 'quadratic') return (i - j) ** 2;
    throw new RangeError(`weights must be 'linear' or 'quadratic', got ${String(options.weights)}`);
  };
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      observed += weight(i, j) * cm[i]![j]!;
      expected += weight(i, j) * ((sum0[i]! * sum1[j]!) / total);
    }
  }
  return 1 - observed / expected;
}

/** Count matrix over `labels` (rows = true); samples with a label outside `labels` are skipped. */
function countMatrix(t: readonly number[], p: readonly number[], labels: readonly number[]): number[][] {
  const index = new Map(labels.map((l, i) => [l, i]));
  const cm = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < t.length; i++) {
    const ti = index.get(t[i]!);
    const pi = index.get(p[i]!);
    if (ti !== undefined && pi !== undefined) cm[ti]![pi]!++;
  }
  return cm;
}

/** Weighted mean that skips NaN entries (sklearn's `_nanaverage`); NaN when every entry is NaN. */
export function nanAverage(values: readonly number[], weights?: readonly number[]): number {
  let num = 0;
  let den = 0;
  let count = 0;
  let plain = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    const w = weights ? weights[i]! : 1; // weights, when given, has one entry per value
    num += values[i]! * w;
    den += w;
    plain += values[i]!;
    count++;
  }
  if (count === 0) return NaN;
  return den === 0 ? plain / count : num / den;
}

function sum(a: readonly number[]): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

function mean(a: readonly number[]): number {
  return sum(a) / a.length;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
