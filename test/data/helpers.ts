import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Real data in ../shared relative to the repo root (tests skip with a message when it is absent). */
export const SHARED = path.resolve(__dirname, '../../../shared/data');
export const FER_DIR = path.join(SHARED, 'fer2013');
export const SAMPLE_CSV = path.join(SHARED, 'fer2013-sample.csv');
export const HAVE_FOLDER = fs.existsSync(path.join(FER_DIR, 'train'));
export const HAVE_SAMPLE = fs.existsSync(SAMPLE_CSV);
if (!HAVE_FOLDER) console.warn(`skipping real-folder tests: ${FER_DIR} is absent`);
if (!HAVE_SAMPLE) console.warn(`skipping sample-CSV tests: ${SAMPLE_CSV} is absent`);

/** A fresh temporary directory. */
export function tmpDir(prefix = 'fer-data-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A CSV row: label, 2304 pixels (all `fill`), usage. */
export function row(label: number | string, fill = 7, usage = 'Training', count = 2304): string {
  return `${label},${new Array(count).fill(fill).join(' ')},${usage}`;
}
