/**
 * The `model` method of embedding drift: how well a classifier tells reference rows from current
 * ones (ROC AUC; 0.5 when it cannot).
 */
import { Rng } from '../random.js';
import type { Matrix } from './matrix.js';
import { rankAverage } from './special.js';

/** ROC AUC of scores for binary labels (1 = positive), ties averaged (sklearn roc_auc_score). */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const ranks = rankAverage(scores);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      pos++;
      rankSum += ranks[i]!;
    }
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) throw new Error('rocAuc: needs both classes in the labels');
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Domain classifier: reference rows labelled 1, current 0, shuffled 50/50 train/test split (seeded),
 * logistic regression (standardised inputs, L2 1e-4, 200 full-batch Adam steps — in place of
 * Evidently's sklearn SGDClassifier(loss='log_loss')). Returns its ROC AUC on the test half and the
 * test half's labels (the `model` method's bootstrap scores random guesses against them).
 */
export function domainClassifierAuc(x: Matrix, y: Matrix, seed: number): { auc: number; testLabels: Int32Array } {
  const d = x.cols;
  const total = x.rows + y.rows;
  const perm = new Rng(seed).shuffle(Int32Array.from({ length: total }, (_, i) => i)) as Int32Array;
  const nTest = Math.ceil(total / 2);
  const rowOf = (i: number) => (i < x.rows ? x.data.subarray(i * d, (i + 1) * d) : y.data.subarray((i - x.rows) * d, (i - x.rows + 1) * d));
  const label = (i: number) => (i < x.rows ? 1 : 0);
  const test = perm.subarray(0, nTest);
  const train = perm.subarray(nTest);
  // Standardise with the training half's statistics.
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const i of train) rowOf(i).forEach((v, k) => (mu[k]! += v));
  for (let k = 0; k < d; k++) mu[k]! /= train.length;
  for (const i of train) rowOf(i).forEach((v, k) => (sd[k]! += (v - mu[k]!) ** 2));
  for (let k = 0; k < d; k++) sd[k] = Math.sqrt(sd[k]! / train.length) || 1;
  const xs = (rows: Int32Array) => {
    const out = new Float64Array(rows.length * d);
    rows.forEach((i, r) => rowOf(i).forEach((v, k) => (out[r * d + k] = (v - mu[k]!) / sd[k]!)));
    return out;
  };
  const xTrain = xs(train);
  const yTrain = Float64Array.from(train, label);
  const w = new Float64Array(d + 1); // last entry is the bias
  const mom = new Float64Array(d + 1);
  const vel = new Float64Array(d + 1);
  const g = new Float64Array(d + 1);
  const lr = 0.05;
  const alpha = 1e-4;
  for (let step = 1; step <= 200; step++) {
    g.fill(0);
    for (let r = 0; r < train.length; r++) {
      let z = w[d]!;
      for (let k = 0; k < d; k++) z += w[k]! * xTrain[r * d + k]!;
      const err = 1 / (1 + Math.exp(-z)) - yTrain[r]!;
      for (let k = 0; k < d; k++) g[k]! += err * xTrain[r * d + k]!;
      g[d]! += err;
    }
    for (let k = 0; k <= d; k++) {
      const gk = g[k]! / train.length + (k < d ? alpha * w[k]! : 0);
      mom[k] = 0.9 * mom[k]! + 0.1 * gk;
      vel[k] = 0.999 * vel[k]! + 0.001 * gk * gk;
      w[k]! -= (lr * (mom[k]! / (1 - 0.9 ** step))) / (Math.sqrt(vel[k]! / (1 - 0.999 ** step)) + 1e-8);
    }
  }
  const xTest = xs(test);
  const scores = new Float64Array(test.length);
  for (let r = 0; r < test.length; r++) {
    let z = w[d]!;
    for (let k = 0; k < d; k++) z += w[k]! * xTest[r * d + k]!;
    scores[r] = z;
  }
  const testLabels = Int32Array.from(test, label);
  return { auc: rocAuc(testLabels, scores), testLabels };
}
