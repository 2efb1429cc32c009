/**
 * Images in the browser: everything a web app has (ImageData, ImageBitmap, <img>, <canvas>,
 * OffscreenCanvas, <video> frames, VideoFrame, Blob/File, encoded bytes, URLs) to the 48x48 gray
 * FER input. PNG and JPEG bytes are decoded in JavaScript exactly as in Node (png.ts, jpeg-js),
 * so a file gives the same prediction on both; DOM images are read through a canvas. Images over
 * MAX_IMAGE_PIXELS are refused as in Node (from the header, before decoding, where it has one).
 */
import decodeJpeg from 'jpeg-js/lib/decoder.js';
import { FER_PIXELS, FerDataError } from '../data/dataset.js';
import { decodePng } from '../data/png.js';
import {
  checkEncodedSize,
  checkImagePixels,
  decoded,
  grayInput,
  imageFormat,
  isPixelImage,
  JPEG_LIMITS,
  rawFromPixels,
  type DecodedImage,
  type PixelImage,
  type RawImage,
} from '../data/pixels.js';
import { InputError } from '../errors.js';
import { FER_IMAGE_SIZE } from '../classes.js';
import { fetchBytes } from './fetch.js';

/** What {@link decodeImage} and predict take in the browser. */
export type BrowserImageInput =
  | PixelImage
  | ImageData
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLVideoElement
  | VideoFrame
  | Blob
  | Uint8Array
  | ArrayBuffer
  | string;

const has = (name: string): boolean => typeof (globalThis as Record<string, unknown>)[name] === 'function';
const isA = <T>(x: unknown, name: string): x is T =>
  has(name) && x instanceof ((globalThis as Record<string, unknown>)[name] as new () => T);

/** The name an input has in error messages and predictions. */
export function inputName(input: unknown, fallback: string): string {
  if (typeof input === 'string') return input;
  if (isA<File>(input, 'File')) return input.name;
  if (isA<HTMLImageElement>(input, 'HTMLImageElement') && input.currentSrc) return input.currentSrc;
  return fallback;
}

/** Pixels of a drawable source, read back through a 2D canvas at its natural size. */
function readDrawable(source: CanvasImageSource, width: number, height: number, name: string): RawImage {
  if (!(width > 0 && height > 0)) throw new FerDataError(name, `the image has no pixels (${width}x${height})`);
  checkImagePixels(width, height, name);
  const canvas = has('OffscreenCanvas')
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new FerDataError(name, 'cannot read its pixels: no 2D canvas context');
  ctx.drawImage(source, 0, 0, width, height);
  try {
    const { data } = ctx.getImageData(0, 0, width, height);
    return { width, height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    throw new FerDataError(
      name,
      `cannot read its pixels (${(e as Error).name}): a cross-origin image needs CORS (crossorigin="anonymous" and Access-Control-Allow-Origin)`,
    );
  }
}

/** Encoded bytes: PNG and JPEG as in Node; other formats the browser decodes; else a 48x48 gray image. */
async function decodeBytes(bytes: Uint8Array, name: string): Promise<RawImage | Uint8Array> {
  const format = imageFormat(bytes);
  if (bytes.length !== FER_PIXELS) checkEncodedSize(bytes, name); // over the cap: refused before decoding
  try {
    if (format === 'jpeg') {
      const im = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, ...JPEG_LIMITS });
      return { width: im.width, height: im.height, channels: 4, data: im.data };
    }
    if (format === 'png') return await decodePng(bytes);
  } catch (e) {
    if (bytes.length === FER_PIXELS) return bytes; // a gray image that starts like a JPEG
    throw new FerDataError(name, `cannot decode ${format === 'png' ? 'PNG' : 'JPEG'} (corrupt or truncated?): ${(e as Error).message}`);
  }
  if (!format && bytes.length === FER_PIXELS) return bytes;
  if (bytes.length === 0) throw new FerDataError(name, 'empty image file');
  if (has('createImageBitmap')) {
    try {
      const bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      try {
        return readDrawable(bitmap, bitmap.width, bitmap.height, name);
      } finally {
        bitmap.close();
      }
    } catch (e) {
      if (e instanceof FerDataError) throw e;
    }
  }
  throw new FerDataError(
    name,
    `not an image this browser can decode (${format ? `${format.toUpperCase()}: not decodable here` : `unknown format, ${bytes.length} bytes`}; fer-gpu reads PNG, JPEG and what the browser decodes)`,
  );
}

/**
 * An image as the 48x48 gray FER input (2304 bytes, row-major): luma as Pillow's
 * `convert('L')`, then Pillow-style bilinear resize when it is not 48x48 (crop faces first).
 * Takes `ImageData` or `{ data, width, height }` (gray, RGB or RGBA), `ImageBitmap`, a loaded
 * `<img>`, a `<canvas>` or `OffscreenCanvas`, a `<video>` (its current frame), a `VideoFrame`, a
 * `Blob`/`File` or the bytes of an image (PNG and JPEG decoded exactly as in Node, other formats
 * by the browser), a 48x48 gray `Uint8Array`, or a URL to fetch. `name` is used in errors.
 * @throws FerDataError naming the input when it cannot be read or decoded.
 * @example
 * const gray = await decodeImage(document.querySelector('img')!);
 */
export async function decodeImage(input: BrowserImageInput, name?: string): Promise<Uint8Array> {
  return (await decodeImageWithSize(input, name)).pixels;
}

/** {@link decodeImage}, with the size the image had (predict tells face crops from photos by it). */
export async function decodeImageWithSize(input: BrowserImageInput, name?: string): Promise<DecodedImage> {
  const label = name ?? inputName(input, '<image>');
  const raw = await toRaw(input, label);
  return raw instanceof Uint8Array ? grayInput(raw) : decoded(raw, label);
}

/**
 * An image's pixels at its own size (RGBA, RGB or gray), for face detection: the same inputs as
 * {@link decodeImage}; a 48x48 gray `Uint8Array` is a 48x48 one-channel image.
 */
export async function decodePixels(input: BrowserImageInput, name?: string): Promise<RawImage> {
  const raw = await toRaw(input, name ?? inputName(input, '<image>'));
  return raw instanceof Uint8Array ? { width: FER_IMAGE_SIZE, height: FER_IMAGE_SIZE, channels: 1, data: raw } : raw;
}

async function toRaw(input: BrowserImageInput, name: string): Promise<RawImage | Uint8Array> {
  if (input instanceof Uint8Array) return decodeBytes(input, name);
  if (input instanceof ArrayBuffer) return decodeBytes(new Uint8Array(input), name);
  if (typeof input === 'string') return decodeBytes(await fetchBytes(input), name);
  if (isA<Blob>(input, 'Blob')) return decodeBytes(new Uint8Array(await input.arrayBuffer()), name);
  if (isPixelImage(input)) return rawFromPixels(input, name);
  if (isA<HTMLImageElement>(input, 'HTMLImageElement')) {
    if (!input.complete) {
      await new Promise<void>((resolve) => {
        input.addEventListener('load', () => resolve(), { once: true });
        input.addEventListener('error', () => resolve(), { once: true });
      });
    }
    if (!input.naturalWidth) throw new FerDataError(name, 'the <img> has no pixels: not loaded, or a broken image');
    return readDrawable(input, input.naturalWidth, input.naturalHeight, name);
  }
  if (isA<HTMLVideoElement>(input, 'HTMLVideoElement')) {
    if (input.readyState < 2)
      throw new FerDataError(name, `the <video> has no frame yet (readyState ${input.readyState}): wait for 'loadeddata'`);
    return readDrawable(input, input.videoWidth, input.videoHeight, name);
  }
  if (isA<VideoFrame>(input, 'VideoFrame')) return readDrawable(input, input.displayWidth, input.displayHeight, name);
  if (
    isA<ImageBitmap>(input, 'ImageBitmap') ||
    isA<HTMLCanvasElement>(input, 'HTMLCanvasElement') ||
    isA<OffscreenCanvas>(input, 'OffscreenCanvas')
  ) {
    return readDrawable(input as CanvasImageSource, input.width, input.height, name);
  }
  throw new InputError(
    `${name}: expected ImageData/{ data, width, height }, an ImageBitmap, <img>, <canvas>, <video>, VideoFrame, Blob/File, image bytes or a URL, got ${input === null ? 'null' : typeof input === 'object' ? ((input as object).constructor?.name ?? 'an object') : typeof input}`,
  );
}
