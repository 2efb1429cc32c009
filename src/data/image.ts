/**
 * Image files and inputs in Node: PNG (pngjs) and JPEG (jpeg-js) decoding, and decodeImage for
 * every input form predict takes. The pixel maths is platform-free, in pixels.ts.
 */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { FER_PIXELS, FerDataError } from './dataset.js';
import {
  checkEncodedSize,
  decoded,
  grayInput,
  imageFormat,
  isPixelImage,
  JPEG_LIMITS,
  rawFromPixels,
  toFerPixels,
  unsupportedFormat,
  type DecodedImage,
  type PixelImage,
  type RawImage,
} from './pixels.js';
import { InputError } from '../errors.js';

export { resizeBilinear, toLuma, checkImagePixels, MAX_IMAGE_PIXELS, type DecodedImage, type RawImage, type PixelImage } from './pixels.js';

/**
 * Decodes a JPEG or PNG (chosen by its magic bytes, not its extension) to RGBA.
 * Throws a {@link FerDataError} naming `path` for unknown formats, unreadable or truncated files,
 * and images over {@link MAX_IMAGE_PIXELS}.
 */
export function decodeRaw(bytes: Uint8Array, path: string): RawImage {
  const format = imageFormat(bytes);
  checkEncodedSize(bytes, path);
  if (format === 'jpeg') {
    try {
      const im = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, ...JPEG_LIMITS });
      return { width: im.width, height: im.height, channels: 4, data: im.data };
    } catch (e) {
      const message = (e as Error).message;
      if (/maxResolutionInMP|maxMemoryUsageInMB/.test(message)) throw new FerDataError(path, `the JPEG is too large to decode: ${message}`);
      throw new FerDataError(path, `cannot decode JPEG (corrupt or truncated?): ${message}`);
    }
  }
  if (format === 'png') {
    try {
      const im = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return {
        width: im.width,
        height: im.height,
        channels: 4,
        data: new Uint8Array(im.data.buffer, im.data.byteOffset, im.data.byteLength),
      };
    } catch (e) {
      throw new FerDataError(path, `cannot decode PNG (corrupt or truncated?): ${(e as Error).message}`);
    }
  }
  throw unsupportedFormat(bytes, path);
}

/**
 * Decodes a JPEG or PNG file's bytes to a 48x48 gray image (2304 bytes, row-major), as the
 * loaders do: see {@link toFerPixels}. `path` is only used in error messages.
 */
export function decodeImageFile(bytes: Uint8Array, path: string): Uint8Array {
  return toFerPixels(decodeRaw(bytes, path), path);
}

/** What {@link decodeImage} takes in Node: a file path, encoded bytes, decoded pixels, or a 48x48 gray image. */
export type ImageInput = string | Uint8Array | PixelImage;

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
  return decodeImageWithSize(input, name).pixels;
}

/** {@link decodeImage}, with the size the image had (predict tells face crops from photos by it). */
export function decodeImageWithSize(input: ImageInput, name?: string): DecodedImage {
  if (typeof input === 'string') {
    let bytes: Buffer;
    try {
      bytes = readFileSync(input);
    } catch (e) {
      throw new FerDataError(name ?? input, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return decoded(decodeRaw(bytes, name ?? input), name ?? input);
  }
  if (input instanceof Uint8Array) return decodeBytes(input, name ?? '<bytes>');
  if (isPixelImage(input)) return decoded(rawFromPixels(input, name ?? '<pixels>'), name ?? '<pixels>');
  throw new InputError(
    `${name ?? 'decodeImage'}: expected a file path, PNG/JPEG bytes, { data, width, height } pixels or a 48x48 gray Uint8Array, got ${describeValue(input)}`,
  );
}

/** PNG/JPEG bytes, or a 48x48 gray image (2304 bytes that are not a decodable PNG/JPEG). */
function decodeBytes(bytes: Uint8Array, name: string): DecodedImage {
  const format = imageFormat(bytes);
  if (format === 'png' || format === 'jpeg') {
    try {
      return decoded(decodeRaw(bytes, name), name);
    } catch (e) {
      if (bytes.length !== FER_PIXELS) throw e; // a gray image may start like a JPEG by chance
    }
  }
  if (bytes.length === FER_PIXELS) return grayInput(bytes);
  if (format || bytes.length === 0) throw unsupportedFormat(bytes, name);
  throw new FerDataError(
    name,
    `not a JPEG or PNG file (unknown magic bytes), nor a 48x48 gray image (${bytes.length} bytes, not ${FER_PIXELS})`,
  );
}

/** A short description of a value for error messages. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return (x as object).constructor?.name ?? 'an object';
}
