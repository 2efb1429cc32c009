/**
 * Metrics on predicted probabilities (or scores), scikit-learn 1.2 semantics.
 *
 * Column j of the probabilities belongs to class `labels[j]`. Where sklearn has no `labels`
 * argument given, it uses the sorted classes present in `yTrue` and requires there to be exactly K
 * of them; these functions do the same, so pass `labels` (e.g. `[0, 1, …, K-1]`) when a class may
 * be missing from `yTrue`.
 */
import {
  checkLabelsOption,
  toNonEmptyLabels,
  toProbabilityMatrix,
  uniqueSorted,
  type LabelArray,
  type ProbabilityInput,
  type ProbabilityMatrix,
} from './validate.js';

/** Options shared by the probability metrics. */
export interface ProbabilityOptions {
  /** Class of each probability column, in column order (see the module notes for the default). */
  labels?: LabelArray;
  /** Expected K; only checked (a flat typed array's K is otherwise its length / N). */
  numClasses?: number;
}

/**
 * Fraction of samples whose true class is among the k highest scores
 * (`sklearn.metrics.top_k_accuracy_score`). Ties are broken as sklearn does: among equal scores the
 * class in the later column ranks higher. For K = 2 the second column is the positive-class score
 * and k = 1 thresholds it at 0.5 (at 0 if any score is outside [0, 1]), as sklearn does for binary
 * targets. Scores need not be probabilities (sklearn accepts decision values), so rows are not
 * required to sum to 1.
 * @throws RangeError when `labels` is not sorted/unique, does not match K, or misses a `yTrue` value;
 *   when `labels` is absent and `yTrue` does not hold exactly K classes (sklearn's errors).
 */
export function topKAccuracy(
  yTrue: LabelArray,
  probabilities: ProbabilityInput,
  options: ProbabilityOptions & { k?: number } = {},
): number {
  const k = options.k ?? 2;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const t = toNonEmptyLabels(yTrue, 'yTrue');
  const probs = toProbabilityMatrix(probabilities, t.length, { numClasses: options.numClasses, requireRowsSumToOne: false });
  const classes = columnClasses(t, probs.k, options.labels, 'topKAccuracy');
  const encoded = encode(t, classes);
  const K = probs.k;
  const binaryTarget = uniqueSorted(t).length <= 2 && (options.labels === undefined || classes.length <= 2);
  let hits = 0;
  if (binaryTarget && K === 2) {
    if (k >= 2) return 1;
    let inUnit = true;
    for (let i = 0; i < t.length; i++) {
      const s = probs.data[i * 2 + 1]!;
      if (s < 0 || s > 1) inUnit = false;
    }
    const threshold = inUnit ? 0.5 : 0;
    for (let i = 0; i < t.length; i++) if ((probs.data[i * 2 + 1]! > threshold ? 1 : 0) === encoded[i]) hits++;
    return hits / t.length;
  }
  if (binaryTarget) {
    throw new RangeError(
      `topKAccuracy: yTrue holds at most 2 classes but probabilities have ${K} columns; pass labels with all ${K} classes`,
    );
  }
  for (let i = 0; i < t.length; i++) {
    const c = encoded[i]!;
    const s = probs.data[i * K + c]!;
    // Rank of the true class in sklearn's order (descending score, later column first on ties).
    let ahead = 0;
    for (let j = 0; j < K; j++) {
      const v = probs.data[i * K + j]!;
      if (v > s || (v === s && j > c)) ahead++;
    }
    if (ahead < k) hits++;
  }
  return hits / t.length;
}

/**
 * Mean cross-entropy of the true class (`sklearn.metrics.log_loss`, natural log). As in sklearn
 * 1.2 (`eps="auto"`), probabilities are clipped to [eps, 1 - eps] with eps the input dtype's
 * machine epsilon (2^-23 for Float32Array, 2^-52 otherwise) and each row is renormalised.
 * Columns follow the sorted `labels` (sklearn's LabelBinarizer order) or the sorted classes in `yTrue`.
 * Unlike sklearn 1.2, which silently renormalises, rows must sum to 1 (within 1e-5).
 * Note sklearn computes in float32 for float32 input; this computes in float64, so results for
 * Float32Array can differ from sklearn's by float32 rounding (~1e-7 relative).
 * @throws RangeError when fewer than 2 classes are known, K does not match the number of classes,
 *   a `yTrue` value is not in `labels`, or a row is not a probability distribution.
 */
export function logLoss(yTrue: LabelArray, probabilities: ProbabilityInput, options: ProbabilityOptions = {}): number {
  const t = toNonEmptyLabels(yTrue, 'yTrue');
  const probs = toProbabilityMatrix(probabilities, t.length, { numClasses: options.numClasses, requireRowsSumToOne: true });
  const classes = options.labels === undefined ? uniqueSorted(t) : uniqueSorted(checkLabelsOption(options.labels));
  if (classes.length < 2) {
    throw new RangeError(
      options.labels === undefined
        ? `logLoss: yTrue contains only one label (${classes[0]}); pass all classes via labels`
        : `logLoss: labels must contain at least two classes, got [${classes.join(', ')}]`,
    );
  }
  if (classes.length !== probs.k) {
    throw new RangeError(
      `logLoss: ${classes.length} classes [${classes.join(', ')}] but probabilities have ${probs.k} columns; pass labels`,
    );
  }
  const encoded = encode(t, classes);
  const { data, k, eps } = probs;
  const clip = (v: number) => Math.min(Math.max(v, eps), 1 - eps);
  let total = 0;
  for (let i = 0; i < t.length; i++) {
    let rowSum = 0;
    for (let j = 0; j < k; j++) rowSum += clip(data[i * k + j]!);
    total += -Math.log(clip(data[i * k + encoded[i]!]!) / rowSum);
  }
  return total / t.length;
}

/**
 * One-vs-rest ROC AUC (`sklearn.metrics.roc_auc_score(multi_class='ovr')`), averaged over classes
 * unweighted (`'macro'`, default) or by support (`'weighted'`). For K = 2 it is the binary AUC of
 * the second column, which is what sklearn computes for binary targets.
 * @throws RangeError when a class has no positive or no negative sample (sklearn: "Only one class
 *   present in y_true"), rows do not sum to 1 (sklearn's check), or labels/K mismatch as in topKAccuracy.
 */
export function rocAucOvr(
  yTrue: LabelArray,
  probabilities: ProbabilityInput,
  options: ProbabilityOptions & { average?: 'macro' | 'weighted' } = {},
): number {
  const average = options.average ?? 'macro';
  if (average !== 'macro' && average !== 'weighted') {
    throw new RangeError(`average must be 'macro' or 'weighted', got ${String(average)}`);
  }
  const t = toNonEmptyLabels(yTrue, 'yTrue');
  const probs = toProbabilityMatrix(probabilities, t.length, { numClasses: options.numClasses, requireRowsSumToOne: true });
  const classes = columnClasses(t, probs.k, options.labels, 'rocAucOvr');
  const encoded = encode(t, classes);
  const K = probs.k;
  if (K === 2)
    return binaryRocAuc(
      encoded.map((c) => (c === 1 ? 1 : 0)),
      column(probs, 1),
    );
  let num = 0;
  let den = 0;
  for (let c = 0; c < K; c++) {
    const isPos = encoded.map((e) => (e === c ? 1 : 0));
    const auc = binaryRocAuc(isPos, column(probs, c), classes[c]);
    const w = average === 'weighted' ? isPos.reduce((a: number, b) => a + b, 0) : 1;
    num += auc * w;
    den += w;
  }
  return num / den;
}

/** Options of {@link expectedCalibrationError}. */
export interface EceOptions extends ProbabilityOptions {
  /** Number of equal-width confidence bins over [0, 1]; default 15. */
  nBins?: number;
}

/**
 * Expected calibration error (Guo et al. 2017; sklearn has none): samples are binned by
 * confidence (the top probability) into `nBins` equal-width bins (lower, upper], and
 * ECE = Σ_b (n_b / N) · |accuracy_b − mean confidence_b|. The prediction is the first column with
 * the top probability (numpy's argmax). Column classes default to `[0, 1, …, K-1]` unless
 * `labels` is given. Rows must sum to 1 (within 1e-5).
 */
export function expectedCalibrationError(yTrue: LabelArray, probabilities: ProbabilityInput, options: EceOptions = {}): number {
  const nBins = options.nBins ?? 15;
  if (!Number.isInteger(nBins) || nBins < 1) throw new RangeError(`nBins must be a positive integer, got ${nBins}`);
  const t = toNonEmptyLabels(yTrue, 'yTrue');
  const probs = toProbabilityMatrix(probabilities, t.length, { numClasses: options.numClasses, requireRowsSumToOne: true });
  const K = probs.k;
  const classes = options.labels === undefined ? Array.from({ length: K }, (_, j) => j) : checkLabelsOption(options.labels);
  if (classes.length !== K) throw new RangeError(`expectedCalibrationError: ${classes.length} labels but probabilities have ${K} columns`);
  // Bin edges as numpy.linspace(0, 1, nBins + 1) computes them.
  const step = 1 / nBins;
  const edges = Array.from({ length: nBins + 1 }, (_, b) => (b === nBins ? 1 : b * step));
  const count = new Array<number>(nBins).fill(0);
  const confSum = new Array<number>(nBins).fill(0);
  const hitSum = new Array<number>(nBins).fill(0);
  for (let i = 0; i < t.length; i++) {
    let best = 0;
    for (let j = 1; j < K; j++) if (probs.data[i * K + j]! > probs.data[i * K + best]!) best = j;
    const conf = probs.data[i * K + best]!;
    for (let b = 0; b < nBins; b++) {
      if (conf > edges[b]! && conf <= edges[b + 1]!) {
        count[b]!++;
        confSum[b]! += conf;
        if (classes[best] === t[i]) hitSum[b]!++;
        break;
      }
    }
  }
  let ece = 0;
  for (let b = 0; b < nBins; b++) {
    if (count[b] === 0) continue;
    ece += Math.abs(hitSum[b]! / count[b]! - confSum[b]! / count[b]!) * (count[b]! / t.length);
  }
  return ece;
}

/**
 * Classes of the probability columns, checked as sklearn's `top_k_accuracy_score` and
 * multiclass `roc_auc_score` check them.
 */
function columnClasses(t: number[], K: number, labels: LabelArray | undefined, fn: string): number[] {
  if (labels === undefined) {
    const classes = uniqueSorted(t);
    if (classes.length !== K) {
      throw new RangeError(
        `${fn}: yTrue holds ${classes.length} classes [${classes.join(', ')}] but probabilities have ${K} columns; pass labels listing the class of each column`,
      );
    }
    return classes;
  }
  const classes = checkLabelsOption(labels);
  for (let i = 1; i < classes.length; i++) {
    if (classes[i]! < classes[i - 1]!) throw new RangeError(`${fn}: labels must be sorted ascending, got [${classes.join(', ')}]`);
  }
  if (classes.length !== K) throw new RangeError(`${fn}: ${classes.length} labels but probabilities have ${K} columns`);
  const known = new Set(classes);
  const bad = t.findIndex((v) => !known.has(v));
  if (bad >= 0) throw new RangeError(`${fn}: yTrue[${bad}] = ${t[bad]} is not in labels [${classes.join(', ')}]`);
  return classes;
}

/** Column index of each label; throws for a label not in `classes`. */
function encode(t: readonly number[], classes: readonly number[]): number[] {
  const index = new Map(classes.map((c, i) => [c, i]));
  return t.map((v, i) => {
    const e = index.get(v);
    if (e === undefined) throw new RangeError(`yTrue[${i}] = ${v} is not one of the classes [${classes.join(', ')}]`);
    return e;
  });
}

function column(probs: ProbabilityMatrix, j: number): number[] {
  return Array.from({ length: probs.n }, (_, i) => probs.data[i * probs.k + j]!);
}

/**
 * Area under the ROC curve of binary targets (1 = positive), as sklearn's `roc_curve` + `auc`:
 * thresholds at each distinct score, trapezoidal area.
 */
function binaryRocAuc(isPos: readonly number[], score: readonly number[], label?: number): number {
  const n = score.length;
  // sklearn: argsort(score, kind="mergesort")[::-1] (stable sort reversed).
  const order = Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => score[a]! - score[b]! || a - b)
    .reverse();
  const totalPos = isPos.reduce((a: number, b) => a + b, 0);
  const totalNeg = n - totalPos;
  if (totalPos === 0 || totalNeg === 0) {
    throw new RangeError(
      `ROC AUC is undefined: ${label === undefined ? 'yTrue' : `class ${label}`} has ${totalPos === 0 ? 'no positive' : 'no negative'} samples (sklearn: "Only one class present in y_true")`,
    );
  }
  let area = 0;
  let tps = 0;
  let fps = 0;
  let prevTpr = 0;
  let prevFpr = 0;
  for (let i = 0; i < n; i++) {
    const idx = order[i]!;
    if (isPos[idx]) tps++;
    else fps++;
    const endOfTie = i === n - 1 || score[order[i + 1]!] !== score[idx];
    if (!endOfTie) continue;
    const tpr = tps / totalPos;
    const fpr = fps / totalNeg;
    area += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
    prevTpr = tpr;
    prevFpr = fpr;
  }
  return area;
}
