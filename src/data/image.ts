import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { FER_IMAGE_SIZE } from '../classes.js';
import { FerDataError } from './dataset.js';
import { resizeBilinear, toLuma, type RawImage } from './pixels.js';

export { resizeBilinear, toLuma, type RawImage } from './pixels.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, sig: readonly number[]): boolean {
  return bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b);
}

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
  if (bytes.length === 0) throw new FerDataError(path, 'empty image file');
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
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
  if (startsWith(bytes, PNG_SIGNATURE)) {
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
  throw new FerDataError(path, 'not a JPEG or PNG file (unknown magic bytes)');
}

/**
 * Decodes a JPEG or PNG file's bytes to a 48x48 gray image (2304 bytes, row-major), as the
 * loaders and prediction on user files do: luma as Pillow's `convert('L')`, then, if the size is
 * not 48x48, Pillow-style bilinear resize (aspect ratio is not kept; crop faces beforehand).
 * `path` is only used in error messages.
 */
export function decodeImage(bytes: Uint8Array, path: string): Uint8Array {
  return toFerPixels(decodeRaw(bytes, path), path);
}

/** A decoded image as 48x48 gray, as {@link decodeImage} makes it. */
export function toFerPixels(raw: RawImage, path: string): Uint8Array {
  if (raw.width < 1 || raw.height < 1) throw new FerDataError(path, `image has no pixels (${raw.width}x${raw.height})`);
  const gray = toLuma(raw);
  if (raw.width === FER_IMAGE_SIZE && raw.height === FER_IMAGE_SIZE) return gray;
  return resizeBilinear(gray, raw.width, raw.height, FER_IMAGE_SIZE, FER_IMAGE_SIZE);
}
