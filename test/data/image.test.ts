import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { FerDataError } from '../../src/data/dataset.js';
import { decodeImage, resizeBilinear, toLuma } from '../../src/data/image.js';
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
