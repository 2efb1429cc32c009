/**
 * Embedding drift with Evidently's four methods (`legacy/metrics/data_drift/embedding_drift_methods.py`):
 * `model` (domain classifier ROC AUC), `mmd` (unbiased MMD² with an RBF kernel, median heuristic),
 * `ratio` (share of drifted components) and `distance` (distance between mean embeddings), each
 * with Evidently's defaults, bootstrap rules and optional PCA. The MMD pairwise maths runs on the GPU
 * when a device is given (see ./embedding/), otherwise on the CPU in f64.
 */
import type { Device } from '../gpu/device.js';
import { Rng } from '../random.js';
import { SEED, checkNumber, checkOneOf } from '../options.js';
import { LegacyMT19937 } from './random.js';
import { rankAverage } from './special.js';
import { columnDrift, type StatTestId } from './index.js';
import { pairwiseSqDistGpu, rbfRowSumsGpu, rbfRowSumsReference, sqDistReference } from './embedding/index.js';

/** Evidently's embedding drift methods. */
export type EmbeddingDriftMethod = 'model' | 'mmd' | 'ratio' | 'distance';
/** Distances of the `distance` method (scipy.spatial.distance names). */
export type EmbeddingDistance = 'euclidean' | 'cosine' | 'cityblock' | 'chebyshev';
/** Embeddings [N, D]: rows as arrays, or a row-major flat array with `options.dim`. */
export type EmbeddingInput = readonly (readonly number[])[] | Float32Array | Float64Array;

export interface EmbeddingDriftOptions {
  /** Default 'model' (Evidently's default). */
  method?: EmbeddingDriftMethod;
  /** Columns per row when the inputs are flat arrays. */
  dim?: number;
  /** Drift when score > threshold (no bootstrap). Defaults: model 0.55, mmd 0.015, ratio 0.2, distance 0.2. */
  threshold?: number;
  /**
   * Compare with a bootstrap quantile instead of `threshold` (model, mmd, distance). Default: for
   * `model`, true when the reference has fewer than 1000 rows (Evidently's EmbeddingsDriftMetric
   * default); for `mmd` and `distance`, false (Evidently's None).
   */
  bootstrap?: boolean;
  /** Bootstrap quantile: model and distance 0.95, mmd 0.05 (Evidently's defaults). */
  quantileProbability?: number;
  /** Reduce to this many principal components first (fitted on the reference), as Evidently's pca_components. */
  pcaComponents?: number;
  /** `distance` method: default 'euclidean'. */
  distance?: EmbeddingDistance;
  /** `ratio` method: stattest per component (default 'wasserstein') and its threshold (default 0.1). */
  componentStattest?: StatTestId;
  componentStattestThreshold?: number;
  /** `model` method: seed of the train/test split (default 42). */
  seed?: number;
  /** Runs the MMD pairwise maths on this GPU; CPU (f64) when omitted. */
  device?: Device;
}

export interface EmbeddingDriftResult {
  method: EmbeddingDriftMethod;
  /** Evidently's drift_score: ROC AUC (model), max(MMD², 0) (mmd), share of drifted components (ratio), distance (distance). */
  driftScore: number;
  driftDetected: boolean;
  /** What the score was compared with: the threshold, or the bootstrap quantile when `bootstrap`. */
  threshold: number;
  bootstrap: boolean;
  referenceRows: number;
  currentRows: number;
  /** Columns compared (after PCA when `pcaComponents` is set). */
  dim: number;
}

/** A row-major f64 matrix. */
interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

const N_BOOTSTRAP = 100;

function toMatrix(x: EmbeddingInput, dim: number | undefined, side: string): Matrix {
  let m: Matrix;
  if (x instanceof Float32Array || x instanceof Float64Array) {
    if (!dim || !Number.isInteger(dim) || dim <= 0) throw new Error(`embeddingDrift: ${side} is a flat array; pass options.dim (columns per row)`);
    if (x.length % dim !== 0) throw new Error(`embeddingDrift: ${side} has ${x.length} values, not a multiple of dim ${dim}`);
    m = { data: Float64Array.from(x), rows: x.length / dim, cols: dim };
  } else {
    const cols = x[0]?.length ?? 0;
    const data = new Float64Array(x.length * cols);
    x.forEach((row, i) => {
      if (row.length !== cols) throw new Error(`embeddingDrift: ${side} row ${i} has ${row.length} values, row 0 has ${cols}`);
      data.set(row, i * cols);
    });
    m = { data, rows: x.length, cols };
  }
  if (m.rows < 2 || m.cols < 1) throw new Error(`embeddingDrift: ${side} needs at least 2 rows and 1 column, got [${m.rows}, ${m.cols}]`);
  const bad = m.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`embeddingDrift: ${side}[${Math.floor(bad / m.cols)}][${bad % m.cols}] is ${m.data[bad]} (embeddings must be finite)`);
  return m;
}

/**
 * Drift between reference and current embeddings [N, D] with one of Evidently's methods.
 * @example
 * embeddingDrift(refEmb, curEmb, { method: 'mmd', dim: 512, device });
 */
export async function embeddingDrift(ref: EmbeddingInput, cur: EmbeddingInput, options: EmbeddingDriftOptions = {}): Promise<EmbeddingDriftResult> {
  const where = 'embeddingDrift';
  checkOneOf(where, 'method', options.method, ['model', 'mmd', 'ratio', 'distance']);
  checkOneOf(where, 'distance', options.distance, ['euclidean', 'cosine', 'cityblock', 'chebyshev']);
  checkNumber(where, 'threshold', options.threshold);
  checkNumber(where, 'quantileProbability', options.quantileProbability, { above: 0, below: 1 });
  checkNumber(where, 'componentStattestThreshold', options.componentStattestThreshold);
  checkNumber(where, 'pcaComponents', options.pcaComponents, { integer: true, min: 1 });
  checkNumber(where, 'seed', options.seed, SEED);
  let x = toMatrix(ref, options.dim, 'reference');
  let y = toMatrix(cur, options.dim, 'current');
  if (x.cols !== y.cols) throw new Error(`embeddingDrift: reference has ${x.cols} columns, current has ${y.cols}`);
  if (options.pcaComponents) [x, y] = pca(x, y, options.pcaComponents);
  const method = options.method ?? 'model';
  const base = { method, referenceRows: x.rows, currentRows: y.rows, dim: x.cols };
  switch (method) {
    case 'model': {
      const bootstrap = options.bootstrap ?? x.rows < 1000;
      return { ...base, ...modelDrift(x, y, bootstrap, options.threshold ?? 0.55, options.quantileProbability ?? 0.95, options.seed ?? 42), bootstrap };
    }
    case 'mmd': {
      const bootstrap = options.bootstrap ?? false;
      return { ...base, ...(await mmdDrift(x, y, bootstrap, options.threshold ?? 0.015, options.quantileProbability ?? 0.05, options.device)), bootstrap };
    }
    case 'ratio': {
      if (options.bootstrap) throw new Error("embeddingDrift: the 'ratio' method has no bootstrap");
      const threshold = options.threshold ?? 0.2;
      const score = ratioScore(x, y, options.componentStattest ?? 'wasserstein', options.componentStattestThreshold ?? 0.1);
      return { ...base, driftScore: score, driftDetected: score > threshold, threshold, bootstrap: false };
    }
    case 'distance': {
      const bootstrap = options.bootstrap ?? false;
      return { ...base, ...distanceDrift(x, y, options.distance ?? 'euclidean', bootstrap, options.threshold ?? 0.2, options.quantileProbability ?? 0.95), bootstrap };
    }
    default:
      throw new Error(`embeddingDrift: unknown method '${String(method)}' (expected model, mmd, ratio or distance)`);
  }
}

// ------------------------------------------------------------------ helpers

function colMeans(m: Matrix, rows?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.cols);
  const n = rows ? rows.length : m.rows;
  for (let r = 0; r < n; r++) {
    const i = rows ? rows[r]! : r;
    for (let k = 0; k < m.cols; k++) out[k] += m.data[i * m.cols + k]!;
  }
  for (let k = 0; k < m.cols; k++) out[k] /= n;
  return out;
}

function column(m: Matrix, k: number): number[] {
  const out = new Array<number>(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + k]!;
  return out;
}

function takeRows(m: Matrix, rows: ArrayLike<number>): Matrix {
  const data = new Float64Array(rows.length * m.cols);
  for (let r = 0; r < rows.length; r++) data.set(m.data.subarray(rows[r]! * m.cols, (rows[r]! + 1) * m.cols), r * m.cols);
  return { data, rows: rows.length, cols: m.cols };
}

/** numpy.percentile(a, q * 100) with linear interpolation. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  const t = pos - lo;
  // numpy's _lerp: a + (b - a) t, computed from the upper end when t >= 0.5.
  return t >= 0.5 ? s[hi]! - (s[hi]! - s[lo]!) * (1 - t) : s[lo]! + (s[hi]! - s[lo]!) * t;
}

/** numpy.median */
function median(values: Float64Array | Float32Array): number {
  return percentile(values, 0.5);
}

/** np.random.seed(seed); np.random.choice(n, size) (with replacement), continuing with `rng`. */
function choice(rng: LegacyMT19937, n: number, size: number): Int32Array {
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.interval(n - 1);
  return out;
}

/** pandas `df.sample(min(n, 1000), random_state=0)`: the rows it picks (order irrelevant here). */
function sample1000(n: number): Int32Array {
  if (n <= 1000) return Int32Array.from({ length: n }, (_, i) => i);
  return new LegacyMT19937(0).permutation(n).slice(0, 1000);
}

// ------------------------------------------------------------------ PCA

/**
 * sklearn PCA(n_components=k).fit_transform(ref) / .transform(cur): centre by the reference mean and
 * project on the top-k eigenvectors of the reference covariance (cyclic Jacobi, O(D³) — fine for D ≤ 512).
 * Component signs may differ from sklearn's; every drift score here is invariant to them.
 */
function pca(x: Matrix, y: Matrix, k: number): [Matrix, Matrix] {
  const d = x.cols;
  if (!Number.isInteger(k) || k < 1 || k > Math.min(x.rows, d)) {
    throw new Error(`embeddingDrift: pcaComponents ${k} must be an integer in [1, min(reference rows, dim) = ${Math.min(x.rows, d)}]`);
  }
  const mu = colMeans(x);
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < x.rows; i++) {
    for (let a = 0; a < d; a++) row[a] = x.data[i * d + a]! - mu[a]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b]!;
  const { values, vectors } = jacobiEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => values[j]! - values[i]!).slice(0, k);
  const project = (m: Matrix): Matrix => {
    const out = new Float64Array(m.rows * k);
    for (let i = 0; i < m.rows; i++) {
      for (let c = 0; c < k; c++) {
        const v = order[c]!;
        let s = 0;
        for (let a = 0; a < d; a++) s += (m.data[i * d + a]! - mu[a]!) * vectors[a * d + v]!;
        out[i * k + c] = s;
      }
    }
    return { data: out, rows: m.rows, cols: k };
  };
  return [project(x), project(y)];
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: eigenvectors are columns. */
function jacobiEigen(input: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i]! * a[i]!;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

// ------------------------------------------------------------------ distance

/** scipy.spatial.distance.{euclidean, cosine, cityblock, chebyshev} */
function vectorDistance(kind: EmbeddingDistance, u: Float64Array, v: Float64Array): number {
  let s = 0;
  let uu = 0;
  let vv = 0;
  let mx = 0;
  for (let i = 0; i < u.length; i++) {
    const d = u[i]! - v[i]!;
    if (kind === 'euclidean') s += d * d;
    else if (kind === 'cityblock') s += Math.abs(d);
    else if (kind === 'chebyshev') mx = Math.max(mx, Math.abs(d));
    else {
      s += u[i]! * v[i]!;
      uu += u[i]! * u[i]!;
      vv += v[i]! * v[i]!;
    }
  }
  if (kind === 'euclidean') return Math.sqrt(s);
  if (kind === 'cityblock') return s;
  if (kind === 'chebyshev') return mx;
  if (kind === 'cosine') return Math.max(0, Math.min(2, 1 - s / Math.sqrt(uu * vv)));
  throw new Error(`embeddingDrift: unknown distance '${String(kind)}' (expected euclidean, cosine, cityblock or chebyshev)`);
}

function distanceDrift(x: Matrix, y: Matrix, kind: EmbeddingDistance, bootstrap: boolean, threshold: number, q: number) {
  const score = vectorDistance(kind, colMeans(x), colMeans(y));
  if (!bootstrap) return { driftScore: score, driftDetected: score > threshold, threshold };
  const m = x.rows;
  const n = y.rows;
  const refSize = Math.floor((m * m) / (m + n));
  const curSize = Math.floor((n * m) / (m + n));
  const res: number[] = [];
  for (let i = 0; i < N_BOOTSTRAP; i++) {
    const rng = new LegacyMT19937(i);
    const a = choice(rng, m, refSize);
    const b = choice(rng, m, curSize); // both from the reference: the no-drift distribution
    res.push(vectorDistance(kind, colMeans(x, a), colMeans(x, b)));
  }
  const perc = percentile(res, q);
  return { driftScore: score, driftDetected: score > perc, threshold: perc };
}

// ------------------------------------------------------------------ ratio

function ratioScore(x: Matrix, y: Matrix, stattest: StatTestId, componentThreshold: number): number {
  let drifted = 0;
  for (let k = 0; k < x.cols; k++) {
    const r = columnDrift(column(x, k), column(y, k), { kind: 'num', method: stattest, threshold: componentThreshold });
    if (r.drifted) drifted++;
  }
  return drifted / x.cols;
}

// ------------------------------------------------------------------ mmd

function rbfMatrix(d2: ArrayLike<number>, gamma: number): Float64Array {
  const k = new Float64Array(d2.length);
  for (let i = 0; i < d2.length; i++) k[i] = Math.exp(-gamma * d2[i]!);
  return k;
}

async function sqDist(a: Matrix, b: Matrix, device?: Device): Promise<Float64Array | Float32Array> {
  if (!device) return sqDistReference(a.data, b.data, a.rows, b.rows, a.cols);
  return pairwiseSqDistGpu(device, Float32Array.from(a.data), Float32Array.from(b.data), a.rows, b.rows, a.cols);
}

/** np.median(pairwise_distances(a, b))² — the RBF bandwidth σ² of Evidently's median heuristic. */
async function medianSigma2(a: Matrix, b: Matrix, device?: Device): Promise<number> {
  const d2 = await sqDist(a, b, device);
  const d = new Float64Array(d2.length);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(Math.max(d2[i]!, 0));
  const sigma2 = median(d) ** 2;
  if (!(sigma2 > 0)) throw new Error('embeddingDrift: mmd: the median pairwise distance is 0 (most embeddings are identical); the RBF bandwidth is undefined');
  return sigma2;
}

/** Evidently's MMD2u from block sums (sums include the diagonal, whose kernel values are 1). */
function mmd2u(kx: number, ky: number, kxy: number, m: number, n: number): number {
  return (kx - m) / (m * (m - 1)) + (ky - n) / (n * (n - 1)) - (2 * kxy) / (m * n);
}

async function mmdDrift(x: Matrix, y: Matrix, bootstrap: boolean, threshold: number, q: number, device?: Device) {
  const m = x.rows;
  const n = y.rows;
  const sigma2 = await medianSigma2(takeRows(x, sample1000(m)), takeRows(y, sample1000(n)), device);
  const z = new Float64Array((m + n) * x.cols);
  z.set(x.data);
  z.set(y.data, x.data.length);
  const rs = device
    ? await rbfRowSumsGpu(device, Float32Array.from(z), m + n, x.cols, m, 1 / sigma2)
    : rbfRowSumsReference(z, m + n, x.cols, m, 1 / sigma2);
  let kx = 0;
  let ky = 0;
  let kxy = 0;
  for (let i = 0; i < m; i++) {
    kx += rs[i * 2]!;
    kxy += rs[i * 2 + 1]!;
  }
  for (let i = m; i < m + n; i++) ky += rs[i * 2 + 1]!;
  const value = mmd2u(kx, ky, kxy, m, n);
  const score = Math.max(value, 0);
  if (!bootstrap) return { driftScore: score, driftDetected: value > threshold, threshold };

  // Bootstrap from the reference alone: its own bandwidth, m x m kernel, 100 resamples.
  if (m * m > 64e6) throw new Error(`embeddingDrift: mmd bootstrap needs a ${m}x${m} kernel matrix; subsample the reference to <= 8000 rows`);
  const xs = takeRows(x, sample1000(m));
  const gammaX = 1 / (await medianSigma2(xs, xs, device));
  const K = rbfMatrix(await sqDist(x, x, device), gammaX);
  const xSize = Math.max(Math.floor((m * m) / (m + n)), 1);
  const ySize = Math.max(Math.floor((m * n) / (m + n)), 1);
  const blockSum = (a: Int32Array, b: Int32Array) => {
    let s = 0;
    for (const i of a) {
      const row = i * m;
      for (const j of b) s += K[row + j]!;
    }
    return s;
  };
  const res: number[] = [];
  for (let i = 0; i < N_BOOTSTRAP; i++) {
    const rng = new LegacyMT19937(i);
    const xi = choice(rng, m, xSize);
    const yi = choice(rng, m, ySize);
    res.push(mmd2u(blockSum(xi, xi), blockSum(yi, yi), blockSum(xi, yi), xSize, ySize));
  }
  const perc = percentile(res, q);
  return { driftScore: score, driftDetected: value > perc, threshold: perc };
}

// ------------------------------------------------------------------ model

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

/** np.random.rand(n) after np.random.seed(seed) (legacy MT19937 doubles). */
function legacyRand(seed: number, n: number): Float64Array {
  const rng = new LegacyMT19937(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.nextUint32() >>> 5;
    const b = rng.nextUint32() >>> 6;
    out[i] = (a * 67108864 + b) / 9007199254740992;
  }
  return out;
}

/**
 * Domain classifier: reference rows labelled 1, current 0, shuffled 50/50 train/test split (seeded),
 * logistic regression (standardised inputs, L2 1e-4, 200 full-batch Adam steps — in place of
 * Evidently's sklearn SGDClassifier(loss='log_loss')), ROC AUC on the test half.
 */
function modelDrift(x: Matrix, y: Matrix, bootstrap: boolean, threshold: number, q: number, seed: number) {
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
  for (const i of train) rowOf(i).forEach((v, k) => (mu[k] += v));
  for (let k = 0; k < d; k++) mu[k] /= train.length;
  for (const i of train) rowOf(i).forEach((v, k) => (sd[k] += (v - mu[k]!) ** 2));
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
      for (let k = 0; k < d; k++) g[k] += err * xTrain[r * d + k]!;
      g[d] += err;
    }
    for (let k = 0; k <= d; k++) {
      const gk = g[k]! / train.length + (k < d ? alpha * w[k]! : 0);
      mom[k] = 0.9 * mom[k]! + 0.1 * gk;
      vel[k] = 0.999 * vel[k]! + 0.001 * gk * gk;
      w[k] -= (lr * (mom[k]! / (1 - 0.9 ** step))) / (Math.sqrt(vel[k]! / (1 - 0.999 ** step)) + 1e-8);
    }
  }
  const xTest = xs(test);
  const scores = new Float64Array(test.length);
  for (let r = 0; r < test.length; r++) {
    let z = w[d]!;
    for (let k = 0; k < d; k++) z += w[k]! * xTest[r * d + k]!;
    scores[r] = z;
  }
  const yTest = Int32Array.from(test, label);
  const auc = rocAuc(yTest, scores);
  if (!bootstrap) return { driftScore: auc, driftDetected: auc > threshold, threshold };
  const random: number[] = [];
  for (let i = 0; i < N_BOOTSTRAP; i++) random.push(rocAuc(yTest, legacyRand(i, test.length)));
  const perc = percentile(random, q);
  return { driftScore: auc, driftDetected: auc > perc, threshold: perc };
}
