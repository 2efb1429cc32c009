import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { FER_CLASSES } from '../classes.js';
import { cacheFile, contentKey, fileDigest, readCache, writeCache, type CacheOption } from './cache.js';
import {
  DatasetBuilder,
  FER_PIXELS,
  FerDataError,
  splitIndices,
  splitId,
  subset,
  type FerDataset,
  type FerSplit,
  type LoadIssue,
  type OnError,
  type SkipOptions,
  reportSkipped,
} from './dataset.js';

/** The `Usage` values of fer2013.csv. */
export type FerUsage = 'Training' | 'PublicTest' | 'PrivateTest';
const USAGES: readonly string[] = ['Training', 'PublicTest', 'PrivateTest'];

/** Options of {@link loadFer2013Csv}. */
export interface LoadCsvOptions extends SkipOptions {
  /** Keep only rows with this `Usage` (or these). Default: all rows. */
  usage?: FerUsage | readonly FerUsage[];
  /** Decoded cache: `true` (default) in the user's cache folder (see cache.ts), `false` for none, or a cache folder. */
  cache?: CacheOption;
}

/**
 * Streams a FER2013 CSV (`emotion,pixels,Usage`; `Usage` may be absent, then every row is
 * Training) with csv-parse, never holding the file as one string. Each row becomes one 48x48
 * image keyed `<absolute csv path>:<line>`; `Usage` becomes the split.
 *
 * Bad input (missing/wrong header, empty file, wrong column or pixel count, non-numeric pixel,
 * pixel outside 0-255, label outside 0-6, unknown Usage) throws a {@link FerDataError} naming
 * `file:line`, or with `onError: 'skip'` skips the row and records it in `issues`.
 * A header problem or an empty file always throws.
 */
export async function loadFer2013Csv(file: string, opts: LoadCsvOptions = {}): Promise<FerDataset> {
  const t0 = performance.now();
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw new FerDataError(file, `cannot read CSV: ${(e as Error).message}`);
  }
  if (!stat.isFile()) throw new FerDataError(file, 'not a file');
  if (stat.size === 0) throw new FerDataError(file, 'empty file (expected header emotion,pixels,Usage)');

  const cacheOpt = opts.cache ?? true;
  const cache = cacheFile(file, cacheOpt);
  let key = '';
  try {
    if (cache) key = contentKey([{ name: path.basename(file), digest: fileDigest(file) }]);
  } catch (e) {
    throw new FerDataError(file, `cannot read CSV: ${(e as Error).message}`);
  }
  const hit = readCache(cache, key, file);
  let ds: FerDataset;
  if (hit) {
    ds = { ...hit.ds, info: { cache: 'hit', cachePath: hit.path, ms: 0 } };
  } else {
    ds = await parseCsv(file, stat.size, opts.onError ?? 'throw');
    let info: FerDataset['info'] = { cache: 'off', ms: 0 };
    if (cacheOpt !== false) {
      // Only complete loads are cached, so a cached load never hides a bad row.
      const written = ds.issues.length === 0 ? writeCache(cache, key, ds) : null;
      info = written ? { cache: 'written', cachePath: written, ms: 0 } : { cache: 'not-written', ms: 0 };
    }
    ds = { ...ds, info };
  }
  if (opts.usage !== undefined) {
    const wanted = (typeof opts.usage === 'string' ? [opts.usage] : opts.usage) as readonly FerSplit[];
    for (const u of wanted)
      if (!USAGES.includes(u)) throw new Error(`loadFer2013Csv: unknown usage '${u}' (expected ${USAGES.join(', ')})`);
    ds = subset(ds, splitIndices(ds, wanted));
  }
  reportSkipped(ds, opts.onSkip);
  return { ...ds, info: { ...ds.info!, ms: performance.now() - t0 } };
}

interface Columns {
  emotion: number;
  pixels: number;
  usage: number; // -1 when absent
  count: number;
}

function parseHeader(record: string[], file: string): Columns {
  const names = record.map((c) => c.trim().toLowerCase());
  const shown = record.join(',').slice(0, 60);
  if (names.length > 0 && /^\d/.test(names[0]!)) {
    throw new FerDataError(`${file}:1`, `missing header: expected 'emotion,pixels,Usage', got '${shown}…'`);
  }
  const known = ['emotion', 'pixels', 'usage'];
  const unknown = names.filter((n) => !known.includes(n));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (unknown.length || dup || !names.includes('emotion') || !names.includes('pixels')) {
    throw new FerDataError(`${file}:1`, `wrong header '${shown}': expected the columns emotion,pixels,Usage (Usage optional)`);
  }
  return { emotion: names.indexOf('emotion'), pixels: names.indexOf('pixels'), usage: names.indexOf('usage'), count: names.length };
}

/**
 * Parses 2304 space-separated integers 0-255 into `out`. Returns null on success, else a message
 * naming the first bad value.
 */
export function parsePixels(field: string, out: Uint8Array): string | null {
  let n = 0;
  let v = -1; // value being read, -1 between numbers
  for (let i = 0; i <= field.length; i++) {
    const c = i < field.length ? field.charCodeAt(i) : 32;
    if (c >= 48 && c <= 57) {
      v = v < 0 ? c - 48 : v * 10 + (c - 48);
      if (v > 255) return describeBadPixels(field);
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (v >= 0) {
        if (n >= FER_PIXELS) return describeBadPixels(field);
        out[n++] = v;
        v = -1;
      }
    } else {
      return describeBadPixels(field);
    }
  }
  return n === FER_PIXELS ? null : describeBadPixels(field);
}

/** Slow path of {@link parsePixels}: says exactly what is wrong. */
function describeBadPixels(field: string): string {
  const tokens = field
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0);
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (/^-?\d+$/.test(t)) {
      if (Number(t) > 255 || t.startsWith('-')) return `pixel ${k + 1} is ${t}, outside the integers 0-255`;
    } else if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) {
      return `pixel ${k + 1} is '${t.slice(0, 20)}', not an integer 0-255 written in digits`;
    } else {
      return `pixel ${k + 1} is '${t.slice(0, 20)}', not a number`;
    }
  }
  return `expected ${FER_PIXELS} pixels (48x48), got ${tokens.length}`;
}

async function parseCsv(file: string, size: number, onError: OnError): Promise<FerDataset> {
  const abs = path.resolve(file);
  const builder = new DatasetBuilder(Math.ceil(size / 8000));
  const issues: LoadIssue[] = [];
  const scratch = new Uint8Array(FER_PIXELS);
  const training = splitId('Training');
  let cols: Columns | null = null;

  const parser = parse({ info: true, relax_column_count: true, bom: true, skip_empty_lines: true });
  // pipe() does not forward the file's errors (EACCES, EIO…): route them into the parser, so the
  // loop below rejects instead of the process dying of an unhandled 'error' event.
  let readError: Error | undefined;
  const input = fs.createReadStream(file);
  input.on('error', (e) => {
    readError = e;
    parser.destroy(e);
  });
  input.pipe(parser);
  let lastLine = 0; // the line of the last complete record
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      lastLine = line;
      if (!cols) {
        cols = parseHeader(record, file);
        continue;
      }
      const problem = checkRow(record, cols, scratch);
      if (typeof problem === 'string') {
        const issue = { location: `${file}:${line}`, message: problem };
        if (onError === 'throw') throw new FerDataError(issue.location, issue.message);
        issues.push(issue);
        continue;
      }
      builder.push(problem.label, problem.split < 0 ? training : problem.split, `${abs}:${line}`).set(scratch);
    }
  } catch (e) {
    if (e instanceof FerDataError) throw e;
    if (readError) throw new FerDataError(file, `cannot read CSV: ${readError.message}`);
    // csv-parse finds an unclosed quote only at the end of the file: it opened in the record after the last complete one.
    if ((e as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED') {
      throw new FerDataError(`${file}:${lastLine + 1}`, 'a quoted field is never closed (a " opens in this row and no " ends it)');
    }
    // Other csv-parse errors say where.
    const where = (e as { lines?: number }).lines;
    throw new FerDataError(where ? `${file}:${where}` : file, `cannot parse CSV: ${(e as Error).message}`);
  } finally {
    parser.destroy();
    input.destroy();
  }
  if (!cols) throw new FerDataError(file, 'empty file (expected header emotion,pixels,Usage)');
  if (builder.length === 0 && issues.length === 0) throw new FerDataError(file, 'no data rows after the header');
  return builder.build(file, issues);
}

/** Validates one data row, filling `scratch` with its pixels. Returns label and split id, or a message. */
function checkRow(record: string[], cols: Columns, scratch: Uint8Array): { label: number; split: number } | string {
  if (record.length !== cols.count) return `expected ${cols.count} columns, got ${record.length}`;
  const emotion = record[cols.emotion]!.trim();
  if (!/^\d+$/.test(emotion) || Number(emotion) >= FER_CLASSES.length) {
    return `label '${emotion.slice(0, 20)}' is outside 0-${FER_CLASSES.length - 1} (${FER_CLASSES.join(', ')})`;
  }
  let split = -1;
  if (cols.usage >= 0) {
    const usage = record[cols.usage]!.trim();
    if (!USAGES.includes(usage)) return `unknown Usage '${usage.slice(0, 30)}' (expected ${USAGES.join(', ')})`;
    split = splitId(usage);
  }
  const bad = parsePixels(record[cols.pixels]!, scratch);
  if (bad) return bad;
  return { label: Number(emotion), split };
}
