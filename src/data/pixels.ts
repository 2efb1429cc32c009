/**
 * Pixels to a FER input, platform-free: gray conversion and Pillow-exact bilinear resize of
 * decoded images. Decoding files is platform work (image.ts in Node, the browser's decoders).
 */

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
