/**
 * Crop-and-resize of 8-bit images, shared by the GPU op and the CPU reference: which source
 * pixels each output pixel reads, with which weights.
 *
 * A crop is a box in the source image's pixel coordinates (x right, y down, (0, 0) the top-left
 * corner of the first pixel); pixels outside the image read as black (0, 0, 0). Two filters:
 * - 'bilinear': TensorFlow's resizeBilinear with half-pixel centres applied to the box as an
 *   image of its own (its origin rounded down to a pixel): the letterbox of BlazeFace's input,
 *   where the box is the image padded to a square.
 * - 'antialias': Pillow's bilinear resize with a box (Image.resize(size, BILINEAR, box)): a
 *   triangle filter whose support grows with the shrink factor, so shrinking a 200-pixel face to
 *   48 averages every pixel rather than sampling a few (the way the FER data loaders resize).
 * Output values are v·scale + offset, v the 0..255 channel value (gray: ITU-R 601 luma with
 * Pillow's weights (19595 R + 38470 G + 7471 B) / 65536).
 */
import { fmtShape } from '../../tensor.js';
import { bilinearTap } from '../resize-bilinear/shape.js';

/** A region of an image, in its pixels (fractions allowed). */
export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How crops are resized and what they become. */
export interface CropResizeOptions {
  /** Output [height, width]. */
  size: readonly [number, number];
  /** 'rgb' (3 planes) or 'gray' (1 plane, luma). */
  channels: 'rgb' | 'gray';
  /** See the module comment. */
  filter: 'bilinear' | 'antialias';
  /** Output = v · scale + offset (default 1 and 0: values 0..255). */
  scale?: number;
  offset?: number;
}

/** Luma weights of ITU-R 601 in Pillow's fixed point (Image.convert('L')). */
export const LUMA = [19595 / 65536, 38470 / 65536, 7471 / 65536] as const;

/** Taps of one output index along one axis: source pixel indices and their weights (summing to 1). */
export function cropTaps(
  i: number,
  start: number,
  length: number,
  outSize: number,
  filter: 'bilinear' | 'antialias',
): { index: number[]; weight: number[] } {
  if (filter === 'bilinear') {
    const origin = Math.floor(start);
    const [lo, hi, f] = bilinearTap(i, Math.max(1, Math.ceil(length)), outSize, true);
    return { index: [origin + lo, origin + hi], weight: [1 - f, f] };
  }
  const scale = length / outSize;
  const support = Math.max(scale, 1);
  const center = start + (i + 0.5) * scale;
  const lo = Math.floor(center - support + 0.5);
  const hi = Math.floor(center + support + 0.5);
  const index: number[] = [];
  const weight: number[] = [];
  let sum = 0;
  for (let x = lo; x < hi; x++) {
    const w = Math.max(0, 1 - Math.abs(x + 0.5 - center) / support);
    index.push(x);
    weight.push(w);
    sum += w;
  }
  return { index, weight: weight.map((w) => (sum > 0 ? w / sum : 0)) };
}

/** Checks a box and the options; returns the output channel count. */
export function checkCrop(op: string, box: CropBox, opts: CropResizeOptions): number {
  const { x, y, width, height } = box;
  if (![x, y, width, height].every(Number.isFinite) || width <= 0 || height <= 0) {
    throw new Error(`${op}: box must have finite x, y and a positive width and height, got ${JSON.stringify(box)}`);
  }
  if (opts.size.length !== 2 || opts.size.some((d) => !Number.isInteger(d) || d < 1))
    throw new Error(`${op}: size must be [height, width] of positive integers, got ${fmtShape(opts.size)}`);
  if (opts.channels !== 'rgb' && opts.channels !== 'gray')
    throw new Error(`${op}: channels must be 'rgb' or 'gray', got ${String(opts.channels)}`);
  if (opts.filter !== 'bilinear' && opts.filter !== 'antialias')
    throw new Error(`${op}: filter must be 'bilinear' or 'antialias', got ${String(opts.filter)}`);
  return opts.channels === 'rgb' ? 3 : 1;
}
