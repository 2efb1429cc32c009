/**
 * Post-hoc calibration of a classifier's logits, fitted on a validation split and stored in the
 * checkpoint's metadata (see io/fer-metadata.ts): temperature scaling (Guo et al. 2017,
 * "On Calibration of Modern Neural Networks") and an optional per-class logit bias chosen to
 * maximise macro F1 (it trades a little accuracy for the rare classes' recall). Calibrated
 * logits are `z / temperature + logitBias`; the probabilities are their softmax.
 *
 * Everything here works on logits on the CPU (f64 sums); both fits are invariant to adding a
 * constant to a row, so log-probabilities of the uncalibrated model serve as well as logits.
 */
import { InputError } from '../errors.js';
import { expectedCalibrationError, logLoss, precisionRecallF1Support } from '../metrics/scores.js';

/** How a checkpoint's logits are calibrated: `softmax(z / temperature + logitBias)`. */
export interface Calibration {
  /** Divides the logits (> 0; 1 = unchanged, > 1 = less confident). */
  temperature: number;
  /** Added to each class's logit after the temperature (one per class, label-id order); absent = 0. */
  logitBias?: number[];
}

/**
 * Checks a calibration against a class count.
 * @throws InputError naming `what` for a non-positive or non-finite temperature, or a bias of
 * the wrong length or with non-finite entries.
 */
export function checkCalibration(c: Calibration, numClasses: number, what = 'calibration'): void {
  if (!(Number.isFinite(c.temperature) && c.temperature > 0))
    throw new InputError(`${what}: temperature must be a positive number, got ${c.temperature}`);
  if (c.logitBias === undefined) return;
  if (c.logitBias.length !== numClasses)
    throw new InputError(`${what}: logit bias has ${c.logitBias.length} entries, the model has ${numClasses} classes`);
  if (c.logitBias.some((b) => !Number.isFinite(b)))
    throw new InputError(`${what}: logit bias entries must be finite numbers, got [${c.logitBias.join(', ')}]`);
}

/** Calibrated logits `z / temperature + logitBias` of rows [n, k]. */
export function calibrateLogits(logits: ArrayLike<number>, k: number, c: Calibration): Float32Array {
  const out = new Float32Array(logits.length);
  const inv = 1 / c.temperature;
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! * inv + (c.logitBias?.[i % k] ?? 0);
  return out;
}

/** Softmax of rows [n, k] (f64 inside). */
export function softmaxRows(logits: ArrayLike<number>, k: number): Float32Array {
  const out = new Float32Array(logits.length);
  const e = new Float64Array(k);
  for (let r = 0; r < logits.length / k; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += e[j] = Math.exp(logits[r * k + j]! - max);
    for (let j = 0; j < k; j++) out[r * k + j] = e[j]! / sum;
  }
  return out;
}

/**
 * Log-probabilities of probability rows (logits up to a per-row constant, which neither fit
 * sees). Zeros (underflowed softmax entries) become the log of the smallest f32.
 */
export function logProbabilities(p: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: p.length }, (_, i) => Math.log(Math.max(p[i]!, 1.4e-45)));
}

/** Mean negative log-likelihood of the labels under softmax(β · logits), and its derivative in β. */
function nllAt(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number, beta: number): number {
  let total = 0;
  for (let r = 0; r < labels.length; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, beta * logits[r * k + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(beta * logits[r * k + j]! - max);
    total += max + Math.log(sum) - beta * logits[r * k + labels[r]!]!;
  }
  return total / labels.length;
}

function checkRows(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number, what: string): void {
  if (!(Number.isInteger(k) && k >= 2)) throw new InputError(`${what}: need at least 2 classes, got ${k}`);
  if (labels.length === 0) throw new InputError(`${what}: no samples`);
  if (logits.length !== labels.length * k)
    throw new InputError(`${what}: ${logits.length} logits for ${labels.length} labels of ${k} classes`);
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r]!;
    if (!(Number.isInteger(y) && y >= 0 && y < k))
      throw new InputError(`${what}: label ${y} of sample ${r} is not a class id in [0, ${k})`);
  }
}

/**
 * The temperature that minimises the mean negative log-likelihood of `labels` under
 * `softmax(logits / T)`. The NLL is convex in β = 1/T, so a golden-section search over log β in
 * [log(1/maxTemperature), log(1/minTemperature)] finds the minimum (to ~1e-9 in log β).
 */
export function fitTemperature(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  { minTemperature = 0.05, maxTemperature = 20 }: { minTemperature?: number; maxTemperature?: number } = {},
): number {
  checkRows(logits, labels, k, 'fitTemperature');
  const f = (u: number) => nllAt(logits, labels, k, Math.exp(u));
  let a = Math.log(1 / maxTemperature);
  let b = Math.log(1 / minTemperature);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > 1e-9) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return 1 / Math.exp((a + b) / 2);
}

/** Macro F1 (sklearn's, zero_division 0) of argmax(scores + bias) against labels, from counts. */
function macroF1Of(scores: ArrayLike<number>, bias: ArrayLike<number>, labels: ArrayLike<number>, k: number, present: boolean[]): number {
  const tp = new Float64Array(k);
  const pred = new Float64Array(k);
  const truth = new Float64Array(k);
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    let bestScore = scores[r * k]! + bias[0]!;
    for (let j = 1; j < k; j++) {
      const s = scores[r * k + j]! + bias[j]!;
      if (s > bestScore) {
        best = j;
        bestScore = s;
      }
    }
    pred[best]!++;
    truth[labels[r]!]!++;
    if (best === labels[r]) tp[best]!++;
  }
  let sum = 0;
  let n = 0;
  for (let j = 0; j < k; j++) {
    // sklearn's default labels: the classes present in labels or predictions
    if (!present[j] && pred[j] === 0) continue;
    n++;
    const denom = pred[j]! + truth[j]!;
    sum += denom === 0 ? 0 : (2 * tp[j]!) / denom;
  }
  return sum / n;
}

/**
 * A per-class logit bias added to `logits / temperature` that maximises macro F1 on (logits,
 * labels): coordinate ascent, each class's bias in turn set to the best value on a grid of `step`
 * over [-range, range] (ties keep the value nearest the current one), until a round changes nothing
 * (at most `rounds`). The result is centred to mean 0 (a common shift changes nothing).
 */
export function fitLogitBias(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  { temperature = 1, range = 3, step = 0.02, rounds = 20 }: { temperature?: number; range?: number; step?: number; rounds?: number } = {},
): number[] {
  checkRows(logits, labels, k, 'fitLogitBias');
  if (!(step > 0 && range > 0)) throw new InputError(`fitLogitBias: step and range must be positive, got ${step} and ${range}`);
  const scores = Float64Array.from({ length: logits.length }, (_, i) => logits[i]! / temperature);
  const present = Array.from({ length: k }, () => false);
  for (let r = 0; r < labels.length; r++) present[labels[r]!] = true;
  const bias = new Float64Array(k);
  const steps = Math.round(range / step);
  let best = macroF1Of(scores, bias, labels, k, present);
  for (let round = 0; round < rounds; round++) {
    let changed = false;
    for (let j = 0; j < k; j++) {
      const current = bias[j]!;
      let bestValue = current;
      for (let s = -steps; s <= steps; s++) {
        const v = s * step;
        bias[j] = v;
        const f = macroF1Of(scores, bias, labels, k, present);
        if (f > best + 1e-12 || (Math.abs(f - best) <= 1e-12 && Math.abs(v - current) < Math.abs(bestValue - current))) {
          best = Math.max(best, f);
          bestValue = v;
        }
      }
      bias[j] = bestValue;
      if (bestValue !== current) changed = true;
    }
    if (!changed) break;
  }
  const mean = bias.reduce((s, b) => s + b, 0) / k;
  return Array.from(bias, (b) => Math.round((b - mean) * 1e6) / 1e6);
}

/** Scores of (calibrated) logits against labels. */
export interface CalibrationScores {
  /** Mean negative log-likelihood (sklearn's log_loss). */
  nll: number;
  /** Expected calibration error, 15 bins. */
  ece: number;
  accuracy: number;
  macroRecall: number;
  macroF1: number;
}

/** NLL, ECE, accuracy, macro recall and macro F1 of `softmax(calibrated logits)`; no calibration = the raw logits. */
export function calibrationScores(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number, c?: Calibration): CalibrationScores {
  checkRows(logits, labels, k, 'calibrationScores');
  const p = softmaxRows(c ? calibrateLogits(logits, k, c) : logits, k);
  const classes = Array.from({ length: k }, (_, j) => j);
  const yTrue = Array.from(labels);
  const yPred = yTrue.map((_, r) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[r * k + j]! > p[r * k + best]!) best = j;
    return best;
  });
  const macro = precisionRecallF1Support(yTrue, yPred, { average: 'macro' });
  return {
    nll: logLoss(yTrue, p, { labels: classes }),
    ece: expectedCalibrationError(yTrue, p, { labels: classes }),
    accuracy: yPred.filter((y, r) => y === yTrue[r]).length / yTrue.length,
    macroRecall: macro.recall,
    macroF1: macro.f1,
  };
}

/** A fitted calibration and how the fit split scores before and after each step. */
export interface CalibrationFit {
  calibration: Calibration;
  /** Images the calibration was fitted on. */
  images: number;
  before: CalibrationScores;
  /** Temperature only. */
  temperature: CalibrationScores;
  /** Temperature and logit bias (when fitted). */
  logitBias?: CalibrationScores;
}

/**
 * Fits a temperature (and, with `logitBias`, a per-class logit bias maximising macro F1) on logits
 * (or log-probabilities) and labels, and scores each step on the same samples.
 */
export function fitCalibrationOnLogits(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  { logitBias = false }: { logitBias?: boolean } = {},
): CalibrationFit {
  const temperature = fitTemperature(logits, labels, k);
  const fit: CalibrationFit = {
    calibration: { temperature },
    images: labels.length,
    before: calibrationScores(logits, labels, k),
    temperature: calibrationScores(logits, labels, k, { temperature }),
  };
  if (logitBias) {
    fit.calibration.logitBias = fitLogitBias(logits, labels, k, { temperature });
    fit.logitBias = calibrationScores(logits, labels, k, fit.calibration);
  }
  return fit;
}
