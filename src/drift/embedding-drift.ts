/**
 * Embedding drift with Evidently's four methods (`legacy/metrics/data_drift/embedding_drift_methods.py`):
 * `model` (domain classifier ROC AUC), `mmd` (unbiased MMD² with an RBF kernel, median heuristic),
 * `ratio` (share of drifted components) and `distance` (distance between mean embeddings), each
 * with Evidently's defaults, bootstrap rules and optional PCA. The MMD pairwise maths runs on the GPU
 * when a device is given (see ./pairwise/), otherwise on the CPU in f64.
 */
import type { Device } from '../gpu/device.js';
import { SEED, checkNumber, checkOneOf } from '../options.js';
import { choice, LegacyMT19937, legacyRand, sample1000 } from './numpy-random.js';
import { colMeans, column, median, pca, percentile, takeRows, type Matrix } from './matrix.js';
import { domainClassifierAuc, rocAuc } from './domain-classifier.js';
import { columnDrift, type StatTestId } from './column-drift.js';
import { pairwiseSqDistGpu, rbfRowSumsGpu, rbfRowSumsReference, sqDistReference } from './pairwise/index.js';

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

const N_BOOTSTRAP = 100;

function toMatrix(x: EmbeddingInput, dim: number | undefined, side: string): Matrix {
  let m: Matrix;
  if (x instanceof Float32Array || x instanceof Float64Array) {
    if (!dim || !Number.isInteger(dim) || dim <= 0)
      throw new Error(`embeddingDrift: ${side} is a flat array; pass options.dim (columns per row)`);
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
  if (bad >= 0)
    throw new Error(`embeddingDrift: ${side}[${Math.floor(bad / m.cols)}][${bad % m.cols}] is ${m.data[bad]} (embeddings must be finite)`);
  return m;
}

/**
 * Drift between reference and current embeddings [N, D] with one of Evidently's methods.
 * @example
 * embeddingDrift(refEmb, curEmb, { method: 'mmd', dim: 512, device });
 */
export async function embeddingDrift(
  ref: EmbeddingInput,
  cur: EmbeddingInput,
  options: EmbeddingDriftOptions = {},
): Promise<EmbeddingDriftResult> {
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
      return {
        ...base,
        ...modelDrift(x, y, bootstrap, options.threshold ?? 0.55, options.quantileProbability ?? 0.95, options.seed ?? 42),
        bootstrap,
      };
    }
    case 'mmd': {
      const bootstrap = options.bootstrap ?? false;
      return {
        ...base,
        ...(await mmdDrift(x, y, bootstrap, options.threshold ?? 0.015, options.quantileProbability ?? 0.05, options.device)),
        bootstrap,
      };
    }
    case 'ratio': {
      if (options.bootstrap) throw new Error("embeddingDrift: the 'ratio' method has no bootstrap");
      const threshold = options.threshold ?? 0.2;
      const score = ratioScore(x, y, options.componentStattest ?? 'wasserstein', options.componentStattestThreshold ?? 0.1);
      return { ...base, driftScore: score, driftDetected: score > threshold, threshold, bootstrap: false };
    }
    case 'distance': {
      const bootstrap = options.bootstrap ?? false;
      return {
        ...base,
        ...distanceDrift(x, y, options.distance ?? 'euclidean', bootstrap, options.threshold ?? 0.2, options.quantileProbability ?? 0.95),
        bootstrap,
      };
    }
    default:
      throw new Error(`embeddingDrift: unknown method '${String(method)}' (expected model, mmd, ratio or distance)`);
  }
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
  if (!(sigma2 > 0))
    throw new Error(
      'embeddingDrift: mmd: the median pairwise distance is 0 (most embeddings are identical); the RBF bandwidth is undefined',
    );
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
  if (m * m > 64e6)
    throw new Error(`embeddingDrift: mmd bootstrap needs a ${m}x${m} kernel matrix; subsample the reference to <= 8000 rows`);
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

/** The domain classifier's ROC AUC; with bootstrap, drift when above the q-quantile of random guesses' AUCs. */
function modelDrift(x: Matrix, y: Matrix, bootstrap: boolean, threshold: number, q: number, seed: number) {
  const { auc, testLabels } = domainClassifierAuc(x, y, seed);
  if (!bootstrap) return { driftScore: auc, driftDetected: auc > threshold, threshold };
  const random: number[] = [];
  for (let i = 0; i < N_BOOTSTRAP; i++) random.push(rocAuc(testLabels, legacyRand(i, testLabels.length)));
  const perc = percentile(random, q);
  return { driftScore: auc, driftDetected: auc > perc, threshold: perc };
}
