/**
 * A platform-free PNG decoder (inflate by the platform's DecompressionStream) with the same RGBA
 * output as pngjs, which decodes PNGs in Node: every colour type and bit depth, palettes and
 * tRNS transparency (pixels matching a tRNS colour become 0, 0, 0, 0 as in pngjs), Adam7
 * interlacing, and samples of other depths scaled to 8 bits as round(v * 255 / max). Gamma and
 * colour profiles are ignored, as by pngjs. The browser uses it so that a PNG gives the same
 * pixels, hence the same prediction, as in Node (a canvas would premultiply alpha).
 */
import { MAX_IMAGE_PIXELS, type RawImage } from './pixels.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel of each colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters of one (sub)image in place; returns the offset after it. */
function unfilter(buf: Uint8Array, at: number, rowBytes: number, rows: number, bpp: number): number {
  let prev = -1; // offset of the previous unfiltered row, -1 for none
  for (let y = 0; y < rows; y++) {
    const filter = buf[at]!;
    const row = at + 1;
    if (row + rowBytes > buf.length) throw new Error('image data is truncated');
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? buf[row + i - bpp]! : 0;
      const b = prev >= 0 ? buf[prev + i]! : 0;
      const c = i >= bpp && prev >= 0 ? buf[prev + i - bpp]! : 0;
      const x = buf[row + i]!;
      if (filter === 0) continue;
      if (filter === 1) buf[row + i] = x + a;
      else if (filter === 2) buf[row + i] = x + b;
      else if (filter === 3) buf[row + i] = x + ((a + b) >> 1);
      else if (filter === 4) buf[row + i] = x + paeth(a, b, c);
      else throw new Error(`unknown row filter ${filter}`);
    }
    prev = row;
    at = row + rowBytes;
  }
  return at;
}

/**
 * Decodes PNG bytes to 8-bit RGBA, pixel for pixel as pngjs does.
 * @throws Error saying what is wrong with a corrupt or truncated file.
 */
export async function decodePng(bytes: Uint8Array): Promise<RawImage> {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error('not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0,
    height = 0,
    depth = 0,
    colorType = -1,
    interlace = 0;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let pos = 8;
  let ended = false;
  while (pos + 8 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (data.length !== length || pos + 12 + length > bytes.length) throw new Error(`chunk ${type} is truncated`);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = bytes[pos + 16]!;
      colorType = bytes[pos + 17]!;
      interlace = bytes[pos + 20]!;
      if (!DEPTHS[colorType]?.includes(depth)) throw new Error(`unsupported colour type ${colorType} with bit depth ${depth}`);
      if (width < 1 || height < 1) throw new Error(`image has no pixels (${width}x${height})`);
      if (width * height > MAX_IMAGE_PIXELS)
        throw new Error(`${width}x${height} is over the limit of ${MAX_IMAGE_PIXELS / 1e6} megapixels`);
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    pos += 12 + length;
  }
  if (colorType < 0) throw new Error('no IHDR chunk');
  if (!ended || idat.length === 0) throw new Error('the file is truncated (no IEND or no image data)');
  if (colorType === 3 && !palette) throw new Error('a palette image without a PLTE chunk');

  let raw: Uint8Array;
  try {
    raw = await inflate(idat.length === 1 ? idat[0]! : concat(idat));
  } catch (e) {
    throw new Error(`cannot inflate the image data: ${(e as Error).message}`);
  }
  const channels = CHANNELS[colorType]!;
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const maxIn = 2 ** depth - 1;
  // samples at their own depth, RGBA, alpha defaulting to opaque (as pngjs's bitmapper)
  const samples = depth === 16 ? new Uint16Array(width * height * 4) : new Uint8Array(width * height * 4);
  const passes = interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let at = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    const start = at;
    at = unfilter(raw, at, rowBytes, h, bpp);
    for (let y = 0; y < h; y++) {
      const row = start + y * (rowBytes + 1) + 1;
      for (let x = 0; x < w; x++) {
        const out = ((y0 + y * dy) * width + x0 + x * dx) * 4;
        const sample = (k: number): number => {
          if (depth === 8) return raw[row + x * channels + k]!;
          if (depth === 16) return (raw[row + (x * channels + k) * 2]! << 8) | raw[row + (x * channels + k) * 2 + 1]!;
          const bit = (x * channels + k) * depth;
          return (raw[row + (bit >> 3)]! >> (8 - depth - (bit & 7))) & maxIn;
        };
        if (colorType === 3) {
          const i = sample(0);
          if (3 * i + 2 >= palette!.length) throw new Error(`palette index ${i} is not in the palette`);
          samples[out] = palette![3 * i]!;
          samples[out + 1] = palette![3 * i + 1]!;
          samples[out + 2] = palette![3 * i + 2]!;
          samples[out + 3] = trns && i < trns.length ? trns[i]! : 255;
          continue;
        }
        const gray = colorType === 0 || colorType === 4;
        const r = sample(0);
        samples[out] = r;
        samples[out + 1] = gray ? r : sample(1);
        samples[out + 2] = gray ? r : sample(2);
        samples[out + 3] = colorType === 4 ? sample(1) : colorType === 6 ? sample(3) : maxIn;
        if (trns && (colorType === 0 || colorType === 2)) {
          const t = new DataView(trns.buffer, trns.byteOffset, trns.byteLength);
          const match =
            colorType === 0
              ? r === t.getUint16(0)
              : r === t.getUint16(0) && samples[out + 1] === t.getUint16(2) && samples[out + 2] === t.getUint16(4);
          if (match) samples.fill(0, out, out + 4);
        }
      }
    }
  }
  if (depth === 8 || colorType === 3) return { width, height, channels: 4, data: samples as Uint8Array };
  const data = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) data[i] = Math.floor((samples[i]! * 255) / maxIn + 0.5);
  return { width, height, channels: 4, data };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
