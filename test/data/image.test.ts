import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { FerDataError } from '../../src/data/dataset.js';
import { decodeImage, decodeImageFile, resizeBilinear, toLuma } from '../../src/data/image.js';
import { imageFormat } from '../../src/data/pixels.js';
import { FER_DIR, HAVE_FOLDER } from './helpers.js';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('decodeImage matches Pillow (goldens from make-resize-golden.py)', () => {
  const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'resize-golden.json'), 'utf8')) as { cases: Record<string, string> };
  for (const [name, hex] of Object.entries(golden.cases)) {
    it(`${name}: convert('L').resize((48,48), BILINEAR)`, () => {
      const out = decodeImage(fs.readFileSync(path.join(FIXTURES, name)), name);
      expect(out.length).toBe(48 * 48);
      expect(Buffer.from(out).toString('hex')).toBe(hex);
    });
  }
});

describe('resizeBilinear', () => {
  it('keeps a constant image constant and same-size input unchanged', () => {
    expect(resizeBilinear(new Uint8Array(100 * 60).fill(93), 100, 60, 48, 48).every((v) => v === 93)).toBe(true);
    const src = Uint8Array.from({ length: 48 * 48 }, (_, i) => (i * 7) % 256);
    expect(resizeBilinear(src, 48, 48, 48, 48)).toEqual(src);
  });
  it('rejects a buffer of the wrong size', () => {
    expect(() => resizeBilinear(new Uint8Array(10), 4, 4, 2, 2)).toThrow(/10 values for a 4x4 image/);
  });
});

describe('toLuma', () => {
  it('uses ITU-R 601 weights with Pillow rounding', () => {
    const rgba = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 9, 10, 200, 30, 255]);
    // Pillow: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
    expect(Array.from(toLuma({ width: 4, height: 1, channels: 4, data: rgba }))).toEqual([76, 150, 29, 124]);
  });
});

describe('decodeImage errors name the path', () => {
  const gray = jpeg.encode({ width: 48, height: 48, data: Buffer.alloc(48 * 48 * 4, 128) }, 90).data;
  it('decodes a small JPEG it encoded', () => {
    const out = decodeImage(gray, 'x.jpg');
    expect(Math.max(...out) - Math.min(...out)).toBeLessThanOrEqual(2);
  });
  it('truncated JPEG', () => {
    expect(() => decodeImage(gray.subarray(0, gray.length - 40), '/data/cut.jpg')).toThrow(/\/data\/cut\.jpg: cannot decode JPEG/);
  });
  it('truncated PNG', () => {
    const png = pngjs.PNG.sync.write(Object.assign(new pngjs.PNG({ width: 48, height: 48 }), { data: Buffer.alloc(48 * 48 * 4, 50) }));
    expect(() => decodeImage(png.subarray(0, png.length - 30), 'cut.png')).toThrow(/cut\.png: cannot decode PNG/);
  });
  it('unknown format and empty file', () => {
    expect(() => decodeImage(Buffer.from('GIF89a...'), 'a.gif')).toThrow(FerDataError);
    expect(() => decodeImage(Buffer.from('GIF89a...'), 'a.gif')).toThrow(/a\.gif: not a JPEG or PNG/);
    expect(() => decodeImage(new Uint8Array(0), 'e.png')).toThrow(/e\.png: empty image file/);
  });
});

describe.skipIf(!HAVE_FOLDER)('real FER2013 JPEG', () => {
  it('decodes the documented all-black image to zeros and a normal one to varied pixels', () => {
    const black = decodeImage(fs.readFileSync(path.join(FER_DIR, 'train/angry/Training_10131352.jpg')), 'black');
    expect(black.every((v) => v === 0)).toBe(true);
    const face = decodeImage(fs.readFileSync(path.join(FER_DIR, 'train/happy/Training_10019449.jpg')), 'face');
    expect(new Set(face).size).toBeGreaterThan(50);
  });
});

describe('decodeImage takes images the way users have them (issue 13)', () => {
  const file = path.join(FIXTURES, 'rgba-48x131.png');
  const expected = decodeImageFile(fs.readFileSync(file), file);
  const png = pngjs.PNG.sync.read(fs.readFileSync(file));
  const rgba = { data: new Uint8ClampedArray(png.data), width: png.width, height: png.height }; // ImageData's shape
  const rgb = {
    data: Uint8Array.from({ length: png.width * png.height * 3 }, (_, i) => png.data[Math.floor(i / 3) * 4 + (i % 3)]!),
    width: png.width,
    height: png.height,
  };

  it('a path (no name needed), encoded bytes, RGBA and RGB pixels give the same 48x48 gray image', () => {
    expect(decodeImage(file)).toEqual(expected);
    expect(decodeImage(fs.readFileSync(file))).toEqual(expected);
    expect(decodeImage(new Uint8Array(fs.readFileSync(file)))).toEqual(expected);
    expect(decodeImage(rgba)).toEqual(expected);
    expect(decodeImage(rgb)).toEqual(expected);
  });

  it('gray pixels: { data, width, height } with one channel, and a bare 48x48 Uint8Array', () => {
    const gray = Uint8Array.from({ length: 2304 }, (_, i) => (i * 13) % 256);
    expect(decodeImage({ data: gray, width: 48, height: 48 })).toEqual(gray);
    expect(decodeImage(gray)).toEqual(gray);
    // a gray image whose first pixels happen to look like a JPEG marker is still a gray image
    const jpegLike = gray.slice();
    jpegLike.set([0xff, 0xd8, 0xff]);
    expect(decodeImage(jpegLike)).toEqual(jpegLike);
  });

  it('WebP, HEIC, AVIF and GIF are named in a clear error that names the input', () => {
    const webp = Uint8Array.from([...Buffer.from('RIFF'), 0x24, 0, 0, 0, ...Buffer.from('WEBPVP8 '), ...new Array(40).fill(0)]);
    const heic = Uint8Array.from([0, 0, 0, 0x18, ...Buffer.from('ftypheic'), ...new Array(40).fill(0)]);
    const avif = Uint8Array.from([0, 0, 0, 0x1c, ...Buffer.from('ftypavif'), ...new Array(40).fill(0)]);
    expect([imageFormat(webp), imageFormat(heic), imageFormat(avif)]).toEqual(['webp', 'heic', 'avif']);
    expect(() => decodeImage(webp, 'cat.webp')).toThrow(FerDataError);
    expect(() => decodeImage(webp, 'cat.webp')).toThrow(/^cat\.webp: not a JPEG or PNG file: a WebP image/);
    expect(() => decodeImage(heic, 'IMG_0001.HEIC')).toThrow(/^IMG_0001\.HEIC: not a JPEG or PNG file: a HEIC image/);
    expect(() => decodeImage(avif)).toThrow(/^<bytes>: not a JPEG or PNG file: an AVIF image/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-img-'));
    fs.writeFileSync(path.join(dir, 'cat.webp'), webp);
    expect(() => decodeImage(path.join(dir, 'cat.webp'))).toThrow(/cat\.webp: not a JPEG or PNG file: a WebP image/);
    expect(() => decodeImage(Buffer.from('GIF89a...'), 'a.gif')).toThrow(/a\.gif: not a JPEG or PNG file: a GIF image/);
    fs.rmSync(dir, { recursive: true });
  });

  it('bad pixels, bytes of no known format, a missing file and other values are errors naming the input', () => {
    expect(() => decodeImage({ data: new Uint8Array(10), width: 2, height: 2 }, 'frame')).toThrow(
      /^frame: 10 bytes of pixels for 2x2 are not 1, 3 or 4 channels/,
    );
    expect(() => decodeImage({ data: new Uint8Array(0), width: 0, height: 0 })).toThrow(
      /^<pixels>: pixels must have a positive integer width and height, got 0x0/,
    );
    expect(() => decodeImage(new Uint8Array(100), 'input 3')).toThrow(
      /^input 3: not a JPEG or PNG file \(unknown magic bytes\), nor a 48x48 gray image \(100 bytes, not 2304\)/,
    );
    expect(() => decodeImage('/no/such/face.jpg')).toThrow(/^\/no\/such\/face\.jpg: cannot read \(ENOENT\)/);
    expect(() => decodeImage(42 as never)).toThrow(
      /expected a file path, PNG\/JPEG bytes, \{ data, width, height \} pixels or a 48x48 gray Uint8Array, got number/,
    );
  });
});
