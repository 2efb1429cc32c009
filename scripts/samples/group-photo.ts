/**
 * Makes samples/group-photo.jpg, the photo `fer-gpu demo` finds faces in: @vladmandic/face-api's
 * demo/sample5.jpg (MIT; photographed by its author, see samples/NOTICE.md) shrunk 2x to 960x699
 * (each pixel the mean of a 2x2 block) and encoded by jpeg-js at quality 80, which also drops the
 * original's EXIF metadata (camera, GPS position).
 *
 *   npx tsx scripts/samples/group-photo.ts
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { fitImage } from '../../src/faces/detect.js';
import { readImageInput } from '../../src/faces/node.js';

const require = createRequire(import.meta.url);
const source = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample5.jpg');
const out = path.join(path.dirname(new URL(import.meta.url).pathname), '../../samples/group-photo.jpg');

const { image } = readImageInput(source);
const { image: small } = fitImage(image, Math.floor(image.width / 2) * Math.floor(image.height / 2) * 4);
const bytes = jpeg.encode({ width: small.width, height: small.height, data: small.data as Uint8Array }, 80).data;
fs.writeFileSync(out, bytes);
console.log(`${out}: ${small.width}x${small.height}, ${(bytes.length / 1024).toFixed(0)} KiB (from ${source})`);
