import { InputError } from '../errors.js';
import { Rng } from '../random.js';
import { FER_CLASSES, FER_IMAGE_SIZE } from '../classes.js';

/** Bytes per image: 48 x 48 gray pixels. */
export const FER_PIXELS = FER_IMAGE_SIZE * FER_IMAGE_SIZE;

/**
 * Split names a {@link FerDataset} can hold; `splits[i]` is an index into this list.
 * - `Training`, `PublicTest`, `PrivateTest`: FER2013's `Usage` values (also the Kaggle filename prefixes).
 * - `Test`: an image-folder `test/` file without a PublicTest_/PrivateTest_ prefix.
 * - `Holdout`: training rows moved aside by {@link holdout}.
 */
export const FER_SPLITS = ['Training', 'PublicTest', 'PrivateTest', 'Test', 'Holdout'] as const;

/** One of {@link FER_SPLITS}. */
export type FerSplit = (typeof FER_SPLITS)[number];

/** A row or file that could not be read, with where it is (`file:line` or a path). */
export interface LoadIssue {
  /** `path/to/file.csv:LINE` for CSV rows, the file or folder path for images. */
  location: string;
  message: string;
}

/** Thrown for bad input; `location` names the file and line (CSV) or the path (images). */
export class FerDataError extends InputError {
  constructor(
    readonly location: string,
    readonly detail: string,
  ) {
    super(`${location}: ${detail}`);
    this.name = 'FerDataError';
  }
}

/** What to do with a bad row or file: throw a {@link FerDataError} (default), or skip it and record it in `issues`. */
export type OnError = 'throw' | 'skip';

/** Called once by a load that skipped rows or files (`onError: 'skip'`); the default prints `summary` with console.warn. */
export type OnSkip = (issues: readonly LoadIssue[], summary: string) => void;

/** Options the CSV and folder loaders share. */
export interface SkipOptions {
  /** `'throw'` (default): the first bad row or file throws a {@link FerDataError}; `'skip'`: it is skipped, listed in `issues` and reported through `onSkip`. */
  onError?: OnError;
  /** Receives the skipped rows or files after a load with `onError: 'skip'` (default: a console.warn of the count and first five locations). */
  onSkip?: OnSkip;
}

/** "3 bad rows skipped in fer2013.csv: fer2013.csv:12 (…), …" — the count and the first few locations. */
export function describeSkipped(source: string, issues: readonly LoadIssue[], first = 5): string {
  const shown = issues.slice(0, first).map((i) => `${i.location} (${i.message})`);
  const more = issues.length > first ? `; and ${issues.length - first} more (see dataset.issues)` : '';
  return `${issues.length} bad ${issues.length === 1 ? 'entry' : 'entries'} skipped in ${source}: ${shown.join('; ')}${more}`;
}

/** Reports a load's skipped entries, if any, through `onSkip` (default console.warn). */
export function reportSkipped(ds: FerDataset, onSkip: OnSkip | undefined): void {
  if (ds.issues.length === 0) return;
  (onSkip ?? ((_issues, summary) => console.warn(summary)))(ds.issues, describeSkipped(ds.source, ds.issues));
}

/** How a dataset was loaded (for logs and the data check). */
export interface LoadInfo {
  /** Whether the decoded cache was read (`hit`), written (`written`), disabled (`off`) or could not be used. */
  cache: 'hit' | 'written' | 'off' | 'not-written';
  /** The cache file read or written, when there is one. */
  cachePath?: string;
  /** Wall time of the load in milliseconds. */
  ms: number;
}

/**
 * FER images in compact form: image `i` is `pixels[i*2304 .. (i+1)*2304)` (row-major 48x48 uint8),
 * with class id `labels[i]` (index into FER_CLASSES), split id `splits[i]` (index into FER_SPLITS)
 * and a unique `keys[i]` (full file path, or `file.csv:LINE`).
 */
export interface FerDataset {
  /** Number of images. */
  readonly length: number;
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly splits: Uint8Array;
  readonly keys: string[];
  /** The CSV file or image folder it came from. */
  readonly source: string;
  /** Every row/file skipped with `onError: 'skip'` (empty otherwise: with 'throw' the load fails instead). */
  readonly issues: LoadIssue[];
  readonly info?: LoadInfo;
  /**
   * `false` for images without labels (a folder of unlabelled images): `labels` are then 0
   * placeholders, and training, evaluation and label drift refuse or skip them. Absent: labelled.
   */
  readonly labelled?: boolean;
}

/** Appends images to growing buffers; used by the loaders. */
export class DatasetBuilder {
  private pixels: Uint8Array;
  private labels: Uint8Array;
  private splits: Uint8Array;
  private readonly keys: string[] = [];
  length = 0;

  constructor(capacityHint = 1024) {
    const cap = Math.max(16, capacityHint);
    this.pixels = new Uint8Array(cap * FER_PIXELS);
    this.labels = new Uint8Array(cap);
    this.splits = new Uint8Array(cap);
  }

  /** Reserves the next image slot and returns its 2304-byte view to fill in place. */
  push(label: number, split: number, key: string): Uint8Array {
    if (this.length === this.labels.length) this.grow();
    const i = this.length++;
    this.labels[i] = label;
    this.splits[i] = split;
    this.keys.push(key);
    return this.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
  }

  /** Drops the last pushed image (a row that failed half-way through parsing). */
  pop(): void {
    this.length--;
    this.keys.pop();
  }

  private grow(): void {
    const cap = this.labels.length * 2;
    const grown = (a: Uint8Array, n: number) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.pixels = grown(this.pixels, cap * FER_PIXELS);
    this.labels = grown(this.labels, cap);
    this.splits = grown(this.splits, cap);
  }

  build(source: string, issues: LoadIssue[]): FerDataset {
    const n = this.length;
    return {
      length: n,
      pixels: this.pixels.slice(0, n * FER_PIXELS),
      labels: this.labels.slice(0, n),
      splits: this.splits.slice(0, n),
      keys: this.keys,
      source,
      issues,
    };
  }
}

/** Returns the split id for a name, or -1. */
export function splitId(name: string): number {
  return (FER_SPLITS as readonly string[]).indexOf(name);
}

/** Indices of the images in the given split(s), in dataset order. */
export function splitIndices(ds: FerDataset, split: FerSplit | readonly FerSplit[]): number[] {
  const wanted = new Set((typeof split === 'string' ? [split] : split).map(splitId));
  const out: number[] = [];
  for (let i = 0; i < ds.length; i++) if (wanted.has(ds.splits[i]!)) out.push(i);
  return out;
}

/** A new dataset holding the given images (pixels copied), in the given order. */
export function subset(ds: FerDataset, indices: readonly number[]): FerDataset {
  const n = indices.length;
  const pixels = new Uint8Array(n * FER_PIXELS);
  const labels = new Uint8Array(n);
  const splits = new Uint8Array(n);
  const keys: string[] = new Array(n);
  indices.forEach((src, dst) => {
    if (!(src >= 0 && src < ds.length)) throw new RangeError(`subset: index ${src} out of range [0, ${ds.length})`);
    pixels.set(ds.pixels.subarray(src * FER_PIXELS, (src + 1) * FER_PIXELS), dst * FER_PIXELS);
    labels[dst] = ds.labels[src]!;
    splits[dst] = ds.splits[src]!;
    keys[dst] = ds.keys[src]!;
  });
  return {
    length: n,
    pixels,
    labels,
    splits,
    keys,
    source: ds.source,
    issues: ds.issues,
    info: ds.info,
    ...(ds.labelled === false ? { labelled: false } : {}),
  };
}

/** Options of {@link holdout}. */
export interface HoldoutOptions {
  /** Fraction of each class's Training images to move to the `Holdout` split, in (0, 1). */
  fraction: number;
  /** Seed of the shuffle; the same seed gives the same split. */
  seed: number;
}

/**
 * Moves a seeded, stratified fraction of the `Training` images to the `Holdout` split
 * (for folders/CSVs without a validation split). Returns a new dataset sharing the pixels;
 * only `splits` is new. Each class contributes `round(fraction * count)` images.
 */
export function holdout(ds: FerDataset, { fraction, seed }: HoldoutOptions): FerDataset {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`holdout: fraction must be in (0, 1), got ${fraction}`);
  const train = splitId('Training');
  const byClass: number[][] = FER_CLASSES.map(() => []);
  for (let i = 0; i < ds.length; i++) if (ds.splits[i] === train) byClass[ds.labels[i]!]!.push(i);
  if (byClass.every((c) => c.length === 0)) throw new InputError(`holdout: ${ds.source} has no Training images`);
  const rng = new Rng(seed);
  const splits = ds.splits.slice();
  const held = splitId('Holdout');
  for (const idx of byClass) {
    // Fisher-Yates shuffle, then the first k go to Holdout.
    rng.shuffle(idx);
    const k = Math.round(fraction * idx.length);
    for (let i = 0; i < k; i++) splits[idx[i]!] = held;
  }
  return { ...ds, splits };
}

/**
 * Mean and (population) standard deviation of `x / 255` over every pixel of the dataset,
 * or of the given split(s) only (usually `'Training'`). Exact: computed from a 256-bin histogram.
 */
export function datasetMeanStd(ds: FerDataset, opts: { split?: FerSplit | readonly FerSplit[] } = {}): { mean: number; std: number } {
  const hist = new Float64Array(256);
  const count = (i: number) => {
    const p = ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
    for (let k = 0; k < FER_PIXELS; k++) hist[p[k]!]!++;
  };
  if (opts.split === undefined) for (let i = 0; i < ds.length; i++) count(i);
  else for (const i of splitIndices(ds, opts.split)) count(i);
  let n = 0;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    n += hist[v]!;
    sum += v * hist[v]!;
  }
  if (n === 0) throw new InputError(`datasetMeanStd: no images in ${ds.source}${opts.split ? ` (split ${opts.split})` : ''}`);
  const mean = sum / n;
  let ss = 0;
  for (let v = 0; v < 256; v++) ss += hist[v]! * (v - mean) ** 2;
  return { mean: mean / 255, std: Math.sqrt(ss / n) / 255 };
}
