/**
 * Per-image augmentation parameters, drawn on the CPU from a seeded RNG and applied on the GPU
 * by one kernel per batch (see wgsl.ts) or on the CPU by the reference (reference.ts).
 *
 * Each image gets 16 f32s:
 *   [0..5]  a00 a01 a10 a11 b0 b1 — the inverse affine map: source = A · output + b (pixel
 *           centres), combining flip, rotation, scale (random resized crop), translation and
 *           the random crop with padding; pixels mapped outside the source read 0 (black),
 *           as torchvision's default fill.
 *   [6]     brightness factor, [7] contrast factor, [8] mean of the source image / 255
 *           (colour jitter is applied to the source, before the geometry);
 *   [9..12] erased rectangle x0 y0 x1 y1 (output pixels, half-open; empty when x0 >= x1),
 *           filled with 0 after normalisation, as torchvision's RandomErasing(value=0);
 *   [13..15] unused.
 */
import { Rng } from '../../random.js';
import { FER_IMAGE_SIZE } from '../../classes.js';

export const PARAMS_PER_IMAGE = 16;

/** Training augmentation, as torchvision transforms would be configured for FER2013. */
export interface AugmentOptions {
  /** Probability of a horizontal flip (default 0.5). */
  hflip?: number;
  /** Random crop with zero padding: max shift in pixels (default 4, as RandomCrop(48, padding=4)). */
  cropPadding?: number;
  /** Rotation range in degrees, ± (default 10). */
  rotation?: number;
  /** Scale range of a random resized crop (default [0.9, 1.1]; [1, 1] disables). */
  scale?: [number, number];
  /** Extra translation as a fraction of the size (default 0). */
  translate?: number;
  /** Brightness jitter: factor in [1 - b, 1 + b] (default 0.2). */
  brightness?: number;
  /** Contrast jitter: factor in [1 - c, 1 + c] (default 0.2). */
  contrast?: number;
  /** Probability of random erasing (default 0.25), area fraction range [0.02, 0.2], aspect [0.3, 3.3]. */
  erasing?: number;
}

const DEFAULTS: Required<AugmentOptions> = {
  hflip: 0.5,
  cropPadding: 4,
  rotation: 10,
  scale: [0.9, 1.1],
  translate: 0,
  brightness: 0.2,
  contrast: 0.2,
  erasing: 0.25,
};

/** Identity parameters (no augmentation) for one image. */
export function identityParams(out: Float32Array, o: number, srcMean: number): void {
  out.fill(0, o, o + PARAMS_PER_IMAGE);
  out[o] = 1;
  out[o + 3] = 1;
  out[o + 6] = 1;
  out[o + 7] = 1;
  out[o + 8] = srcMean;
}

/** Mean of one 48x48 uint8 image, / 255. */
export function imageMean(pixels: Uint8Array, offset: number): number {
  const n = FER_IMAGE_SIZE * FER_IMAGE_SIZE;
  let s = 0;
  for (let k = 0; k < n; k++) s += pixels[offset + k]!;
  return s / n / 255;
}

/**
 * Draws augmentation parameters for `count` images whose source means are given.
 * Deterministic for a given rng state.
 */
export function drawAugmentParams(rng: Rng, srcMeans: ArrayLike<number>, options: AugmentOptions = {}): Float32Array {
  const o = { ...DEFAULTS, ...options };
  const n = srcMeans.length;
  const out = new Float32Array(n * PARAMS_PER_IMAGE);
  const S = FER_IMAGE_SIZE;
  const c = (S - 1) / 2;
  for (let i = 0; i < n; i++) {
    const base = i * PARAMS_PER_IMAGE;
    const flip = rng.next() < o.hflip ? -1 : 1;
    const angle = (rng.uniform(-o.rotation, o.rotation) * Math.PI) / 180;
    const scale = rng.uniform(o.scale[0], o.scale[1]);
    const tx = Math.round(rng.uniform(-o.cropPadding, o.cropPadding)) + rng.uniform(-o.translate, o.translate) * S;
    const ty = Math.round(rng.uniform(-o.cropPadding, o.cropPadding)) + rng.uniform(-o.translate, o.translate) * S;
    // output = R · diag(scale) · F · (src - c) + c + t   =>   src = F · R(-θ)/scale · (out - c - t) + c
    const cos = Math.cos(angle) / scale;
    const sin = Math.sin(angle) / scale;
    const a00 = flip * cos;
    const a01 = flip * sin;
    const a10 = -sin;
    const a11 = cos;
    const dx = -c - tx;
    const dy = -c - ty;
    out[base] = a00;
    out[base + 1] = a01;
    out[base + 2] = a10;
    out[base + 3] = a11;
    out[base + 4] = a00 * dx + a01 * dy + c;
    out[base + 5] = a10 * dx + a11 * dy + c;
    out[base + 6] = rng.uniform(1 - o.brightness, 1 + o.brightness);
    out[base + 7] = rng.uniform(1 - o.contrast, 1 + o.contrast);
    out[base + 8] = srcMeans[i]!;
    if (rng.next() < o.erasing) {
      const area = rng.uniform(0.02, 0.2) * S * S;
      const aspect = Math.exp(rng.uniform(Math.log(0.3), Math.log(3.3)));
      const h = Math.min(S, Math.round(Math.sqrt(area * aspect)));
      const w = Math.min(S, Math.round(Math.sqrt(area / aspect)));
      const x0 = rng.int(S - w + 1);
      const y0 = rng.int(S - h + 1);
      out.set([x0, y0, x0 + w, y0 + h], base + 9);
    }
  }
  return out;
}

/**
 * Ten-crop test-time augmentation (torchvision's TenCrop): the four corner crops and the
 * centre crop of size `crop`, each scaled back to 48x48, and their horizontal flips.
 * Returns 10 parameter blocks per image, image-major.
 */
export function tenCropParams(srcMeans: ArrayLike<number>, crop = 44): Float32Array {
  const S = FER_IMAGE_SIZE;
  const n = srcMeans.length;
  const out = new Float32Array(n * 10 * PARAMS_PER_IMAGE);
  const k = crop / S; // source pixels per output pixel
  const corners: Array<[number, number]> = [
    [0, 0],
    [S - crop, 0],
    [0, S - crop],
    [S - crop, S - crop],
    [(S - crop) / 2, (S - crop) / 2],
  ];
  for (let i = 0; i < n; i++) {
    for (let v = 0; v < 10; v++) {
      const base = (i * 10 + v) * PARAMS_PER_IMAGE;
      const [x0, y0] = corners[v % 5]!;
      identityParams(out, base, srcMeans[i]!);
      // Pixel centres: src = x0 - 0.5 + (out + 0.5) * k; flipped: out -> S - 1 - out.
      const flip = v >= 5;
      out[base] = flip ? -k : k;
      out[base + 3] = k;
      out[base + 4] = flip ? x0 - 0.5 + (S - 0.5) * k : x0 - 0.5 + 0.5 * k;
      out[base + 5] = y0 - 0.5 + 0.5 * k;
    }
  }
  return out;
}
