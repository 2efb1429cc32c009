/**
 * A small built-in synthetic face set, used when no FER2013 data is given (FER2013's licence
 * does not allow shipping it). Faces are drawn procedurally at 48x48 in gray with anti-aliased
 * primitives; the seven expressions differ in mouth, brows and eyes, and every image gets its own
 * random head pose, face shape, skin tone, background, lighting, blur and noise, so the task is
 * learnable but not trivial. Not a substitute for real faces: use it for demos and smoke tests.
 */
import { FER_CLASSES } from '../classes.js';
import { Rng } from '../random.js';
import { FER_PIXELS, splitId, type FerDataset, type FerSplit } from './dataset.js';
import { drawFace } from './synthetic-drawing.js';

/** Options of {@link syntheticFaces}: give exactly one of `count` and `perClass`. */
export interface SyntheticFacesOptions {
  /** Total number of images; image `i` has class `i % 7`, so classes differ in size by at most one. */
  count?: number;
  /** Images per class (the dataset holds `7 * perClass`). */
  perClass?: number;
  /** Seed of every random choice (default 0). The same seed gives the same bytes. */
  seed?: number;
  /**
   * Where the images go: one split name puts them all there; a triple gives the fractions of
   * each class that go to `[Training, PublicTest, PrivateTest]` (default `[0.8, 0.1, 0.1]`,
   * about FER2013's proportions), so train / validation / test work as with the real data.
   */
  split?: FerSplit | readonly [number, number, number];
}

/**
 * Procedurally drawn 48x48 gray faces with FER2013's seven expressions, in the same form as the
 * real loaders give ({@link FerDataset}: uint8 pixels, labels, splits, keys).
 *
 * - angry: brows angled down toward the nose, narrowed eyes, tight pressed mouth;
 * - disgust: lowered brows, narrowed eyes, nose wrinkles, upper lip raised on one side;
 * - fear: raised brows (inner ends highest), wide-open eyes, wide stretched open mouth;
 * - happy: relaxed brows, slightly narrowed eyes, smile (closed or open with teeth);
 * - sad: inner brow ends raised, frown;
 * - surprise: high arched brows, wide-open eyes, open O mouth;
 * - neutral: level brows, straight mouth.
 *
 * Image `i` depends only on `seed` and `i`, so a larger `count` with the same seed starts with
 * the same images. Splits are stratified: the first images of each class go to Training, the
 * next to PublicTest, the last to PrivateTest. Keys are `synthetic:SEED:i`.
 *
 * @example
 * const ds = syntheticFaces({ perClass: 200, seed: 1 });
 * const train = splitIndices(ds, 'Training');
 */
export function syntheticFaces(opts: SyntheticFacesOptions): FerDataset {
  const { seed = 0, split = [0.8, 0.1, 0.1] } = opts;
  const count = imageCount(opts);
  if (!Number.isInteger(seed)) throw new RangeError(`syntheticFaces: seed must be an integer, got ${seed}`);
  const nClasses = FER_CLASSES.length;
  const splitOf = splitAssigner(split, count, nClasses);

  const pixels = new Uint8Array(count * FER_PIXELS);
  const labels = new Uint8Array(count);
  const splits = new Uint8Array(count);
  const keys: string[] = new Array(count);
  const seedHash = hash32(seed >>> 0);
  for (let i = 0; i < count; i++) {
    const label = i % nClasses;
    labels[i] = label;
    splits[i] = splitOf(i);
    keys[i] = `synthetic:${seed}:${i}`;
    const rng = new Rng(hash32((seedHash + i) >>> 0));
    drawFace(label, rng, pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS));
  }
  return { length: count, pixels, labels, splits, keys, source: `synthetic-faces(seed=${seed})`, issues: [] };
}

function imageCount({ count, perClass }: SyntheticFacesOptions): number {
  const positiveInt = (x: number) => Number.isInteger(x) && x > 0;
  if ((count === undefined) === (perClass === undefined)) {
    throw new RangeError('syntheticFaces: give exactly one of count and perClass');
  }
  if (count !== undefined && !positiveInt(count)) throw new RangeError(`syntheticFaces: count must be a positive integer, got ${count}`);
  if (perClass !== undefined && !positiveInt(perClass)) {
    throw new RangeError(`syntheticFaces: perClass must be a positive integer, got ${perClass}`);
  }
  return count ?? perClass! * FER_CLASSES.length;
}

/** Returns the split id of image `i`, stratified by class (image i has class i % nClasses). */
function splitAssigner(split: NonNullable<SyntheticFacesOptions['split']>, count: number, nClasses: number): (i: number) => number {
  if (typeof split === 'string') {
    const id = splitId(split);
    if (id < 0) throw new RangeError(`syntheticFaces: unknown split '${split}'`);
    return () => id;
  }
  const sum = split[0] + split[1] + split[2];
  if (split.length !== 3 || !split.every((f) => f >= 0) || Math.abs(sum - 1) > 1e-9) {
    throw new RangeError(
      `syntheticFaces: split fractions [Training, PublicTest, PrivateTest] must be >= 0 and sum to 1, got [${split.join(', ')}]`,
    );
  }
  const ids = [splitId('Training'), splitId('PublicTest'), splitId('PrivateTest')];
  return (i) => {
    const c = i % nClasses;
    const k = Math.floor(i / nClasses); // k-th image of its class
    const n = Math.floor(count / nClasses) + (c < count % nClasses ? 1 : 0); // images in that class
    if (k < Math.round(split[0] * n)) return ids[0]!;
    if (k < Math.round((split[0] + split[1]) * n)) return ids[1]!;
    return ids[2]!;
  };
}

/** murmur3's 32-bit finaliser: spreads nearby seeds apart. */
function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
