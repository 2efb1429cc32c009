/**
 * Per-image quality features of 48x48 uint8 images, computed on the GPU (one kernel per batch,
 * one workgroup per image; see wgsl.ts) with a CPU reference (reference.ts).
 */
import type { Device } from '../../gpu/device.js';
import { f32 } from '../../gpu/device.js';
import { GpuImages } from '../../data/augment/index.js';
import { FEATURES_PER_IMAGE, IMAGE_FEATURES_KERNEL } from './wgsl.js';
import { imageFeaturesReference } from './reference.js';

export { imageFeaturesReference, FEATURES_PER_IMAGE };

/** Names of the feature columns, in kernel order. Brightness/contrast are in grey levels (0-255). */
export const IMAGE_FEATURE_NAMES = ['brightness', 'contrast', 'sharpness', 'entropy', 'clipped', 'blank'] as const;
export type ImageFeatureName = (typeof IMAGE_FEATURE_NAMES)[number];

export interface ImageFeatureOptions {
  /** Images per dispatch (default 8192: 18 MiB of pixels). */
  batchSize?: number;
  /** An image is blank when its pixel std is below this many grey levels (default 1). */
  blankStd?: number;
}

const BYTES = 48 * 48;

/**
 * Features of every image of `pixels` (N×2304 row-major uint8) as a Float32Array [N, 6] in
 * {@link IMAGE_FEATURE_NAMES} order. With a device: pixels are uploaded packed 4 per u32 and each
 * batch is one dispatch; without one, the CPU reference is used.
 */
export async function computeImageFeatures(
  pixels: Uint8Array,
  device?: Device,
  { batchSize = 8192, blankStd = 1 }: ImageFeatureOptions = {},
): Promise<Float32Array> {
  if (pixels.length % BYTES !== 0) {
    throw new Error(`computeImageFeatures: ${pixels.length} bytes is not a whole number of 48x48 images`);
  }
  if (!device) return Float32Array.from(imageFeaturesReference(pixels, blankStd));
  const n = pixels.length / BYTES;
  const out = new Float32Array(n * FEATURES_PER_IMAGE);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    // Copy so the packed upload starts on a 4-byte boundary whatever the caller's byteOffset.
    const images = new GpuImages(device, pixels.slice(start * BYTES, (start + count) * BYTES));
    const result = device.empty([count, FEATURES_PER_IMAGE]);
    const x = Math.min(count, 65535);
    device.dispatch(IMAGE_FEATURES_KERNEL, {
      params: [count, f32(blankStd)],
      buffers: [images.packed.buffer, result.buffer],
      workgroups: [x, Math.ceil(count / x)],
    });
    out.set(await result.toArray(), start * FEATURES_PER_IMAGE);
    result.dispose();
    images.dispose();
  }
  return out;
}

/** Splits a [N, 6] feature matrix into one column per feature name. */
export function featureColumns(features: Float32Array): Record<ImageFeatureName, number[]> {
  const n = features.length / FEATURES_PER_IMAGE;
  const cols = {} as Record<ImageFeatureName, number[]>;
  IMAGE_FEATURE_NAMES.forEach((name, f) => {
    const c = new Array<number>(n);
    for (let i = 0; i < n; i++) c[i] = features[i * FEATURES_PER_IMAGE + f]!;
    cols[name] = c;
  });
  return cols;
}
