/**
 * The platform-free PNG decoder (used in the browser) gives the same RGBA as pngjs (used in
 * Node) on the fixtures, on pngjs's own encodings (every row filter), and on hand-made files of
 * every colour type, bit depth, palette, tRNS and Adam7 interlacing.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../src/data/png.js';
import { Rng } from '../../src/random.js';

const FIXTURES = path.join(__dirname, 'fixtures');

function viaPngjs(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(pngjs.PNG.sync.read(Buffer.from(bytes)).data);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG of raw samples (row-major, `channels` per pixel, at `depth` bits), filter 0, optionally Adam7. */
function makePng(o: {
  width: number;
  height: number;
  colorType: number;
  depth: number;
  samples: number[];
  interlace?: boolean;
  palette?: number[];
  trns?: number[];
}): Uint8Array {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[o.colorType]!;
  const rowOf = (xs: number[], w: number, y: number): number[] => {
    const bits: number[] = [];
    for (let x = 0; x < w; x++) for (let k = 0; k < channels; k++) bits.push(o.samples[(y * o.width + xs[x]!) * channels + k]!);
    const out: number[] = [0]; // filter: none
    if (o.depth === 16) for (const v of bits) out.push(v >> 8, v & 255);
    else if (o.depth === 8) out.push(...bits);
    else {
      const bytes = new Array(Math.ceil((bits.length * o.depth) / 8)).fill(0);
      bits.forEach((v, i) => (bytes[(i * o.depth) >> 3] |= v << (8 - o.depth - ((i * o.depth) & 7))));
      out.push(...bytes);
    }
    return out;
  };
  const raw: number[] = [];
  const passes = o.interlace
    ? [
        [0, 0, 8, 8],
        [4, 0, 8, 8],
        [0, 4, 4, 8],
        [2, 0, 4, 4],
        [0, 2, 2, 4],
        [1, 0, 2, 2],
        [0, 1, 1, 2],
      ]
    : [[0, 0, 1, 1]];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0!; x < o.width; x += dx!) xs.push(x);
    if (xs.length === 0) continue;
    for (let y = y0!; y < o.height; y += dy!) raw.push(...rowOf(xs, xs.length, y));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(o.width, 0);
  ihdr.writeUInt32BE(o.height, 4);
  ihdr.set([o.depth, o.colorType, 0, 0, o.interlace ? 1 : 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(o.palette ? [chunk('PLTE', Uint8Array.from(o.palette))] : []),
    ...(o.trns ? [chunk('tRNS', Uint8Array.from(o.trns))] : []),
    chunk('IDAT', zlib.deflateSync(Uint8Array.from(raw))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

describe('decodePng equals pngjs', () => {
  for (const name of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.png'))) {
    it(`fixture ${name}`, async () => {
      const bytes = fs.readFileSync(path.join(FIXTURES, name));
      expect((await decodePng(bytes)).data).toEqual(viaPngjs(bytes));
    });
  }

  it('pngjs encodings (its adaptive row filters) of every colour type it writes, 8 and 16 bits', async () => {
    const rng = new Rng(3);
    for (const colorType of [0, 2, 4, 6] as const) {
      for (const bitDepth of [8, 16] as const) {
        const png = new pngjs.PNG({ width: 23, height: 17, colorType, bitDepth, inputHasAlpha: true });
        png.data = Buffer.from(Array.from({ length: 23 * 17 * 4 }, () => Math.floor(rng.uniform() * 256)));
        const bytes = pngjs.PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha: true });
        expect((await decodePng(bytes)).data, `colour type ${colorType}, ${bitDepth} bits`).toEqual(viaPngjs(bytes));
      }
    }
  });

  const rng = new Rng(4);
  const cases: Array<[string, Parameters<typeof makePng>[0]]> = [];
  for (const interlace of [false, true]) {
    for (const [colorType, depths] of [
      [0, [1, 2, 4, 8, 16]],
      [2, [8, 16]],
      [3, [1, 2, 4, 8]],
      [4, [8, 16]],
      [6, [8, 16]],
    ] as const) {
      for (const depth of depths) {
        const [width, height] = [13, 11];
        const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
        const max = colorType === 3 ? Math.min(2 ** depth, 7) - 1 : 2 ** depth - 1;
        const samples = Array.from({ length: width * height * channels }, () => Math.floor(rng.uniform() * (max + 1)));
        const be16 = (v: number): number[] => [v >> 8, v & 255];
        const extra =
          colorType === 3
            ? { palette: Array.from({ length: 7 * 3 }, (_, i) => (i * 37) % 256), trns: [0, 128, 255] }
            : colorType === 0
              ? { trns: be16(samples[5]!) } // one grey level made transparent
              : colorType === 2
                ? { trns: [...be16(samples[0]!), ...be16(samples[1]!), ...be16(samples[2]!)] } // the first pixel's colour
                : {};
        cases.push([
          `colour type ${colorType}, ${depth} bits${interlace ? ', Adam7' : ''}${'trns' in extra ? ', tRNS' : ''}`,
          { width, height, colorType, depth, samples, interlace, ...extra },
        ]);
      }
    }
  }
  for (const [name, spec] of cases) {
    it(name, async () => {
      const bytes = makePng(spec);
      expect((await decodePng(bytes)).data).toEqual(viaPngjs(bytes));
    });
  }

  it('truncated, corrupt and non-PNG bytes are errors that say what is wrong', async () => {
    const good = fs.readFileSync(path.join(FIXTURES, 'rgb-100x75.png'));
    await expect(decodePng(good.subarray(0, good.length - 30))).rejects.toThrow(/truncated/);
    await expect(decodePng(Buffer.from('GIF89a'))).rejects.toThrow(/not a PNG/);
    const corrupt = Buffer.from(good);
    corrupt.fill(7, 60, 90); // inside the compressed data
    await expect(decodePng(corrupt)).rejects.toThrow(/inflate|filter|truncated/);
  });
});
