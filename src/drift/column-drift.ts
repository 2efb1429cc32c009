/**
 * Column drift compatible with Evidently's column stattests (same ids, formulas, default
 * thresholds, drift rules, NaN/inf handling and automatic method choice): the registry of
 * stattests, one column (ColumnDriftMetric) and a table of columns (DatasetDriftMetric).
 */
import * as st from './stattests.js';
import { mmdPermutation, tvdPermutation } from './permutation-tests.js';
import type { ColumnKind, Value } from './stattests.js';
import { InputError } from '../errors.js';
import { SEED, checkNumber, checkOneOf } from '../options.js';

const COLUMN_KINDS: readonly ColumnKind[] = ['num', 'cat'];

export type { ColumnKind, Value };

/** Evidently stattest ids. */
export type StatTestId =
  | 'ks'
  | 'chisquare'
  | 'z'
  | 'wasserstein'
  | 'jensenshannon'
  | 'psi'
  | 'kl_div'
  | 'hellinger'
  | 'ed'
  | 't_test'
  | 'mannw'
  | 'anderson'
  | 'cramer_von_mises'
  | 'g_test'
  | 'fisher_exact'
  | 'TVD'
  | 'empirical_mmd';

/** One entry of {@link STATTESTS}. */
export interface StatTestDef {
  /** Column kinds the test accepts (Evidently's allowed_feature_types). */
  kinds: ColumnKind[];
  /** Evidently's default_threshold. */
  threshold: number;
  /** True when the score is a p-value (drift when small), false for a distance (drift when large). */
  isPValue: boolean;
  /** Evidently's comparison of score with threshold. */
  drifted: (score: number, threshold: number) => boolean;
  score: (ref: Value[], cur: Value[], kind: ColumnKind, seed: number) => number;
}

const lt = (s: number, t: number) => s < t;
const le = (s: number, t: number) => s <= t;
const ge = (s: number, t: number) => s >= t;
const gt = (s: number, t: number) => s > t;
const num = (a: Value[]) => a as number[];

/** Registry: kinds, default thresholds and drift rules as in each Evidently stattest file. */
export const STATTESTS: Readonly<Record<StatTestId, StatTestDef>> = {
  ks: { kinds: ['num'], threshold: 0.05, isPValue: true, drifted: le, score: (r, c) => st.ksPValue(num(r), num(c)) },
  chisquare: { kinds: ['cat'], threshold: 0.05, isPValue: true, drifted: lt, score: (r, c) => st.chiSquarePValue(r, c) },
  z: { kinds: ['cat'], threshold: 0.05, isPValue: true, drifted: lt, score: (r, c) => st.zTestPValue(r, c) },
  wasserstein: { kinds: ['num'], threshold: 0.1, isPValue: false, drifted: ge, score: (r, c) => st.wassersteinNorm(num(r), num(c)) },
  jensenshannon: { kinds: ['cat', 'num'], threshold: 0.1, isPValue: false, drifted: ge, score: (r, c, k) => st.jensenShannon(r, c, k) },
  psi: { kinds: ['cat', 'num'], threshold: 0.1, isPValue: false, drifted: ge, score: (r, c, k) => st.psi(r, c, k) },
  kl_div: { kinds: ['cat', 'num'], threshold: 0.1, isPValue: false, drifted: ge, score: (r, c, k) => st.klDiv(r, c, k) },
  hellinger: { kinds: ['cat', 'num'], threshold: 0.1, isPValue: false, drifted: ge, score: (r, c, k) => st.hellinger(r, c, k) },
  ed: { kinds: ['num'], threshold: 0.1, isPValue: false, drifted: gt, score: (r, c) => st.energyDistance(num(r), num(c)) },
  t_test: { kinds: ['num'], threshold: 0.05, isPValue: true, drifted: lt, score: (r, c) => st.tTestPValue(num(r), num(c)) },
  mannw: { kinds: ['num'], threshold: 0.05, isPValue: true, drifted: lt, score: (r, c) => st.mannWhitneyPValue(num(r), num(c)) },
  anderson: { kinds: ['num'], threshold: 0.1, isPValue: true, drifted: lt, score: (r, c) => st.andersonPValue(num(r), num(c)) },
  cramer_von_mises: {
    kinds: ['num'],
    threshold: 0.1,
    isPValue: true,
    drifted: le,
    score: (r, c) => st.cramerVonMisesPValue(num(r), num(c)),
  },
  g_test: { kinds: ['cat'], threshold: 0.1, isPValue: true, drifted: lt, score: (r, c) => st.gTestPValue(r, c) },
  fisher_exact: { kinds: ['cat'], threshold: 0.1, isPValue: true, drifted: lt, score: (r, c) => st.fisherExactPValue(r, c) },
  TVD: { kinds: ['cat'], threshold: 0.1, isPValue: true, drifted: lt, score: (r, c, _k, seed) => tvdPermutation(r, c, seed)[0] },
  empirical_mmd: {
    kinds: ['num'],
    threshold: 0.1,
    isPValue: true,
    drifted: lt,
    score: (r, c, _k, seed) => mmdPermutation(num(r), num(c), seed)[0],
  },
};

export interface ColumnDriftOptions {
  /** Column kind; inferred when omitted: 'cat' if any value is a string, otherwise 'num'. */
  kind?: ColumnKind;
  /** Evidently stattest id; when omitted, Evidently's automatic choice (see {@link defaultStatTest}). */
  method?: StatTestId;
  /** Overrides the method's default threshold. */
  threshold?: number;
  /** Seed of the permutation tests (TVD, empirical_mmd). Default 0, Evidently's TVD seed. */
  seed?: number;
}

export interface ColumnDriftResult {
  method: StatTestId;
  kind: ColumnKind;
  /** Evidently's drift_score: a p-value for tests, a distance for distance methods. */
  score: number;
  threshold: number;
  drifted: boolean;
  /** Set (equal to score) when the method is a statistical test. */
  pValue?: number;
}

/** Drops null/undefined, NaN and ±Infinity, as Evidently does before any stattest. */
function clean(values: ArrayLike<Value | null | undefined>, side: string): Value[] {
  const out: Value[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    out.push(v);
  }
  if (out.length === 0) throw new InputError(`columnDrift: the ${side} column is empty after dropping NaN/inf values`);
  return out;
}

/**
 * Evidently's automatic method choice (registry._get_default_stattest). n_unique counts both samples.
 * reference <= 1000 rows: num with > 5 unique → ks; otherwise chisquare (> 2 unique) or z (binary).
 * reference > 1000 rows: num with > 5 unique → wasserstein; otherwise jensenshannon.
 */
export function defaultStatTest(ref: readonly Value[], cur: readonly Value[], kind: ColumnKind): StatTestId {
  const nValues = new Set([...ref, ...cur]).size;
  if (ref.length <= 1000) {
    if (kind === 'num' && nValues > 5) return 'ks';
    return nValues > 2 ? 'chisquare' : 'z';
  }
  return kind === 'num' && nValues > 5 ? 'wasserstein' : 'jensenshannon';
}

/**
 * Drift of one column between a reference and a current sample, as Evidently's ColumnDriftMetric.
 * NaN/±inf/null values are dropped first; an empty column is an error.
 */
export function columnDrift(
  ref: ArrayLike<Value | null | undefined>,
  cur: ArrayLike<Value | null | undefined>,
  options: ColumnDriftOptions = {},
): ColumnDriftResult {
  checkOneOf('columnDrift', 'kind', options.kind, COLUMN_KINDS);
  if (options.method !== undefined && !Object.hasOwn(STATTESTS, options.method)) {
    throw new InputError(`columnDrift: unknown method '${String(options.method)}'. Available: ${Object.keys(STATTESTS).join(', ')}`);
  }
  checkNumber('columnDrift', 'threshold', options.threshold);
  checkNumber('columnDrift', 'seed', options.seed, SEED);
  const r = clean(ref, 'reference');
  const c = clean(cur, 'current');
  const kind = options.kind ?? ([...r, ...c].some((v) => typeof v === 'string') ? 'cat' : 'num');
  if (kind === 'num' && [...r, ...c].some((v) => typeof v !== 'number')) {
    throw new InputError("columnDrift: kind 'num' needs numeric values only (found a string)");
  }
  const method = options.method ?? defaultStatTest(r, c, kind);
  const def = STATTESTS[method];
  // The automatic choice may apply chisquare/z to a numerical column, as Evidently does.
  if (options.method && !def.kinds.includes(kind)) {
    throw new InputError(`columnDrift: stattest '${method}' isn't applicable to a '${kind}' column (allowed: ${def.kinds.join(', ')})`);
  }
  const threshold = options.threshold ?? def.threshold;
  const score = def.score(r, c, kind, options.seed ?? 0);
  const result: ColumnDriftResult = { method, kind, score, threshold, drifted: def.drifted(score, threshold) };
  if (def.isPValue) result.pValue = score;
  return result;
}

export interface DatasetDriftOptions {
  /** Dataset drift when the share of drifted columns is >= driftShare (Evidently's drift_share). Default 0.5. */
  driftShare?: number;
  /** Method for every column (default: automatic per column). */
  method?: StatTestId;
  /** Threshold for every column (default: the method's). */
  threshold?: number;
  /** Per-column overrides of kind/method/threshold/seed. */
  perColumn?: Record<string, ColumnDriftOptions>;
  seed?: number;
}

export interface DatasetDriftResult {
  columns: Record<string, ColumnDriftResult>;
  numberOfColumns: number;
  numberOfDriftedColumns: number;
  /** Share of drifted columns (Evidently's dataset drift_score). */
  shareOfDriftedColumns: number;
  driftShare: number;
  datasetDrift: boolean;
}

/**
 * Drift of every column present in the reference (and required in the current data), and Evidently's
 * dataset verdict: drift when the share of drifted columns >= driftShare.
 */
export function datasetDrift(
  refColumns: Record<string, ArrayLike<Value | null | undefined>>,
  curColumns: Record<string, ArrayLike<Value | null | undefined>>,
  options: DatasetDriftOptions = {},
): DatasetDriftResult {
  checkNumber('datasetDrift', 'driftShare', options.driftShare, { min: 0, max: 1 });
  const names = Object.keys(refColumns);
  if (names.length === 0) throw new InputError('datasetDrift: no columns in the reference data');
  // Column names are data: `__proto__` or `toString` are columns, never Object.prototype's.
  const columns: Record<string, ColumnDriftResult> = Object.create(null);
  const own = <T>(o: Record<string, T> | undefined, k: string): T | undefined => (o && Object.hasOwn(o, k) ? o[k] : undefined);
  for (const name of names) {
    const cur = own(curColumns, name);
    if (!cur) throw new InputError(`datasetDrift: cannot find column '${name}' in current data`);
    const opts: ColumnDriftOptions = {
      method: options.method,
      threshold: options.threshold,
      seed: options.seed,
      ...own(options.perColumn, name),
    };
    try {
      columns[name] = columnDrift(own(refColumns, name)!, cur, opts);
    } catch (e) {
      const Err = e instanceof InputError ? InputError : Error;
      throw new Err(`datasetDrift: column '${name}': ${(e as Error).message.replace(/^columnDrift: /, '')}`);
    }
  }
  const drifted = names.filter((n) => columns[n]!.drifted).length;
  const driftShare = options.driftShare ?? 0.5;
  const share = drifted / names.length;
  return {
    columns,
    numberOfColumns: names.length,
    numberOfDriftedColumns: drifted,
    shareOfDriftedColumns: share,
    driftShare,
    datasetDrift: share >= driftShare,
  };
}
