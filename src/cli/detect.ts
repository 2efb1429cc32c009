/**
 * `fer-gpu detect <files...>`: the faces in photos and their expressions, as a table, as JSON
 * lines (--json), and as pictures with the boxes and labels drawn (--out dir/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { createDevice } from '../gpu/dawn.js';
import { InputError } from '../errors.js';
import { loadFaceModels, readImageInput } from '../faces/node.js';
import { recognizeInImages, type PixelImage, type RecognizedFace } from '../faces/detect.js';
import { drawFaces, faceLabel } from '../faces/draw.js';
import type { BlazeFaceRange } from '../faces/spec.js';
import { DEFAULT_WEIGHTS_FILE, WEIGHTS_ENV } from '../train/pretrained.js';

/** Files decoded and recognized per GPU batch (bounded so that decoded photos do not pile up in memory). */
const BATCH = 8;

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** One file's result as the JSON line of `--json`. */
export function detectJson(file: string, image: PixelImage, faces: readonly RecognizedFace[]): object {
  return {
    file,
    width: image.width,
    height: image.height,
    faces: faces.map((f) => ({
      box: [f.box.x, f.box.y, f.box.width, f.box.height].map((v) => round(v, 1)),
      score: round(f.score, 4),
      label: f.label,
      probabilities: Object.fromEntries(Object.entries(f.probabilities).map(([k, v]) => [k, round(v, 4)])),
      keypoints: Object.fromEntries(f.keypoints.map((k) => [k.name, [round(k.x, 1), round(k.y, 1)]])),
    })),
  };
}

/** Writes `image` with the faces drawn into `dir`, named as `file` (JPEG for JPEG files, else PNG); returns its path. */
export function writePicture(dir: string, file: string, image: PixelImage, faces: readonly RecognizedFace[]): string {
  const drawn = drawFaces(image, faces);
  const ext = path.extname(file).toLowerCase();
  const jpegOut = ext === '.jpg' || ext === '.jpeg';
  const out = path.join(dir, path.basename(file, path.extname(file)) + (jpegOut ? '.jpg' : '.png'));
  if (jpegOut) {
    writeFileSync(out, jpeg.encode({ width: drawn.width, height: drawn.height, data: drawn.data }, 90).data);
  } else {
    const png = new pngjs.PNG({ width: drawn.width, height: drawn.height });
    png.data = Buffer.from(drawn.data.buffer, drawn.data.byteOffset, drawn.data.byteLength);
    writeFileSync(out, pngjs.PNG.sync.write(png));
  }
  return out;
}

function tableRows(file: string, image: PixelImage, faces: readonly RecognizedFace[]): string[][] {
  const size = `${image.width}x${image.height}`;
  if (faces.length === 0) return [[file, size, '0', '', '', '', '']];
  return faces.map((f, i) => [
    i === 0 ? file : '',
    i === 0 ? size : '',
    i === 0 ? String(faces.length) : '',
    String(i + 1),
    [f.box.x, f.box.y, f.box.width, f.box.height].map((v) => Math.round(v)).join(', '),
    f.score.toFixed(2),
    faceLabel(f),
  ]);
}

function printTable(rows: string[][]): void {
  const head = ['file', 'size', 'faces', '#', 'box (x, y, w, h)', 'score', 'expression'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((v, c) => v.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('find the faces in photos (PNG/JPEG) and the expression of each: a table, JSON lines (--json) or pictures (--out)')
    .argument('<files...>', 'image files')
    .option(
      '--json',
      'one JSON line per file: {"file", "width", "height", "faces": [{"box": [x, y, w, h], "score", "label", "probabilities", "keypoints"}]}',
    )
    .option('--out <dir>', 'write each photo with its faces drawn into this folder')
    .option('--range <range>', 'BlazeFace detector: full (small faces, group photos) or short (faces near the camera)', 'full')
    .option('--min-score <x>', 'lowest detector score kept (default 0.6 full range, 0.5 short range)')
    .option('--max-faces <n>', 'most faces per photo')
    .option('--weights <file>', `expression model checkpoint (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`)
    .option('--no-calibration', "ignore the expression checkpoint's calibration (temperature, logit bias; see fer-gpu calibrate)")
    .option('--on-error <mode>', 'an unreadable image: throw (stop, naming it) or skip (report it on stderr and go on)', 'throw')
    .action(
      async (
        files: string[],
        o: {
          json?: boolean;
          out?: string;
          range: string;
          minScore?: string;
          maxFaces?: string;
          weights?: string;
          calibration: boolean;
          onError: string;
        },
      ) => {
        if (o.range !== 'full' && o.range !== 'short') throw new InputError(`--range must be full or short, got '${o.range}'`);
        if (o.onError !== 'throw' && o.onError !== 'skip') throw new InputError(`--on-error must be throw or skip, got '${o.onError}'`);
        const minScore = o.minScore === undefined ? undefined : Number(o.minScore);
        if (minScore !== undefined && !(minScore >= 0 && minScore <= 1))
          throw new InputError(`--min-score must be a number in [0, 1], got '${o.minScore}'`);
        const maxFaces = o.maxFaces === undefined ? undefined : Number(o.maxFaces);
        if (maxFaces !== undefined && !(Number.isInteger(maxFaces) && maxFaces >= 0))
          throw new InputError(`--max-faces must be a non-negative integer, got '${o.maxFaces}'`);
        if (o.out) mkdirSync(o.out, { recursive: true });
        const range = o.range as BlazeFaceRange;
        const device = await createDevice();
        const rows: string[][] = [];
        let skipped = 0;
        try {
          const models = loadFaceModels(device, { ranges: [range], weights: o.weights });
          if (!o.calibration) models.expression.calibration = null;
          try {
            for (let at = 0; at < files.length; at += BATCH) {
              const batch: Array<{ file: string; image: PixelImage }> = [];
              for (const file of files.slice(at, at + BATCH)) {
                try {
                  batch.push({ file, image: readImageInput(file).image });
                } catch (e) {
                  if (o.onError === 'throw' || !(e instanceof Error && (e instanceof InputError || e.name === 'FerDataError'))) throw e;
                  skipped++;
                  console.error(`fer-gpu: skipped ${(e as Error).message}`);
                }
              }
              const results = await recognizeInImages(
                models,
                batch.map((b) => b.image),
                { range, minScore, maxFaces },
                batch.map((b) => b.file),
              );
              batch.forEach(({ file, image }, i) => {
                const faces = results[i]!;
                if (o.json) console.log(JSON.stringify(detectJson(file, image, faces)));
                else rows.push(...tableRows(file, image, faces));
                if (o.out) {
                  const written = writePicture(o.out, file, image, faces);
                  if (!o.json) rows.at(-1)!.push(`-> ${written}`);
                }
              });
            }
          } finally {
            models.dispose();
          }
        } finally {
          device.destroy();
        }
        if (!o.json) printTable(rows);
        if (skipped > 0) console.error(`fer-gpu: skipped ${skipped} of ${files.length} files`);
      },
    );
}
