/** CPU references (f64) of the embedding-drift kernels in wgsl.ts. */

/** Squared euclidean distances between rows of A [m, d] and B [n, d] → [m, n]. */
export function sqDistReference(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, d: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const diff = a[i * d + k]! - b[j * d + k]!;
        s += diff * diff;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

/**
 * For each row i of Z [N, d]: [Σ_{j<split} exp(-γ|z_i-z_j|²), Σ_{j>=split} exp(-γ|z_i-z_j|²)] → [N, 2].
 * (The GPU kernel returns the same per column chunk; summing its chunks gives this.)
 */
export function rbfRowSumsReference(z: ArrayLike<number>, n: number, d: number, split: number, gamma: number): Float64Array {
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const diff = z[i * d + k]! - z[j * d + k]!;
        s += diff * diff;
      }
      out[i * 2 + (j < split ? 0 : 1)]! += Math.exp(-gamma * s);
    }
  }
  return out;
}
