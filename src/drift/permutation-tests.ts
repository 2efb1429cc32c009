/**
 * Evidently's two permutation tests, TVD (categorical) and empirical MMD (numerical): the observed
 * statistic against the same statistic on permutations of the pooled samples, drawn from numpy's
 * legacy RNG so that a seed gives Evidently's p-values.
 */
import { numpySum, roundHalfEven } from './special.js';
import { LegacyMT19937 } from './numpy-random.js';
import { pythonSetUnion } from './pyset.js';
import { uniqueKeys, type Value } from './stattests.js';

/**
 * The order of the keys Evidently sums over, `list(set(ref.unique()) | set(cur.unique()))`, given
 * each side's key ids in order of first appearance. Numbers: CPython's set order (see pyset.ts).
 * Strings hash differently in every Python process (PYTHONHASHSEED), so Evidently's own order
 * varies between runs; here they keep the order of first appearance, reference first.
 */
function evidentlyKeyOrder(keys: readonly Value[], refIds: readonly number[], curIds: readonly number[], numeric: boolean): number[] {
  if (!numeric) return [...new Set([...refIds, ...curIds])];
  const id = new Map(keys.map((k, i) => [k as number, i]));
  return pythonSetUnion(
    refIds.map((i) => keys[i] as number),
    curIds.map((i) => keys[i] as number),
  ).map((v) => id.get(v)!);
}

/**
 * tvd_stattest.py `_total_variation_distance`: 0.5 * np.sum(|r / sum(r) - c / sum(c)|) in float64
 * over the keys in `order`.
 */
function evidentlyTvd(
  refCounts: Int32Array,
  curCounts: Int32Array,
  nRef: number,
  nCur: number,
  order: readonly number[],
  terms: Float64Array,
): number {
  order.forEach((k, i) => (terms[i] = Math.abs(refCounts[k]! / nRef - curCounts[k]! / nCur)));
  return 0.5 * numpySum(terms, 0, order.length);
}

/** Key ids in order of first appearance among combined[idx[from..to)] (or combined[from..to) without idx). */
function firstSeen(combined: Int32Array, from: number, to: number, seen: Uint8Array, idx?: Int32Array): number[] {
  seen.fill(0);
  const out: number[] = [];
  for (let i = from; i < to; i++) {
    const k = combined[idx ? idx[i]! : i]!;
    if (!seen[k]) {
      seen[k] = 1;
      out.push(k);
    }
  }
  return out;
}

/**
 * tvd_stattest.py with utils.permutation_test: 1000 permutations (numpy's legacy RNG seeded with
 * `seed`; Evidently uses 0) of the pooled samples; p = share of permutations whose TVD >= the
 * observed one. The TVD is computed as Evidently does (float64, its key order), so near-ties round
 * as in Evidently. Returns [pValue, observed TVD].
 */
export function tvdPermutation(ref: Value[], cur: Value[], seed = 0, iterations = 1000): [number, number] {
  const keys = uniqueKeys(ref, cur);
  const numeric = keys.every((k) => typeof k === 'number');
  const index = new Map(keys.map((k, i) => [k, i]));
  const combined = Int32Array.from([...ref, ...cur], (v) => index.get(v)!);
  const nRef = ref.length;
  const nCur = cur.length;
  const total = new Int32Array(keys.length);
  for (const c of combined) total[c]!++;
  const refCounts = new Int32Array(keys.length);
  for (let i = 0; i < nRef; i++) refCounts[combined[i]!]!++;
  const curCounts = total.map((t, i) => t - refCounts[i]!);
  const terms = new Float64Array(keys.length);
  const seen = new Uint8Array(keys.length);
  const order0 = evidentlyKeyOrder(keys, firstSeen(combined, 0, nRef, seen), firstSeen(combined, nRef, combined.length, seen), numeric);
  const observed = evidentlyTvd(refCounts, curCounts, nRef, nCur, order0, terms);
  // The permuted current sample is rebuilt by Counter subtraction: its values in the pooled
  // sample's order of first appearance, those with a count left.
  const pooledOrder = firstSeen(combined, 0, combined.length, seen);
  const rng = new LegacyMT19937(seed);
  let hits = 0;
  for (let it = 0; it < iterations; it++) {
    const perm = rng.permutation(combined.length);
    refCounts.fill(0);
    for (let i = 0; i < nRef; i++) refCounts[combined[perm[i]!]!]!++;
    for (let k = 0; k < keys.length; k++) curCounts[k] = total[k]! - refCounts[k]!;
    const refIds = numeric ? firstSeen(combined, 0, nRef, seen, perm) : [];
    const order = numeric
      ? evidentlyKeyOrder(
          keys,
          refIds,
          pooledOrder.filter((k) => curCounts[k]! > 0),
          true,
        )
      : order0;
    if (observed <= evidentlyTvd(refCounts, curCounts, nRef, nCur, order, terms)) hits++;
  }
  return [hits / iterations, observed];
}

/** numpy.percentile(a, 50, method='nearest') */
function medianNearest(a: Float64Array): number {
  const s = a.slice().sort();
  return s[roundHalfEven(0.5 * (s.length - 1))]!;
}

/**
 * mmd_stattest.py: empirical maximum mean discrepancy with an RBF kernel (median heuristic on the
 * reference) and a 100-permutation test. Evidently draws from numpy's unseeded global RNG; here the
 * permutations come from numpy's legacy RNG seeded with `seed`. Returns [pValue, mmd]. O(n^2) memory.
 */
export function mmdPermutation(ref: number[], cur: number[], seed = 0, iterations = 100): [number, number] {
  const nx = ref.length;
  const ny = cur.length;
  const N = nx + ny;
  const all = [...ref, ...cur];
  const sq = (i: number, j: number) => all[j]! ** 2 - 2 * all[i]! * all[j]! + all[i]! ** 2;
  const dxx = new Float64Array(nx * nx);
  for (let i = 0; i < nx; i++) for (let j = 0; j < nx; j++) dxx[i * nx + j] = sq(i, j);
  let sigma = Math.sqrt(0.5 * medianNearest(dxx));
  if (sigma === 0) sigma = Math.sqrt(0.5);
  const gamma = 1 / (2 * sigma ** 2);
  // Full kernel with a zero diagonal: [[Kxx, Kxy], [Kxy^T, Kyy]]. Kxy uses dist(x_i, y_j) = y^2 - 2xy + x^2.
  const K = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      if (i === j) continue;
      // The lower-left block is Kxy transposed: its x-role index is the column.
      const [a, b] = i >= nx && j < nx ? [j, i] : [i, j];
      K[i * N + j] = Math.exp(-gamma * sq(a, b));
    }
  }
  const A = 1 / (nx * (nx - 1));
  const B = 1 / (ny * (ny - 1));
  const mmdOf = (idx: ArrayLike<number>) => {
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (let i = 0; i < N; i++) {
      const row = idx[i]! * N;
      for (let j = 0; j < N; j++) {
        const k = K[row + idx[j]!]!;
        if (i < nx && j < nx) sxx += k;
        else if (i >= nx && j >= nx) syy += k;
        else if (i >= nx) sxy += k;
      }
    }
    return A * sxx + B * syy - (2 * sxy) / (nx * ny);
  };
  const identity = Int32Array.from({ length: N }, (_, i) => i);
  const mmd = mmdOf(identity);
  const rng = new LegacyMT19937(seed);
  let hits = 0;
  for (let it = 0; it < iterations; it++) if (mmd <= mmdOf(rng.permutation(N))) hits++;
  return [hits / iterations, mmd];
}
