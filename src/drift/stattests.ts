/**
 * Evidently's column drift stattests, re-implemented. Each function takes cleaned samples (no NaN/inf)
 * and returns the drift score Evidently reports (a p-value or a distance). The source of each formula
 * is Evidently's `src/evidently/legacy/calculations/stattests/<file>.py`, named on each function.
 * The two permutation tests (TVD, empirical_mmd) are in permutation-tests.ts.
 */
import {
  andersonKsamp,
  besselK,
  cdfDistance,
  chi2Sf,
  fisherExact2x2,
  gammaln,
  ks2samp,
  mannWhitneyU,
  mean,
  normCdf,
  rankAverage,
  searchSorted,
  sortedCopy,
  std,
  tSf,
} from './special.js';

export type Value = number | string;
export type ColumnKind = 'num' | 'cat';

/** Unique values of both samples (utils.get_unique_not_nan_values_list_from_series). */
export function uniqueKeys(ref: readonly Value[], cur: readonly Value[]): Value[] {
  return [...new Set<Value>([...ref, ...cur])];
}

function countBy(values: readonly Value[]): Map<Value, number> {
  const m = new Map<Value, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function nunique(values: readonly Value[]): number {
  return new Set(values).size;
}

/** numpy.histogram_bin_edges(a, bins='sturges') */
export function sturgesEdges(a: ArrayLike<number>): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < lo) lo = a[i]!;
    if (a[i]! > hi) hi = a[i]!;
  }
  const width = (hi - lo) / (Math.log2(a.length) + 1);
  let first = lo;
  let last = hi;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const nBins = width ? Math.ceil((last - first) / width) : 1;
  const edges = new Float64Array(nBins + 1);
  const step = (last - first) / nBins;
  for (let i = 0; i <= nBins; i++) edges[i] = i * step + first;
  edges[nBins] = last;
  return edges;
}

/** numpy.histogram(a, edges)[0]: bins [e_i, e_i+1), the last one closed. */
export function histogramCounts(a: ArrayLike<number>, edges: Float64Array): Float64Array {
  const s = sortedCopy(a);
  const counts = new Float64Array(edges.length - 1);
  for (let i = 0; i < counts.length; i++) {
    const right = i === counts.length - 1 ? searchSorted(s, edges[i + 1]!, 'right') : searchSorted(s, edges[i + 1]!, 'left');
    counts[i] = right - searchSorted(s, edges[i]!, 'left');
  }
  return counts;
}

/**
 * utils.get_binned_data: shares per bin. Numerical columns whose reference has more than 20 unique
 * values use Sturges bins over both samples; otherwise one bin per value. With `fillZeroes`, empty
 * bins get min(non-zero share)/1e6 when that minimum is <= 0.0001, else 0.0001.
 */
export function binnedShares(
  ref: readonly Value[],
  cur: readonly Value[],
  kind: ColumnKind,
  fillZeroes: boolean,
): [Float64Array, Float64Array] {
  let r: Float64Array;
  let c: Float64Array;
  if (kind === 'num' && nunique(ref) > 20) {
    const edges = sturgesEdges([...(ref as number[]), ...(cur as number[])]);
    r = histogramCounts(ref as number[], edges).map((v) => v / ref.length);
    c = histogramCounts(cur as number[], edges).map((v) => v / cur.length);
  } else {
    const keys = uniqueKeys(ref, cur);
    const rc = countBy(ref);
    const cc = countBy(cur);
    r = Float64Array.from(keys, (k) => (rc.get(k) ?? 0) / ref.length);
    c = Float64Array.from(keys, (k) => (cc.get(k) ?? 0) / cur.length);
  }
  if (fillZeroes) {
    for (const arr of [r, c]) {
      const minNonZero = Math.min(...arr.filter((v) => v !== 0));
      const fill = minNonZero <= 0.0001 ? minNonZero / 10 ** 6 : 0.0001;
      for (let i = 0; i < arr.length; i++) if (arr[i] === 0) arr[i] = fill;
    }
  }
  return [r, c];
}

/** scipy.special.rel_entr */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

function normalize(p: Float64Array): Float64Array {
  const s = p.reduce((a, v) => a + v, 0);
  return p.map((v) => v / s);
}

/** Expected (reference counts scaled to the current size) and observed counts per value. */
function expectedObserved(ref: readonly Value[], cur: readonly Value[]): [number[], number[]] {
  const keys = uniqueKeys(ref, cur);
  const rc = countBy(ref);
  const cc = countBy(cur);
  const kNorm = cur.length / ref.length;
  return [keys.map((k) => (rc.get(k) ?? 0) * kNorm), keys.map((k) => cc.get(k) ?? 0)];
}

/** ks_stattest.py: scipy.stats.ks_2samp p-value. */
export function ksPValue(ref: number[], cur: number[]): number {
  return ks2samp(ref, cur).pvalue;
}

/** chisquare_stattest.py: scipy.stats.chisquare(f_obs=current counts, f_exp=reference counts * n_cur/n_ref). */
export function chiSquarePValue(ref: Value[], cur: Value[]): number {
  const [exp, obs] = expectedObserved(ref, cur);
  let stat = 0;
  for (let i = 0; i < exp.length; i++) stat += (obs[i]! - exp[i]!) ** 2 / exp[i]!;
  return chi2Sf(stat, exp.length - 1);
}

/**
 * g_stattest.py: scipy.stats.power_divergence(f_obs=current counts, f_exp, lambda_='log-likelihood').
 * Evidently passes the raw reference counts as f_exp. With equal sample sizes that is what is
 * computed here; with unequal sizes SciPy >= 1.9 rejects Evidently's call (the totals differ) and
 * older SciPy returned a meaningless statistic, so here the reference counts are scaled to the
 * current total first (f_exp = reference counts * n_cur / n_ref), as Evidently's chisquare does.
 */
export function gTestPValue(ref: Value[], cur: Value[]): number {
  const [exp, obs] = expectedObserved(ref, cur);
  let stat = 0;
  for (let i = 0; i < exp.length; i++) stat += obs[i] === 0 ? 0 : 2 * obs[i]! * Math.log(obs[i]! / exp[i]!);
  return chi2Sf(stat, exp.length - 1);
}

function compareValues(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`cannot order mixed values ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
}

/** z_stattest.py: two-proportion z-test of "not the smallest value", two-sided. */
export function zTestPValue(ref: Value[], cur: Value[]): number {
  const refU = new Set(ref);
  const curU = new Set(cur);
  if (refU.size === 1 && curU.size === 1 && [...refU][0] === [...curU][0]) return 1;
  const first = uniqueKeys(ref, cur).sort(compareValues)[0];
  const n1 = ref.length;
  const n2 = cur.length;
  const p1 = ref.filter((v) => v !== first).length / n1;
  const p2 = cur.filter((v) => v !== first).length / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  return 2 * (1 - normCdf(Math.abs(z)));
}

/** wasserstein_distance_norm.py: wasserstein_distance / max(std(reference), 0.001). */
export function wassersteinNorm(ref: number[], cur: number[]): number {
  return cdfDistance(1, ref, cur) / Math.max(std(ref), 0.001);
}

/** jensenshannon.py: scipy.spatial.distance.jensenshannon (natural log) of binned shares. */
export function jensenShannon(ref: Value[], cur: Value[], kind: ColumnKind): number {
  const [r0, c0] = binnedShares(ref, cur, kind, false);
  const p = normalize(r0);
  const q = normalize(c0);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    left += relEntr(p[i]!, m);
    right += relEntr(q[i]!, m);
  }
  return Math.sqrt((left + right) / 2);
}

/** psi.py: sum((ref - cur) * ln(ref / cur)) over binned shares with zeros filled. */
export function psi(ref: Value[], cur: Value[], kind: ColumnKind): number {
  const [r, c] = binnedShares(ref, cur, kind, true);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
  return s;
}

/** kl_div.py: scipy.stats.entropy(reference shares, current shares) with zeros filled. */
export function klDiv(ref: Value[], cur: Value[], kind: ColumnKind): number {
  const [r0, c0] = binnedShares(ref, cur, kind, true);
  const r = normalize(r0);
  const c = normalize(c0);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += relEntr(r[i]!, c[i]!);
  return s;
}

/** hellinger_distance.py: categorical shares, or density histograms on Sturges bins of the unique values. */
export function hellinger(ref: Value[], cur: Value[], kind: ColumnKind): number {
  const keys = uniqueKeys(ref, cur);
  let bc = 0;
  if (kind === 'cat') {
    const rc = countBy(ref);
    const cc = countBy(cur);
    for (const k of keys) bc += Math.sqrt(((rc.get(k) ?? 0) / ref.length) * ((cc.get(k) ?? 0) / cur.length));
  } else {
    const edges = sturgesEdges(keys as number[]);
    const density = (a: number[]) => {
      const counts = histogramCounts(a, edges);
      const total = counts.reduce((s, v) => s + v, 0);
      return counts.map((v, i) => v / total / (edges[i + 1]! - edges[i]!));
    };
    const h1 = density(ref as number[]);
    const h2 = density(cur as number[]);
    const binWidth = (edges[edges.length - 1]! - edges[0]!) / (edges.length - 1);
    for (let i = 0; i < h1.length; i++) bc += Math.sqrt(h1[i]! * h2[i]!) * binWidth;
  }
  return Math.sqrt(1 - Math.min(Math.max(bc, 0), 1));
}

/** energy_distance.py: scipy.stats.energy_distance. */
export function energyDistance(ref: number[], cur: number[]): number {
  return Math.SQRT2 * cdfDistance(2, ref, cur);
}

/** t_test.py: scipy.stats.ttest_ind (pooled variance), two-sided p-value. */
export function tTestPValue(ref: number[], cur: number[]): number {
  const n1 = ref.length;
  const n2 = cur.length;
  const m1 = mean(ref);
  const m2 = mean(cur);
  const v1 = (std(ref) ** 2 * n1) / (n1 - 1);
  const v2 = (std(cur) ** 2 * n2) / (n2 - 1);
  const df = n1 + n2 - 2;
  const svar = ((n1 - 1) * v1 + (n2 - 1) * v2) / df;
  const t = (m1 - m2) / Math.sqrt(svar * (1 / n1 + 1 / n2));
  return 2 * tSf(Math.abs(t), df);
}

/** mann_whitney_urank_stattest.py: scipy.stats.mannwhitneyu(x=ref, y=cur, alternative='less'). */
export function mannWhitneyPValue(ref: number[], cur: number[]): number {
  return mannWhitneyU(ref, cur, 'less').pvalue;
}

/** anderson_darling_stattest.py: scipy.stats.anderson_ksamp([ref, cur]) significance level. */
export function andersonPValue(ref: number[], cur: number[]): number {
  return andersonKsamp([ref, cur]).pvalue;
}

/** cramer_von_mises_stattest.py `_pval_cvm_2samp_exact` (Xiao, Gordon & Yakovlev 2006). */
function cvmExactPValue(s: number, m: number, n: number): number {
  const gcdMN = (a: number, b: number): number => (b ? gcdMN(b, a % b) : a);
  const lcm = (m * n) / gcdMN(m, n);
  const a = lcm / m;
  const b = lcm / n;
  const mn = m * n;
  const zeta = Math.floor((lcm ** 2 * (m + n) * (6 * s - mn * (4 * mn - 1))) / (6 * mn ** 2));
  // gs[v] maps value -> frequency; the recursion of eq. 11 in [Xiao et al.]
  let gs: Map<number, number>[] = [new Map([[0, 1]])];
  for (let v = 0; v < m; v++) gs.push(new Map());
  for (let u = 0; u <= n; u++) {
    const next: Map<number, number>[] = [];
    let tmp = new Map<number, number>();
    for (let v = 0; v < gs.length; v++) {
      const merged = new Map(tmp);
      for (const [val, f] of gs[v]!) merged.set(val, (merged.get(val) ?? 0) + f);
      const shift = (a * v - b * u) ** 2;
      tmp = new Map([...merged].map(([val, f]) => [val + shift, f]));
      next.push(tmp);
    }
    gs = next;
  }
  const combinations = Math.exp(gammaln(m + n + 1) - gammaln(m + 1) - gammaln(n + 1));
  let count = 0;
  for (const [val, f] of gs[m]!) if (val >= zeta) count += f;
  return count / Math.round(combinations);
}

/** cramer_von_mises_stattest.py `_cdf_cvm_inf`: limiting CDF of the CvM statistic (Csörgő & Faraway 1996). */
function cvmInfCdf(x: number): number {
  let tot = 0;
  for (let k = 0; ; k++) {
    const u = Math.exp(gammaln(k + 0.5) - gammaln(k + 1)) / (Math.PI ** 1.5 * Math.sqrt(x));
    const y = 4 * k + 1;
    const q = (y * y) / (16 * x);
    const z = u * Math.sqrt(y) * Math.exp(-q) * besselK(0.25, q);
    tot += z;
    if (Math.abs(z) < 1e-7) break;
  }
  return tot;
}

/** cramer_von_mises_stattest.py `_cvm_2samp` (method='auto'): exact when both sizes <= 20. */
export function cramerVonMisesPValue(ref: number[], cur: number[]): number {
  const nx = ref.length;
  const ny = cur.length;
  if (nx <= 1 || ny <= 1) throw new Error('cramer_von_mises: each sample needs at least two observations');
  const xa = sortedCopy(ref);
  const ya = sortedCopy(cur);
  const z = new Float64Array(nx + ny);
  z.set(xa);
  z.set(ya, nx);
  const r = rankAverage(z);
  let u = 0;
  let uy = 0;
  for (let i = 0; i < nx; i++) u += (r[i]! - (i + 1)) ** 2;
  for (let j = 0; j < ny; j++) uy += (r[nx + j]! - (j + 1)) ** 2;
  u = nx * u + ny * uy;
  const k = nx * ny;
  const N = nx + ny;
  const t = u / (k * N) - (4 * k - 1) / (6 * N);
  if (Math.max(nx, ny) <= 20) return cvmExactPValue(u, nx, ny);
  const et = (1 + 1 / N) / 6;
  const vt = ((N + 1) * (4 * k * N - 3 * (nx ** 2 + ny ** 2) - 2 * k)) / (45 * N ** 2 * 4 * k);
  const tn = 1 / 6 + (t - et) / Math.sqrt(45 * vt);
  if (tn < 0.003) return 1;
  return Math.max(0, 1 - cvmInfCdf(tn));
}

/** fisher_exact_stattest.py: Fisher's exact test on the 2x2 table of the two (binary) samples. */
export function fisherExactPValue(ref: Value[], cur: Value[]): number {
  if (ref.length !== cur.length) {
    throw new Error(`fisher_exact: reference (${ref.length}) and current (${cur.length}) must have equal length, as in Evidently`);
  }
  if (nunique(ref) > 2 || nunique(cur) > 2) {
    throw new Error('fisher_exact: expects binary data for both reference and current, found > 2 categories');
  }
  const cats = uniqueKeys(ref, cur);
  if (cats.length > 2) throw new Error('fisher_exact: the two samples together have more than 2 categories');
  const one = cats[1];
  const ones = (a: Value[]) => a.filter((v) => v === one).length;
  return fisherExact2x2([
    [ones(cur), cur.length - ones(cur)],
    [ones(ref), ref.length - ones(ref)],
  ]);
}
