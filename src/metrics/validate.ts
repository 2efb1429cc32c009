/**
 * Input checking and normalisation shared by the metric functions.
 *
 * Every public metric accepts label arrays as `Int32Array` or `number[]` and probabilities as a
 * flat `Float32Array`/`Float64Array` (row-major `[N, K]`) or as `number[][]`. These helpers turn
 * them into one internal shape and throw errors that name the argument, index and shape at fault.
 */

/** Class labels: integer class ids, one per sample. */
export type LabelArray = Int32Array | readonly number[];

/**
 * Class probabilities (or scores) for N samples and K classes: either a flat row-major
 * `Float32Array`/`Float64Array` of length N*K (K is inferred from N, or checked against
 * `numClasses` when given) or an array of N rows of K numbers.
 */
export type ProbabilityInput = Float32Array | Float64Array | readonly (readonly number[])[];

/** Probabilities normalised to a flat row-major array plus their shape and machine epsilon. */
export interface ProbabilityMatrix {
  data: ArrayLike<number>;
  n: number;
  k: number;
  /** `np.finfo(dtype).eps` of the input: 2^-23 for Float32Array, 2^-52 otherwise. */
  eps: number;
}

const FLOAT32_EPS = 2 ** -23;
const FLOAT64_EPS = 2 ** -52;

/**
 * Rows of probabilities must sum to 1 within this tolerance. It equals `np.allclose(1, s)`'s
 * default (atol 1e-8 + rtol 1e-5), which scikit-learn's `roc_auc_score` uses for the same check.
 */
export const ROW_SUM_TOLERANCE = 1e-8 + 1e-5;

/** Copies a label array to `number[]`, checking that every entry is an integer. */
export function toLabels(values: LabelArray, name: string): number[] {
  if (!(values instanceof Int32Array) && !Array.isArray(values)) {
    throw new TypeError(`${name} must be an Int32Array or an array of integers, got ${describe(values)}`);
  }
  const out = Array.from(values as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new TypeError(`${name}[${i}] = ${String(v)} is not an integer class label`);
    }
  }
  return out;
}

/** Checks two label arrays of the same non-zero length and returns them as `number[]`. */
export function toLabelPair(yTrue: LabelArray, yPred: LabelArray, names: [string, string] = ['yTrue', 'yPred']): [number[], number[]] {
  const t = toLabels(yTrue, names[0]);
  const p = toLabels(yPred, names[1]);
  if (t.length !== p.length) {
    throw new RangeError(`${names[0]} has ${t.length} samples but ${names[1]} has ${p.length}; they must match`);
  }
  if (t.length === 0) throw new RangeError(`${names[0]} and ${names[1]} are empty; need at least one sample`);
  return [t, p];
}

/** Checks a non-empty label array and returns it as `number[]`. */
export function toNonEmptyLabels(values: LabelArray, name: string): number[] {
  const out = toLabels(values, name);
  if (out.length === 0) throw new RangeError(`${name} is empty; need at least one sample`);
  return out;
}

/** Sorted unique values of the given arrays (scikit-learn's `unique_labels`). */
export function uniqueSorted(...arrays: readonly number[][]): number[] {
  const set = new Set<number>();
  for (const a of arrays) for (const v of a) set.add(v);
  return [...set].sort((a, b) => a - b);
}

/** Checks an explicit `labels` option: non-empty, integers, no duplicates. */
export function checkLabelsOption(labels: LabelArray, name = 'labels'): number[] {
  const out = toLabels(labels, name);
  if (out.length === 0) throw new RangeError(`${name} is empty; give at least one class label`);
  const seen = new Set<number>();
  for (const v of out) {
    if (seen.has(v)) throw new RangeError(`${name} contains ${v} more than once; labels must be unique`);
    seen.add(v);
  }
  return out;
}

/**
 * Normalises probabilities for `n` samples. Throws when the shape does not match, when a value is
 * not finite, or (with `requireRowsSumToOne`) when a row is outside [0, 1] or does not sum to 1
 * within {@link ROW_SUM_TOLERANCE}.
 */
export function toProbabilityMatrix(
  probabilities: ProbabilityInput,
  n: number,
  opts: { numClasses?: number; requireRowsSumToOne: boolean; name?: string },
): ProbabilityMatrix {
  const name = opts.name ?? 'probabilities';
  let data: ArrayLike<number>;
  let k: number;
  let eps = FLOAT64_EPS;
  if (probabilities instanceof Float32Array || probabilities instanceof Float64Array) {
    if (probabilities instanceof Float32Array) eps = FLOAT32_EPS;
    if (probabilities.length % n !== 0) {
      throw new RangeError(
        `${name} has ${probabilities.length} values, which is not a whole number of rows for ${n} samples (expected N*K)`,
      );
    }
    k = probabilities.length / n;
    data = probabilities;
  } else if (Array.isArray(probabilities)) {
    if (probabilities.length !== n) {
      throw new RangeError(`${name} has ${probabilities.length} rows but there are ${n} samples`);
    }
    const first = probabilities[0];
    if (!Array.isArray(first)) throw new TypeError(`${name}[0] is not an array of numbers (expected number[][])`);
    k = first.length;
    const flat = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const row = probabilities[i];
      if (!Array.isArray(row) || row.length !== k) {
        throw new RangeError(`${name}[${i}] has ${Array.isArray(row) ? row.length : 'no'} columns; row 0 has ${k}`);
      }
      for (let j = 0; j < k; j++) flat[i * k + j] = row[j];
    }
    data = flat;
  } else {
    throw new TypeError(`${name} must be a Float32Array, Float64Array or number[][], got ${describe(probabilities)}`);
  }
  if (opts.numClasses !== undefined && opts.numClasses !== k) {
    throw new RangeError(`${name} has shape [${n}, ${k}] but numClasses is ${opts.numClasses}`);
  }
  if (k < 2) throw new RangeError(`${name} has shape [${n}, ${k}]; need at least 2 columns (classes)`);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const v = data[i * k + j]!;
      if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}][${j}] = ${v} is not finite`);
      if (opts.requireRowsSumToOne && (v < 0 || v > 1)) {
        throw new RangeError(`${name}[${i}][${j}] = ${v} is not a probability in [0, 1]`);
      }
      sum += v;
    }
    if (opts.requireRowsSumToOne && !(Math.abs(sum - 1) <= ROW_SUM_TOLERANCE)) {
      throw new RangeError(
        `${name} row ${i} sums to ${sum}, not 1 (tolerance ${ROW_SUM_TOLERANCE}); pass softmax probabilities, not logits`,
      );
    }
  }
  return { data, n, k, eps };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
