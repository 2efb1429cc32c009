import { createHash } from 'node:crypto';
import path from 'node:path';
import { InputError } from '../errors.js';
import { FER_CLASSES } from '../classes.js';
import { FER_PIXELS, FER_SPLITS, splitId, splitIndices, subset, type FerDataset, type FerSplit, type LoadIssue } from './dataset.js';

/** The key duplicates are found by: a hash (SHA-1, base64) of image `i`'s decoded 48x48 pixels. */
export function pixelHash(ds: FerDataset, i: number): string {
  return createHash('sha1')
    .update(ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS))
    .digest('base64');
}

/** What {@link findTrainingDuplicates} found. */
export interface TrainingDuplicates {
  /** Images of the searched splits whose exact pixels also occur in Training, in dataset order. */
  indices: number[];
  /** Of those, images none of whose Training copies has the same class. */
  otherClass: number;
  /** Images searched (in the given splits). */
  searched: number;
}

/** Non-Training splits: where FER2013's train/test leakage is looked for by default. */
const EVAL_SPLITS = FER_SPLITS.filter((s) => s !== 'Training');

/**
 * Images of `split` (default: every split but Training) whose decoded pixels also occur in the
 * Training split: FER2013's train/test leakage (568 of its 7,178 test images). Same hash and
 * rule as {@link checkDataset}'s `evalInTraining`.
 */
export function findTrainingDuplicates(ds: FerDataset, split: FerSplit | readonly FerSplit[] = EVAL_SPLITS): TrainingDuplicates {
  const train = splitId('Training');
  const labelsInTraining = new Map<string, Set<number>>();
  for (let i = 0; i < ds.length; i++) {
    if (ds.splits[i] !== train) continue;
    const h = pixelHash(ds, i);
    const set = labelsInTraining.get(h);
    if (set) set.add(ds.labels[i]!);
    else labelsInTraining.set(h, new Set([ds.labels[i]!]));
  }
  const searched = splitIndices(ds, split).filter((i) => ds.splits[i] !== train);
  const indices: number[] = [];
  let otherClass = 0;
  for (const i of searched) {
    const labels = labelsInTraining.get(pixelHash(ds, i));
    if (!labels) continue;
    indices.push(i);
    if (!labels.has(ds.labels[i]!)) otherClass++;
  }
  return { indices, otherClass, searched: searched.length };
}

/**
 * The images of `split` without those whose pixels also occur in Training (a new dataset holding
 * only them, with their split ids kept), and what was removed. For evaluating on test images a
 * model cannot have memorised.
 * @throws InputError when the dataset has no Training split to compare with.
 */
export function withoutTrainingDuplicates(
  ds: FerDataset,
  split: FerSplit | readonly FerSplit[],
): { dataset: FerDataset; removed: TrainingDuplicates } {
  if (!ds.splits.includes(splitId('Training'))) {
    throw new InputError(`${ds.source}: has no Training images, so test images duplicating Training cannot be found`);
  }
  const removed = findTrainingDuplicates(ds, split);
  const drop = new Set(removed.indices);
  const kept = splitIndices(ds, split).filter((i) => !drop.has(i));
  return { dataset: subset(ds, kept), removed };
}

/** Options of {@link checkDataset}. */
export interface CheckOptions {
  /** Images whose pixel standard deviation (0-255 scale) is below this, but not 0, are "near-constant". Default 2. */
  nearConstantStd?: number;
}

/** Images of split `split` whose exact pixels also occur in the earlier split `alsoIn` (e.g. test images also in Training). */
export interface CrossSplitDuplicates {
  split: FerSplit;
  alsoIn: FerSplit;
  /** Images of `split` with a copy in `alsoIn`. */
  count: number;
  /** Of those, images none of whose copies in `alsoIn` has the same class. */
  otherClass: number;
}

/** What {@link checkDataset} found. All duplicate counts compare decoded pixels (48x48 bytes). */
export interface DataCheckReport {
  source: string;
  images: number;
  /** Per split present: images per class id (FER_CLASSES order) and in total. */
  counts: { split: FerSplit; perClass: number[]; total: number }[];
  /** Images whose pixels are all equal (e.g. all black). */
  blank: { key: string; value: number }[];
  /** Images with 0 < std < nearConstantStd. */
  nearConstant: { key: string; std: number }[];
  nearConstantStd: number;
  duplicates: {
    /** Distinct pixel contents. */
    distinct: number;
    /** images - distinct: copies beyond the first of each content. */
    redundant: number;
    /** Contents held by more than one image. */
    groups: number;
    /** Redundant copies inside each split. */
    withinSplit: { split: FerSplit; redundant: number }[];
    /** Leakage between splits (non-zero pairs only). */
    crossSplit: CrossSplitDuplicates[];
    /** Images outside Training that also occur in Training (train/test leakage), and how many of those in another class. */
    evalInTraining: { count: number; otherClass: number };
    /** Duplicate groups whose images carry different labels. */
    conflictingLabels: { keys: string[]; labels: number[] }[];
  };
  /** Rows or files that could not be read (from the load with onError 'skip'). */
  issues: LoadIssue[];
  /** True when every row/file could be read. Findings above do not make it false. */
  ok: boolean;
}

/**
 * Checks a loaded dataset: counts per split and class, blank and near-constant images, exact
 * duplicates (hash of the decoded pixels) within and across splits, and duplicate groups with
 * conflicting labels. The load's `issues` are carried over; `ok` is false when there are any.
 */
export function checkDataset(ds: FerDataset, opts: CheckOptions = {}): DataCheckReport {
  const nearConstantStd = opts.nearConstantStd ?? 2;
  const perSplit = FER_SPLITS.map(() => new Array<number>(FER_CLASSES.length).fill(0));
  const blank: DataCheckReport['blank'] = [];
  const nearConstant: DataCheckReport['nearConstant'] = [];
  const groups = new Map<string, number[]>();

  for (let i = 0; i < ds.length; i++) {
    perSplit[ds.splits[i]!]![ds.labels[i]!]!++;
    const px = ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
    let sum = 0;
    let sumSq = 0;
    let min = 255;
    let max = 0;
    for (let k = 0; k < FER_PIXELS; k++) {
      const v = px[k]!;
      sum += v;
      sumSq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / FER_PIXELS;
    const std = Math.sqrt(Math.max(0, sumSq / FER_PIXELS - mean * mean));
    if (min === max) blank.push({ key: ds.keys[i]!, value: min });
    else if (std < nearConstantStd) nearConstant.push({ key: ds.keys[i]!, std });
    const h = pixelHash(ds, i);
    const g = groups.get(h);
    if (g) g.push(i);
    else groups.set(h, [i]);
  }

  const counts = FER_SPLITS.map((split, s) => ({ split, perClass: perSplit[s]!, total: perSplit[s]!.reduce((a, b) => a + b, 0) })).filter(
    (c) => c.total > 0,
  );

  const withinRedundant = new Array<number>(FER_SPLITS.length).fill(0);
  const cross = new Map<string, CrossSplitDuplicates>();
  const conflictingLabels: DataCheckReport['duplicates']['conflictingLabels'] = [];
  let dupGroups = 0;
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    dupGroups++;
    const labels = members.map((i) => ds.labels[i]!);
    if (new Set(labels).size > 1) conflictingLabels.push({ keys: members.map((i) => ds.keys[i]!), labels });
    // Labels present per split within this group.
    const labelsIn = new Map<number, Set<number>>();
    const countIn = new Map<number, number>();
    for (const i of members) {
      const s = ds.splits[i]!;
      if (!labelsIn.has(s)) labelsIn.set(s, new Set());
      labelsIn.get(s)!.add(ds.labels[i]!);
      countIn.set(s, (countIn.get(s) ?? 0) + 1);
    }
    for (const [s, c] of countIn) withinRedundant[s]! += c - 1;
    for (const i of members) {
      const b = ds.splits[i]!;
      for (const [a, aLabels] of labelsIn) {
        if (a >= b) continue;
        const key = `${a}/${b}`;
        const entry = cross.get(key) ?? { split: FER_SPLITS[b]!, alsoIn: FER_SPLITS[a]!, count: 0, otherClass: 0 };
        entry.count++;
        if (!aLabels.has(ds.labels[i]!)) entry.otherClass++;
        cross.set(key, entry);
      }
    }
  }
  const crossSplit = [...cross.values()].sort(
    (x, y) => FER_SPLITS.indexOf(x.alsoIn) - FER_SPLITS.indexOf(y.alsoIn) || FER_SPLITS.indexOf(x.split) - FER_SPLITS.indexOf(y.split),
  );
  const fromTraining = crossSplit.filter((c) => c.alsoIn === 'Training');
  return {
    source: ds.source,
    images: ds.length,
    counts,
    blank,
    nearConstant,
    nearConstantStd,
    duplicates: {
      distinct: groups.size,
      redundant: ds.length - groups.size,
      groups: dupGroups,
      withinSplit: FER_SPLITS.map((split, s) => ({ split, redundant: withinRedundant[s]! })).filter((w) =>
        perSplit[FER_SPLITS.indexOf(w.split)]!.some((c) => c > 0),
      ),
      crossSplit,
      evalInTraining: {
        count: fromTraining.reduce((a, c) => a + c.count, 0),
        otherClass: fromTraining.reduce((a, c) => a + c.otherClass, 0),
      },
      conflictingLabels,
    },
    issues: ds.issues,
    ok: ds.issues.length === 0,
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Renders a {@link DataCheckReport} as a terminal table with the findings below it (at most `maxListed` examples each). */
export function formatCheckReport(r: DataCheckReport, maxListed = 10): string {
  const short = (key: string) => {
    const rel = path.relative(path.resolve(r.source), key);
    return rel && !rel.startsWith('..') ? rel : path.basename(key);
  };
  const lines: string[] = [`FER data check: ${r.source} (${fmt(r.images)} images)`, ''];
  const header = ['split', ...FER_CLASSES, 'total'];
  const rows = r.counts.map((c) => [c.split, ...c.perClass.map(fmt), fmt(c.total)]);
  const all = FER_CLASSES.map((_, k) => r.counts.reduce((a, c) => a + c.perClass[k]!, 0));
  rows.push(['all', ...all.map(fmt), fmt(r.images)]);
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j]!.length)));
  const render = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  lines.push(render(header), ...rows.map(render), '');

  const list = <T>(items: T[], show: (t: T) => string) => {
    for (const t of items.slice(0, maxListed)) lines.push(`    ${show(t)}`);
    if (items.length > maxListed) lines.push(`    … and ${fmt(items.length - maxListed)} more (see --json)`);
  };
  lines.push(`Blank images (all pixels equal): ${fmt(r.blank.length)}`);
  list(r.blank, (b) => `${short(b.key)} (value ${b.value})`);
  lines.push(`Near-constant images (pixel std < ${r.nearConstantStd}): ${fmt(r.nearConstant.length)}`);
  list(r.nearConstant, (b) => `${short(b.key)} (std ${b.std.toFixed(2)})`);

  const d = r.duplicates;
  lines.push(
    `Exact duplicates (identical decoded pixels): ${fmt(d.distinct)} distinct images; ${fmt(d.redundant)} redundant copies in ${fmt(d.groups)} groups`,
  );
  for (const w of d.withinSplit) lines.push(`    within ${w.split}: ${fmt(w.redundant)} redundant copies`);
  for (const c of d.crossSplit)
    lines.push(`    ${c.split} images also in ${c.alsoIn}: ${fmt(c.count)} (${fmt(c.otherClass)} of them in a different class there)`);
  lines.push(
    `Train/test leakage: ${fmt(d.evalInTraining.count)} non-Training images also appear in Training (${fmt(d.evalInTraining.otherClass)} with a different class there)`,
  );
  lines.push(`Duplicate groups with conflicting labels: ${fmt(d.conflictingLabels.length)}`);
  list(d.conflictingLabels, (g) => g.keys.map((k, j) => `${short(k)}=${FER_CLASSES[g.labels[j]!]}`).join(', '));

  lines.push(`Unreadable rows/files: ${fmt(r.issues.length)}`);
  for (const i of r.issues) lines.push(`    ${i.location}: ${i.message}`);
  lines.push('', r.ok ? 'OK: every row/file could be read.' : `FAILED: ${fmt(r.issues.length)} rows/files could not be read.`);
  return lines.join('\n');
}
