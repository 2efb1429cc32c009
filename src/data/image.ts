/**
 * Image files and inputs in Node: PNG (pngjs) and JPEG (jpeg-js) decoding, and decodeImage for
 * every input form predict takes. The pixel maths is platform-free, in pixels.ts.
 */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { FER_PIXELS, FerDataError } from './dataset.js';
import { ferGray, imageFormat, isPixelData, rawFromPixels, unsupportedFormat, type PixelData, type RawImage } from './pixels.js';
import { InputError } from '../errors.js';

export { resizeBilinear, toLuma, type RawImage, type PixelData } from './pixels.js';

/**
 * The most pixels fer-gpu decodes from one image: 64 megapixels (8000x8000). A small file can
 * claim a huge size (a 388 KB PNG of 20000x20000 decodes to 1.6 GB), so the size in the header
 * is checked before anything is allocated. Faces need far fewer: everything is resized to 48x48.
 */
export const MAX_IMAGE_PIXELS = 64_000_000;

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
function jpegSize(b: Uint8Array): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    if (marker === 0xff) i++; // fill byte
    else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) i += 2; // markers without a length
    else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]! };
    } else if (marker === 0xd9 || marker === 0xda) return undefined;
    else i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return undefined;
}

/**
 * Decodes a JPEG or PNG (chosen by its magic bytes, not its extension) to RGBA.
 * Throws a {@link FerDataError} naming `path` for unknown formats, unreadable or truncated files,
 * and images over {@link MAX_IMAGE_PIXELS}.
 */
export function decodeRaw(bytes: Uint8Array, path: string): RawImage {
  const format = imageFormat(bytes);
  if (format === 'jpeg') {
    const size = jpegSize(bytes);
    if (size) checkImagePixels(size.width, size.height, path);
    try {
      // jpeg-js's own limits as a backstop, with room for any 4-component JPEG within the cap (24 bytes per pixel).
      const limits = { maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: Math.ceil((MAX_IMAGE_PIXELS * 24) / 2 ** 20) + 64 };
      const im = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, ...limits });
      return { width: im.width, height: im.height, channels: 4, data: im.data };
    } catch (e) {
      const message = (e as Error).message;
      if (/maxResolutionInMP|maxMemoryUsageInMB/.test(message)) throw new FerDataError(path, `the JPEG is too large to decode: ${message}`);
      throw new FerDataError(path, `cannot decode JPEG (corrupt or truncated?): ${message}`);
    }
  }
  if (format === 'png') {
    // IHDR is the first chunk: width and height are the big-endian u32s at bytes 16 and 20.
    if (bytes.length >= 24) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, 24);
      checkImagePixels(view.getUint32(16), view.getUint32(20), path);
    }
    try {
      const im = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: im.width, height: im.height, channels: 4, data: new Uint8Array(im.data.buffer, im.data.byteOffset, im.data.byteLength) };
    } catch (e) {
      throw new FerDataError(path, `cannot decode PNG (corrupt or truncated?): ${(e as Error).message}`);
    }
  }
  throw unsupportedFormat(bytes, path);
}

/**
 * Decodes a JPEG or PNG file's bytes to a 48x48 gray image (2304 bytes, row-major), as the
 * loaders do: see {@link ferGray}. `path` is only used in error messages.
 */
export function decodeImageFile(bytes: Uint8Array, path: string): Uint8Array {
  return ferGray(decodeRaw(bytes, path), path);
}

/** What {@link decodeImage} takes in Node: a file path, encoded bytes, decoded pixels, or a 48x48 gray image. */
export type ImageInput = string | Uint8Array | PixelData;

/**
 * An image as the 48x48 gray FER input (2304 bytes, row-major): luma as Pillow's
 * `convert('L')`, then Pillow-style bilinear resize when it is not 48x48 (crop faces first).
 *
 * - a path: the PNG or JPEG file it names;
 * - a `Uint8Array`/`Buffer`: PNG or JPEG bytes (recognised by their magic bytes), else, when it
 *   has 2304 bytes, a 48x48 gray image;
 * - `{ data, width, height }`: decoded gray, RGB or RGBA pixels (the shape of `ImageData`).
 *
 * `name` is used in error messages (default: the path, or "<bytes>" / "<pixels>").
 * @throws FerDataError naming the input for an unreadable file, a truncated or corrupt image, or
 * a format other than PNG and JPEG (WebP, HEIC, GIF, ... are named).
 * @example
 * const gray = decodeImage('face.jpg');
 * const same = decodeImage(fs.readFileSync('face.jpg'), 'face.jpg');
 */
export function decodeImage(input: ImageInput, name?: string): Uint8Array {
  if (typeof input === 'string') {
    let bytes: Buffer;
    try {
      bytes = readFileSync(input);
    } catch (e) {
      throw new FerDataError(name ?? input, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return decodeImageFile(bytes, name ?? input);
  }
  if (input instanceof Uint8Array) return decodeBytes(input, name ?? '<bytes>');
  if (isPixelData(input)) return ferGray(rawFromPixels(input, name ?? '<pixels>'), name ?? '<pixels>');
  throw new InputError(`${name ?? 'decodeImage'}: expected a file path, PNG/JPEG bytes, { data, width, height } pixels or a 48x48 gray Uint8Array, got ${describeValue(input)}`);
}

/** PNG/JPEG bytes, or a 48x48 gray image (2304 bytes that are not a decodable PNG/JPEG). */
export function decodeBytes(bytes: Uint8Array, name: string): Uint8Array {
  const format = imageFormat(bytes);
  if (format === 'png' || format === 'jpeg') {
    try {
      return decodeImageFile(bytes, name);
    } catch (e) {
      if (bytes.length !== FER_PIXELS) throw e; // a gray image may start like a JPEG by chance
    }
  }
  if (bytes.length === FER_PIXELS) return Uint8Array.from(bytes);
  if (format || bytes.length === 0) throw unsupportedFormat(bytes, name);
  throw new FerDataError(name, `not a JPEG or PNG file (unknown magic bytes), nor a 48x48 gray image (${bytes.length} bytes, not ${FER_PIXELS})`);
}

/** A short description of a value for error messages. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return (x as object).constructor?.name ?? 'an object';
}
