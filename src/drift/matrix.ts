/**
 * Row-major f64 matrices and the numpy/sklearn pieces the embedding drift methods use on them:
 * column means, row selection, numpy's percentile and median, and sklearn's PCA.
 */

/** A row-major f64 matrix. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

export function colMeans(m: Matrix, rows?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.cols);
  const n = rows ? rows.length : m.rows;
  for (let r = 0; r < n; r++) {
    const i = rows ? rows[r]! : r;
    for (let k = 0; k < m.cols; k++) out[k]! += m.data[i * m.cols + k]!;
  }
  for (let k = 0; k < m.cols; k++) out[k]! /= n;
  return out;
}

export function column(m: Matrix, k: number): number[] {
  const out = new Array<number>(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + k]!;
  return out;
}

export function takeRows(m: Matrix, rows: ArrayLike<number>): Matrix {
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
export function median(values: Float64Array | Float32Array): number {
  return percentile(values, 0.5);
}

/**
 * sklearn PCA(n_components=k).fit_transform(ref) / .transform(cur): centre by the reference mean and
 * project on the top-k eigenvectors of the reference covariance (cyclic Jacobi, O(D³) — fine for D ≤ 512).
 * Component signs may differ from sklearn's; every drift score here is invariant to them.
 */
export function pca(x: Matrix, y: Matrix, k: number): [Matrix, Matrix] {
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
      for (let b = a; b < d; b++) cov[a * d + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b]!;
  const { values, vectors } = jacobiEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i)
    .sort((i, j) => values[j]! - values[i]!)
    .slice(0, k);
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
