/**
 * Issue 14 item 6 (and item 11's "valid 9000x9000 JPEG: corrupt or truncated"): small files that
 * decode to huge images are refused from their headers, before any pixel is allocated, with an
 * error that says what the limit is; they are never called corrupt.
 */
import zlib from 'node:zlib';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { checkImagePixels, decodeImage, MAX_IMAGE_PIXELS } from '../../src/data/image.js';
import { FerDataError } from '../../src/data/dataset.js';

/** A valid 8-bit gray PNG of zeros, without materialising more than one image's raw rows. */
function grayPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width + 1) * height); // filter byte 0 + zeros per row
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit, gray, deflate, adaptive filters, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 1 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/**
 * A valid baseline JPEG of a flat gray (128) image of any size: one component, quantisation 1, and
 * Huffman tables with a single 1-bit code each, so every 8x8 block is two 0 bits (DC 0, then EOB).
 */
function flatGrayJpeg(width: number, height: number): Buffer {
  const seg = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const oneCode = (tableClass: number) => [tableClass << 4, 1, ...new Array(15).fill(0), 0];
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan = Buffer.alloc(Math.ceil((2 * blocks) / 8));
  if ((2 * blocks) % 8) scan[scan.length - 1] = (1 << (8 - ((2 * blocks) % 8))) - 1; // pad with 1 bits
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    Buffer.from(seg(0xdb, [0, ...new Array(64).fill(1)])),
    Buffer.from(seg(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0])),
    Buffer.from(seg(0xc4, oneCode(0))),
    Buffer.from(seg(0xc4, oneCode(1))),
    Buffer.from(seg(0xda, [1, 1, 0x00, 0, 63, 0])),
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}

describe('decoded-pixel cap', () => {
  it('the test images are valid: small ones decode to what they hold', () => {
    expect(Array.from(new Set(decodeImage(flatGrayJpeg(100, 60), 'flat.jpg')))).toEqual([128]);
    expect(Array.from(new Set(decodeImage(grayPng(100, 60), 'zeros.png')))).toEqual([0]);
    const png = pngjs.PNG.sync.read(grayPng(30, 20));
    expect([png.width, png.height]).toEqual([30, 20]);
  });

  it(`is ${MAX_IMAGE_PIXELS / 1e6} megapixels`, () => {
    expect(MAX_IMAGE_PIXELS).toBe(64_000_000);
  });

  it('a PNG over the cap is refused from its header, naming the file and the size', () => {
    const side = Math.ceil(Math.sqrt(MAX_IMAGE_PIXELS)) + 8; // a few rows over the cap
    const file = grayPng(side, side);
    expect(file.length).toBeLessThan(400_000); // a small file (level-1 deflate)…
    const t0 = performance.now();
    const err = (() => {
      try {
        decodeImage(file, '/photos/huge.png');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FerDataError);
    expect((err as Error).message).toBe(
      `/photos/huge.png: the image is ${side}x${side} (${((side * side) / 1e6).toFixed(1)} megapixels), over the ` +
        `limit of ${MAX_IMAGE_PIXELS / 1e6} megapixels that fer-gpu decodes; downscale it first`,
    );
    expect(performance.now() - t0).toBeLessThan(2000); // …refused without being inflated
  });

  it('a valid 9000x9000 JPEG is refused as too large, not called corrupt', () => {
    const file = flatGrayJpeg(9000, 9000);
    expect(() => decodeImage(file, 'big.jpg')).toThrow(
      /^big\.jpg: the image is 9000x9000 \(81\.0 megapixels\), over the limit of 64 megapixels/,
    );
  });

  it('the cap is inclusive: 8000x8000 passes, one more row does not', () => {
    expect(() => checkImagePixels(8000, 8000, 'x.png')).not.toThrow();
    expect(() => checkImagePixels(8000, 8001, 'x.png')).toThrow(/^x\.png: the image is 8000x8001 \(64\.0 megapixels\), over the limit/);
  });
});
