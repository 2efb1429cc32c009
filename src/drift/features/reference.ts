/** CPU reference of the per-image features (f64), the same definitions as the GPU kernel. */
import { FEATURES_PER_IMAGE } from './wgsl.js';

const S = 48;
const N = S * S;

/**
 * Features of each 48x48 uint8 image in `pixels` (N×2304), as a Float64Array [N, 6]:
 * mean, std (population), variance of the 4-neighbour Laplacian over the 46x46 interior,
 * entropy of the 256-bin histogram in bits, share of pixels at 0 or 255, blank flag (std < blankStd).
 */
export function imageFeaturesReference(pixels: Uint8Array, blankStd = 1): Float64Array {
  if (pixels.length % N !== 0) throw new Error(`imageFeaturesReference: ${pixels.length} bytes is not a whole number of 48x48 images`);
  const n = pixels.length / N;
  const out = new Float64Array(n * FEATURES_PER_IMAGE);
  const hist = new Float64Array(256);
  for (let img = 0; img < n; img++) {
    const a = pixels.subarray(img * N, (img + 1) * N);
    hist.fill(0);
    let sum = 0;
    let clip = 0;
    for (let i = 0; i < N; i++) {
      const v = a[i]!;
      sum += v;
      hist[v]!++;
      if (v === 0 || v === 255) clip++;
    }
    const mean = sum / N;
    let ss = 0;
    for (let i = 0; i < N; i++) ss += (a[i]! - mean) ** 2;
    const sd = Math.sqrt(ss / N);
    const lap: number[] = [];
    for (let y = 1; y < S - 1; y++) {
      for (let x = 1; x < S - 1; x++) {
        const k = y * S + x;
        lap.push(a[k - 1]! + a[k + 1]! + a[k - S]! + a[k + S]! - 4 * a[k]!);
      }
    }
    const lm = lap.reduce((s, v) => s + v, 0) / lap.length;
    const lapVar = lap.reduce((s, v) => s + (v - lm) ** 2, 0) / lap.length;
    let entropy = 0;
    for (const h of hist) if (h > 0) entropy -= (h / N) * Math.log2(h / N);
    out.set([mean, sd, lapVar, entropy, clip / N, sd < blankStd ? 1 : 0], img * FEATURES_PER_IMAGE);
  }
  return out;
}
