/**
 * Pixels to a FER input, platform-free: gray conversion and Pillow-exact bilinear resize of
 * decoded images, pixel arrays in the shape of `ImageData`, and recognising encoded formats by
 * their magic bytes. Decoding files is platform work (image.ts in Node, the browser's decoders).
 */
import { FER_IMAGE_SIZE } from '../classes.js';
import { FerDataError } from './dataset.js';

/** An 8-bit image: `channels` values per pixel, row-major. */
export interface RawImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/**
 * Gray (luma) values of an RGB(A) image with ITU-R 601 weights, bit-exact with Pillow's
 * `convert('L')`: `(19595 R + 38470 G + 7471 B + 32768) >> 16`. Alpha is ignored, as in Pillow.
 */
export function toLuma(im: RawImage): Uint8Array {
  const n = im.width * im.height;
  const out = new Uint8Array(n);
  const c = im.channels;
  if (c === 1) return im.data.slice(0, n);
  if (c < 3) throw new Error(`toLuma: expected 1, 3 or 4 channels, got ${c}`);
  const d = im.data;
  for (let i = 0, j = 0; i < n; i++, j += c) {
    out[i] = (d[j]! * 19595 + d[j + 1]! * 38470 + d[j + 2]! * 7471 + 0x8000) >>> 16;
  }
  return out;
}

const PRECISION_BITS = 32 - 8 - 2; // Pillow's fixed-point precision for 8-bit images

/**
 * Pillow's bilinear filter weights for one axis (Resample.c `precompute_coeffs` +
 * `normalize_coeffs_8bpc`): when shrinking, the filter support grows with the scale, which
 * antialiases. Returns, per output index, the first input index and the fixed-point weights.
 */
function bilinearCoeffs(inSize: number, outSize: number): { start: Int32Array; weights: Int32Array[] } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale; // bilinear filter support is 1
  const start = new Int32Array(outSize);
  const weights: Int32Array[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    const k = new Float64Array(Math.max(0, xmax));
    const ss = 1 / filterscale;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = Math.max(0, 1 - Math.abs((x + xmin - center + 0.5) * ss));
      k[x] = w;
      ww += w;
    }
    const fixed = new Int32Array(k.length);
    for (let x = 0; x < k.length; x++) {
      const v = ww !== 0 ? k[x]! / ww : k[x]!;
      fixed[x] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    start[xx] = xmin;
    weights.push(fixed);
  }
  return { start, weights };
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes a single-channel 8-bit image like Pillow's `Image.resize((w, h), Image.BILINEAR)`:
 * a horizontal then a vertical pass with fixed-point weights, antialiased when shrinking.
 * Bit-exact with Pillow 9.x for mode-L images.
 */
export function resizeBilinear(src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  if (src.length !== width * height) throw new Error(`resizeBilinear: ${src.length} values for a ${width}x${height} image`);
  let cur = src;
  let curW = width;
  if (outWidth !== width) {
    const { start, weights } = bilinearCoeffs(width, outWidth);
    const tmp = new Uint8Array(outWidth * height);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let xx = 0; xx < outWidth; xx++) {
        const k = weights[xx]!;
        const x0 = row + start[xx]!;
        let ss = 1 << (PRECISION_BITS - 1);
        for (let x = 0; x < k.length; x++) ss += cur[x0 + x]! * k[x]!;
        tmp[y * outWidth + xx] = clip8(ss);
      }
    }
    cur = tmp;
    curW = outWidth;
  }
  if (outHeight !== height) {
    const { start, weights } = bilinearCoeffs(height, outHeight);
    const tmp = new Uint8Array(curW * outHeight);
    for (let yy = 0; yy < outHeight; yy++) {
      const k = weights[yy]!;
      const y0 = start[yy]!;
      for (let x = 0; x < curW; x++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0; y < k.length; y++) ss += cur[(y0 + y) * curW + x]! * k[y]!;
        tmp[yy * curW + x] = clip8(ss);
      }
    }
    cur = tmp;
  }
  return cur === src ? src.slice() : cur;
}

/**
 * An 8-bit image in CPU memory as `ImageData` holds it (and decoders give it): 1 (gray), 3 (RGB)
 * or 4 (RGBA) bytes per pixel, row-major.
 */
export interface PixelImage {
  width: number;
  height: number;
  /** Bytes per pixel; default data.length / (width·height). */
  channels?: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** True for `{ data, width, height }` with byte data (an `ImageData`, a decoder's output). */
export function isPixelImage(x: unknown): x is PixelImage {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Partial<PixelImage>;
  return (
    (p.data instanceof Uint8Array || p.data instanceof Uint8ClampedArray) && typeof p.width === 'number' && typeof p.height === 'number'
  );
}

/** A {@link RawImage} view of pixel data; the channels (1, 3 or 4) follow from its length. */
export function rawFromPixels(p: PixelImage, name: string): RawImage {
  const { width, height } = p;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new FerDataError(name, `pixels must have a positive integer width and height, got ${width}x${height}`);
  }
  const channels = p.channels ?? p.data.length / (width * height);
  if ((channels !== 1 && channels !== 3 && channels !== 4) || p.data.length !== width * height * channels) {
    throw new FerDataError(name, `${p.data.length} bytes of pixels for ${width}x${height} are not 1, 3 or 4 channels (gray, RGB or RGBA)`);
  }
  const data = p.data instanceof Uint8Array ? p.data : new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength);
  return { width, height, channels, data };
}

/**
 * The 48x48 gray FER input of a decoded image: luma as Pillow's `convert('L')`, then, if the size
 * is not 48x48, Pillow-style bilinear resize (the aspect ratio is not kept: crop faces first).
 */
export function toFerPixels(raw: RawImage, name: string): Uint8Array {
  if (raw.width < 1 || raw.height < 1) throw new FerDataError(name, `image has no pixels (${raw.width}x${raw.height})`);
  const gray = toLuma(raw);
  if (raw.width === FER_IMAGE_SIZE && raw.height === FER_IMAGE_SIZE) return gray;
  return resizeBilinear(gray, raw.width, raw.height, FER_IMAGE_SIZE, FER_IMAGE_SIZE);
}

/** An image as the model's input (48x48 gray), with the size it had (to tell face crops from photos). */
export interface DecodedImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** {@link toFerPixels} of a decoded image, keeping its size. */
export function decoded(raw: RawImage, name: string): DecodedImage {
  return { pixels: toFerPixels(raw, name), width: raw.width, height: raw.height };
}

/** A 48x48 gray image given as it is. */
export function grayInput(gray: Uint8Array): DecodedImage {
  return { pixels: Uint8Array.from(gray), width: FER_IMAGE_SIZE, height: FER_IMAGE_SIZE };
}

/** Encoded image formats recognised by their first bytes. */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'tiff' | 'heic' | 'avif';

const FORMAT_NAMES: Record<ImageFormat, string> = {
  png: 'PNG',
  jpeg: 'JPEG',
  gif: 'GIF',
  webp: 'WebP',
  bmp: 'BMP',
  tiff: 'TIFF',
  heic: 'HEIC',
  avif: 'AVIF',
};

/** The format of encoded image bytes, from their magic bytes; undefined when unknown. */
export function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const at = (i: number, text: string) => [...text].every((c, k) => bytes[i + k] === c.charCodeAt(0));
  if (bytes[0] === 0x89 && at(1, 'PNG\r\n\x1a\n')) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (at(0, 'GIF8')) return 'gif';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(0, 'BM') && bytes.length > 26) return 'bmp';
  if (at(0, 'II*\0') || at(0, 'MM\0*')) return 'tiff';
  if (at(4, 'ftyp')) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (/^(avif|avis)$/.test(brand)) return 'avif';
    if (/^(heic|heix|heim|heis|hevc|hevx|mif1|msf1)$/.test(brand)) return 'heic';
  }
  return undefined;
}

/** The error for bytes that are not a PNG or JPEG, naming their format where it is known. */
export function unsupportedFormat(
  bytes: Uint8Array,
  name: string,
  hint = 'convert it to PNG or JPEG, or pass decoded pixels { data, width, height }',
): FerDataError {
  if (bytes.length === 0) return new FerDataError(name, 'empty image file');
  const format = imageFormat(bytes);
  if (format && format !== 'png' && format !== 'jpeg') {
    const what = FORMAT_NAMES[format];
    return new FerDataError(
      name,
      `not a JPEG or PNG file: ${/^[AEIOU]/.test(what) ? 'an' : 'a'} ${what} image, which fer-gpu does not decode here (${hint})`,
    );
  }
  return new FerDataError(name, 'not a JPEG or PNG file (unknown magic bytes)');
}

/**
 * The most pixels fer-gpu decodes from one image: 64 megapixels (8000x8000). A small file can
 * claim a huge size (a 388 KB PNG of 20000x20000 decodes to 1.6 GB), so the size in the header
 * is checked before anything is allocated. Faces need far fewer: everything is resized to 48x48.
 */
export const MAX_IMAGE_PIXELS = 64_000_000;

/** jpeg-js's own limits, a backstop to the header check, with room for any 4-component JPEG within the cap (24 bytes per pixel). */
export const JPEG_LIMITS = {
  maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
  maxMemoryUsageInMB: Math.ceil((MAX_IMAGE_PIXELS * 24) / 2 ** 20) + 64,
};

/** Throws a {@link FerDataError} naming `path` when a `width`x`height` image is over {@link MAX_IMAGE_PIXELS}. */
export function checkImagePixels(width: number, height: number, path: string): void {
  if (width * height <= MAX_IMAGE_PIXELS) return;
  throw new FerDataError(
    path,
    `the image is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} megapixels), over the limit of ` +
      `${MAX_IMAGE_PIXELS / 1e6} megapixels that fer-gpu decodes; downscale it first`,
  );
}

/** Width and height from a JPEG's frame header (SOFn), or undefined when the markers before it are unreadable. */
export function jpegSize(b: Uint8Array): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    if (marker === 0xff)
      i++; // fill byte
    else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8))
      i += 2; // markers without a length
    else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]! };
    } else if (marker === 0xd9 || marker === 0xda) return undefined;
    else i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return undefined;
}

/**
 * Checks the size a PNG or JPEG states in its header against {@link MAX_IMAGE_PIXELS}, before
 * anything is decoded or allocated; other bytes pass.
 * @throws FerDataError naming `name` and the size.
 */
export function checkEncodedSize(bytes: Uint8Array, name: string): void {
  const format = imageFormat(bytes);
  if (format === 'jpeg') {
    const size = jpegSize(bytes);
    if (size) checkImagePixels(size.width, size.height, name);
  } else if (format === 'png' && bytes.length >= 24) {
    // IHDR is the first chunk: width and height are the big-endian u32s at bytes 16 and 20.
    const view = new DataView(bytes.buffer, bytes.byteOffset, 24);
    checkImagePixels(view.getUint32(16), view.getUint32(20), name);
  }
}
