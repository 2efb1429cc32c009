/** CPU reference of the augment-and-normalise kernel (same maths as wgsl.ts, in plain loops). */
import { FER_IMAGE_SIZE } from '../../classes.js';
import { PARAMS_PER_IMAGE } from './params.js';

/**
 * Applies per-image parameters to uint8 images and normalises: out = (x/255 - mean)/std.
 * @param pixels source images, 48x48 uint8 each
 * @param sources index of the source image of each output image
 * @returns [n, 1, 48, 48] as f32
 */
export function augmentReference(
  pixels: Uint8Array,
  sources: ArrayLike<number>,
  params: Float32Array,
  mean: number,
  std: number,
): Float32Array {
  const S = FER_IMAGE_SIZE;
  const n = sources.length;
  const out = new Float32Array(n * S * S);
  for (let i = 0; i < n; i++) {
    const p = params.subarray(i * PARAMS_PER_IMAGE, (i + 1) * PARAMS_PER_IMAGE);
    const src = sources[i]! * S * S;
    const fetch = (x: number, y: number): number => {
      if (x < 0 || y < 0 || x >= S || y >= S) return 0;
      const v = pixels[src + y * S + x]! / 255;
      // colour jitter on the source: brightness, then contrast around the (brightened) mean
      const b = v * p[6]!;
      return Math.min(1, Math.max(0, (b - p[8]! * p[6]!) * p[7]! + p[8]! * p[6]!));
    };
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        let v: number;
        if (x >= p[9]! && x < p[11]! && y >= p[10]! && y < p[12]!) {
          v = 0; // erased, after normalisation
        } else {
          const sx = p[0]! * x + p[1]! * y + p[4]!;
          const sy = p[2]! * x + p[3]! * y + p[5]!;
          const x0 = Math.floor(sx);
          const y0 = Math.floor(sy);
          const fx = sx - x0;
          const fy = sy - y0;
          const g =
            (1 - fy) * ((1 - fx) * fetch(x0, y0) + fx * fetch(x0 + 1, y0)) +
            fy * ((1 - fx) * fetch(x0, y0 + 1) + fx * fetch(x0 + 1, y0 + 1));
          v = (g - mean) / std;
        }
        out[i * S * S + y * S + x] = v;
      }
    }
  }
  return out;
}
