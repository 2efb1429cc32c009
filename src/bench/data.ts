/**
 * The data suite: FER2013 CSV parsing (rows/s), an image folder loaded cold (every JPEG decoded)
 * and cached (the decoded cache read back), JPEG/PNG decoding (images/s), and GPU augmentation
 * of a batch (images/s) against its CPU reference. Inputs are synthetic faces (or a CSV / image
 * folder the caller names), so the suite needs no dataset.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import type { Device } from '../gpu/device.js';
import { Rng } from '../random.js';
import { FER_PIXELS } from '../data/dataset.js';
import { syntheticFaces } from '../data/synthetic.js';
import { loadFer2013Csv } from '../data/csv.js';
import { loadImageFolder } from '../data/folder.js';
import { FER_CLASSES } from '../classes.js';
import { decodeImageFile } from '../data/image.js';
import { GpuImages, augmentBatch, augmentReference, drawAugmentParams, imageMean } from '../data/augment/index.js';
import type { BenchRow } from './schema.js';
import { summarize } from './schema.js';
import { makeRow, plan, referencePlan, timeCpu, timeGpu, wanted, type SuiteOptions } from './measure.js';

const CSV_ROWS = 2000;
const FOLDER_IMAGES = 700;
const DECODE_IMAGES = 256;
const AUG_BATCH = 256;
const AUG_POOL = 1024;

/** Writes `count` synthetic faces as a FER2013 CSV (emotion,pixels,Usage). */
export function writeSyntheticCsv(file: string, count: number, seed = 0): void {
  const ds = syntheticFaces({ count, seed, split: 'Training' });
  const lines = ['emotion,pixels,Usage'];
  for (let i = 0; i < count; i++) {
    lines.push(`${ds.labels[i]},${Array.from(ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS)).join(' ')},Training`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

/** Writes `count` synthetic faces as JPEGs in the image-folder layout (train/<class>/<n>.jpg). */
export function writeSyntheticFolder(dir: string, count: number, seed = 0): void {
  const ds = syntheticFaces({ count, seed, split: 'Training' });
  for (let i = 0; i < count; i++) {
    const folder = path.join(dir, 'train', FER_CLASSES[ds.labels[i]!]!);
    fs.mkdirSync(folder, { recursive: true });
    const img = { width: 48, height: 48, data: rgba(ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS)) };
    fs.writeFileSync(path.join(folder, `${i}.jpg`), jpeg.encode(img, 90).data);
  }
}

/** 48x48 gray to RGBA, as the encoders want. */
function rgba(gray: Uint8Array): Buffer {
  const out = Buffer.alloc(gray.length * 4, 255);
  for (let i = 0; i < gray.length; i++) out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = gray[i]!;
  return out;
}

/** Runs the data suite; `csvFile` replaces the synthetic CSV when given. */
export async function runDataSuite(
  device: Device,
  opts: SuiteOptions & { csvFile?: string | null; folder?: string | null },
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const it = plan(opts);
  const faces = syntheticFaces({ count: Math.max(DECODE_IMAGES, AUG_POOL), seed: 3, split: 'Training' });

  if (wanted(opts, 'data.csv')) {
    opts.log('data: CSV parse');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-gpu-bench-'));
    try {
      let file = opts.csvFile ?? null;
      let source = `synthetic CSV of ${CSV_ROWS} rows`;
      if (!file) {
        file = path.join(tmp, 'synthetic.csv');
        writeSyntheticCsv(file, CSV_ROWS);
      } else {
        source = path.basename(file);
      }
      let count = 0;
      const times = await timeCpu(async () => {
        count = (await loadFer2013Csv(file, { cache: false })).length;
      }, it);
      rows.push(
        makeRow(
          { id: 'data.csv', name: 'CSV parse (loadFer2013Csv)', suite: 'data', shape: `${count} rows`, unit: 'rows/s', work: count },
          times,
          it,
          {
            note: [source],
          },
        ),
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  if (wanted(opts, 'data.folder')) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-gpu-bench-'));
    try {
      let dir = opts.folder ?? null;
      let source = `synthetic folder of ${FOLDER_IMAGES} JPEGs`;
      if (!dir) {
        dir = path.join(tmp, 'faces');
        writeSyntheticFolder(dir, FOLDER_IMAGES);
      } else source = path.basename(path.resolve(dir));
      const cacheDir = path.join(tmp, 'cache');
      let count = 0;
      for (const mode of ['cold', 'cached'] as const) {
        if (!wanted(opts, `data.folder-${mode}`)) continue;
        opts.log(`data: image folder, ${mode}`);
        if (mode === 'cached') await loadImageFolder(dir, { cache: cacheDir }); // writes the cache
        const times = await timeCpu(async () => {
          count = (await loadImageFolder(dir, { cache: mode === 'cold' ? false : cacheDir })).length;
        }, it);
        const how =
          mode === 'cold' ? 'every image decoded (cache: false)' : 'the decoded cache read back (file listing + content hash + cache read)';
        rows.push(
          makeRow(
            {
              id: `data.folder-${mode}`,
              name: `image folder, ${mode} (loadImageFolder)`,
              suite: 'data',
              shape: `${count} images`,
              unit: 'images/s',
              work: count,
            },
            times,
            it,
            { note: [source, how] },
          ),
        );
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  for (const format of ['jpeg', 'png'] as const) {
    const id = `data.decode-${format}`;
    if (!wanted(opts, id)) continue;
    opts.log(`data: decode ${format}`);
    const files: Uint8Array[] = [];
    for (let i = 0; i < DECODE_IMAGES; i++) {
      const img = { width: 48, height: 48, data: rgba(faces.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS)) };
      files.push(format === 'jpeg' ? jpeg.encode(img, 90).data : pngjs.PNG.sync.write(img as pngjs.PNG, { colorType: 0 }));
    }
    const times = await timeCpu(() => {
      for (let i = 0; i < files.length; i++) decodeImageFile(files[i]!, `bench-${i}.${format}`);
    }, it);
    const what = format === 'jpeg' ? 'JPEG (jpeg-js, quality 90)' : 'PNG (pngjs, gray)';
    rows.push(
      makeRow(
        {
          id,
          name: `decode ${format.toUpperCase()} (decodeImage)`,
          suite: 'data',
          shape: `${DECODE_IMAGES} x 48x48`,
          unit: 'images/s',
          work: DECODE_IMAGES,
        },
        times,
        it,
        {
          note: [`${what} encoded from synthetic faces`],
        },
      ),
    );
  }

  if (wanted(opts, 'data.augment')) {
    opts.log('data: GPU augmentation');
    const pixels = faces.pixels.subarray(0, AUG_POOL * FER_PIXELS);
    const images = new GpuImages(device, pixels);
    try {
      const rng = new Rng(4);
      const sources = Int32Array.from({ length: AUG_BATCH }, () => rng.int(AUG_POOL));
      const params = drawAugmentParams(
        rng,
        Array.from(sources, (s) => imageMean(pixels, s * FER_PIXELS)),
      );
      const { times } = await timeGpu(device, () => augmentBatch(images, sources, params).dispose(), it);
      const refTimes = await timeCpu(() => augmentReference(pixels, sources, params, 0.5, 0.5), referencePlan(it));
      rows.push(
        makeRow(
          {
            id: 'data.augment',
            name: 'GPU augmentation (augmentBatch)',
            suite: 'data',
            shape: `batch ${AUG_BATCH} x 48x48 of ${AUG_POOL} resident`,
            unit: 'images/s',
            work: AUG_BATCH,
          },
          times,
          it,
          {
            reference: { ms: summarize(refTimes).median, scale: 1 },
            note: ['flip, crop, rotation, scale, jitter, erasing; vs augmentReference on the CPU'],
          },
        ),
      );
    } finally {
      images.dispose();
    }
  }
  return rows;
}
