/**
 * DataLoader: seeded shuffling, drop-last, optional class-balanced sampling, GPU augmentation
 * and normalisation. Images stay on the GPU for the whole run (2,304 bytes each), so a batch
 * costs one small upload of indices and augmentation parameters.
 */
import { InputError } from '../errors.js';
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { Rng } from '../random.js';
import { FER_PIXELS, splitIndices, type FerDataset, type FerSplit } from './dataset.js';
import {
  GpuImages,
  augmentBatch,
  drawAugmentParams,
  identityParams,
  imageMean,
  PARAMS_PER_IMAGE,
  type AugmentOptions,
} from './augment/index.js';

export interface DataLoaderOptions {
  batchSize?: number;
  /** Reshuffle every epoch (seeded by seed and epoch). */
  shuffle?: boolean;
  /** Drop the last incomplete batch. */
  dropLast?: boolean;
  seed?: number;
  /** Only these split(s) of the dataset (default: all images). */
  split?: FerSplit | readonly FerSplit[];
  /** Sample classes uniformly (with replacement) instead of by frequency. */
  balanced?: boolean;
  /** Training augmentation (false or omitted: none). */
  augment?: AugmentOptions | boolean;
  /** Normalisation (x/255 - mean)/std; defaults 0.5 and 0.5. */
  mean?: number;
  std?: number;
}

/** One batch: normalised images on the GPU, and their labels and keys (paths) on the CPU. */
export interface Batch {
  images: Tensor;
  labels: Int32Array;
  paths: string[];
  /** Dataset indices of the images. */
  indices: Int32Array;
}

export class DataLoader {
  readonly batchSize: number;
  readonly indices: Int32Array;
  private readonly gpu: GpuImages;
  private readonly means: Float64Array;
  private readonly opts: DataLoaderOptions;
  private epoch = 0;
  private skip = 0;

  constructor(
    readonly device: Device,
    readonly dataset: FerDataset,
    options: DataLoaderOptions = {},
  ) {
    this.opts = options;
    this.batchSize = options.batchSize ?? 64;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0))
      throw new InputError(`DataLoader: batchSize must be a positive integer, got ${this.batchSize}`);
    const idx = options.split === undefined ? [...Array(dataset.length).keys()] : splitIndices(dataset, options.split);
    if (idx.length === 0) throw new InputError(`DataLoader: ${dataset.source} has no images in split ${String(options.split)}`);
    this.indices = Int32Array.from(idx);
    // Upload only the images this loader serves; position k on the GPU = this.indices[k].
    const pixels = new Uint8Array(idx.length * FER_PIXELS);
    idx.forEach((src, k) => pixels.set(dataset.pixels.subarray(src * FER_PIXELS, (src + 1) * FER_PIXELS), k * FER_PIXELS));
    this.gpu = new GpuImages(device, pixels);
    this.means = Float64Array.from(idx, (_, k) => imageMean(pixels, k * FER_PIXELS));
  }

  /** Number of images served per epoch. */
  get size(): number {
    return this.indices.length;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.indices.length;
    return this.opts.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * Sets the epoch whose order and augmentation the next iteration uses, and how many of its
   * batches to skip (for resume, also mid-epoch: the skipped batches draw the same random
   * numbers, so the rest of the epoch is identical to an uninterrupted one).
   */
  setEpoch(epoch: number, skipBatches = 0): void {
    this.epoch = epoch;
    this.skip = skipBatches;
  }

  /** The positions (into this loader's images) of one epoch, in order. */
  private order(rng: Rng): Int32Array {
    const n = this.indices.length;
    if (this.opts.balanced) {
      const byClass = new Map<number, number[]>();
      this.indices.forEach((src, k) => {
        const c = this.dataset.labels[src]!;
        if (!byClass.has(c)) byClass.set(c, []);
        byClass.get(c)!.push(k);
      });
      const classes = [...byClass.values()];
      return Int32Array.from({ length: n }, () => {
        const members = classes[rng.int(classes.length)]!;
        return members[rng.int(members.length)]!;
      });
    }
    const order = Int32Array.from({ length: n }, (_, k) => k);
    if (this.opts.shuffle) rng.shuffle(order);
    return order;
  }

  *[Symbol.iterator](): Generator<Batch> {
    const rng = new Rng((this.opts.seed ?? 0) * 1_000_003 + this.epoch);
    const order = this.order(rng);
    const augment = this.opts.augment === true ? {} : this.opts.augment || null;
    this.epoch++;
    const skip = this.skip;
    this.skip = 0;
    for (let b = 0; b < this.length; b++) {
      const pos = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
      const means = Array.from(pos, (k) => this.means[k]!);
      const drawn = augment ? drawAugmentParams(rng, means, augment) : null;
      if (b < skip) continue;
      const params = drawn ?? new Float32Array(pos.length * PARAMS_PER_IMAGE);
      if (!drawn) means.forEach((m, i) => identityParams(params, i * PARAMS_PER_IMAGE, m));
      const images = augmentBatch(this.gpu, Int32Array.from(pos), params, { mean: this.opts.mean, std: this.opts.std });
      const indices = Int32Array.from(pos, (k) => this.indices[k]!);
      yield {
        images,
        labels: Int32Array.from(indices, (i) => this.dataset.labels[i]!),
        paths: Array.from(indices, (i) => this.dataset.keys[i]!),
        indices,
      };
    }
  }

  /** Frees the images on the GPU. */
  dispose(): void {
    this.gpu.dispose();
  }
}
