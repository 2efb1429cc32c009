/**
 * GPU augmentation + normalisation of FER batches: one kernel per batch (see wgsl.ts), with a
 * CPU reference (reference.ts) that the tests compare against.
 */
import { grid1d, f32, type Device } from '../../gpu/device.js';
import type { Tensor } from '../../tensor.js';
import { FER_IMAGE_SIZE } from '../../classes.js';
import { AUGMENT_KERNEL } from './wgsl.js';
import { PARAMS_PER_IMAGE } from './params.js';

export { drawAugmentParams, tenCropParams, identityParams, imageMean, PARAMS_PER_IMAGE, type AugmentOptions } from './params.js';
export { augmentReference } from './reference.js';

/** Images resident on the GPU as packed uint8 (4 pixels per u32). */
export class GpuImages {
  readonly packed: Tensor;
  constructor(
    device: Device,
    readonly pixels: Uint8Array,
  ) {
    const bytes = FER_IMAGE_SIZE * FER_IMAGE_SIZE;
    if (pixels.length % bytes !== 0) throw new Error(`GpuImages: ${pixels.length} bytes is not a whole number of 48x48 images`);
    const words = new Int32Array(pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength));
    this.packed = device.tensor(words, [words.length], { dtype: 'i32' });
    device.untrack(this.packed);
  }

  get count(): number {
    return this.pixels.length / (FER_IMAGE_SIZE * FER_IMAGE_SIZE);
  }

  dispose(): void {
    this.packed.dispose();
  }
}

/**
 * Builds a normalised batch [n, 1, 48, 48] from resident images: output image i is source
 * `sources[i]` transformed by its 16 parameters (identity params give plain normalisation).
 */
export function augmentBatch(
  images: GpuImages,
  sources: Int32Array,
  params: Float32Array,
  { mean = 0.5, std = 0.5 }: { mean?: number; std?: number } = {},
): Tensor {
  const device = images.packed.device;
  const n = sources.length;
  if (params.length !== n * PARAMS_PER_IMAGE) {
    throw new Error(`augmentBatch: ${params.length} parameters for ${n} images (need ${PARAMS_PER_IMAGE} each)`);
  }
  for (const s of sources) {
    if (!(s >= 0 && s < images.count)) throw new Error(`augmentBatch: source ${s} out of range [0, ${images.count})`);
  }
  const src = device.tensor(sources, [n], { dtype: 'i32' });
  const aug = device.tensor(params, [params.length]);
  const out = device.empty([n, 1, FER_IMAGE_SIZE, FER_IMAGE_SIZE]);
  device.dispatch(AUGMENT_KERNEL, {
    params: [n, f32(mean), f32(std)],
    buffers: [images.packed.buffer, src.buffer, aug.buffer, out.buffer],
    workgroups: grid1d(out.size, 256),
  });
  src.dispose();
  aug.dispose();
  return out;
}
