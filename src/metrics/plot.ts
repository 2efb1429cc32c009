/**
 * Confusion-matrix, per-class precision/recall/F1 and face-grid pictures as PNG or SVG: their
 * layouts, as scenes that scene.ts renders in either format.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { normalizeConfusion } from './classification.js';
import type { ReportData } from './report.js';
import { renderScene, textWidth, TEXT_HEIGHT, type PlotFormat, type Scene } from './scene.js';

export type { PlotFormat } from './scene.js';

const INK = '#222222';

/** Options of {@link renderConfusionMatrix}. */
export interface ConfusionPlotOptions<F extends PlotFormat = PlotFormat> {
  format: F;
  /** Names of the classes, in row order; default the row indices. */
  classNames?: readonly string[];
  /** Normalise the counts before drawing (`'true'` = row-normalised); cells then show 2 decimals. */
  normalize?: 'true' | 'pred' | 'all';
  /** With `normalize`: also print each cell's count, in brackets under the fraction (default true). */
  showCounts?: boolean;
  /** Title above the matrix; a default names the normalisation. */
  title?: string;
}

/**
 * Draws a confusion matrix (rows = true class, columns = predicted class) with class names on
 * both axes and the value in each cell, shaded from white to dark blue.
 * @returns a PNG `Buffer` for `format: 'png'`, an SVG string for `format: 'svg'`.
 */
export function renderConfusionMatrix(cm: readonly (readonly number[])[], options: ConfusionPlotOptions<'png'>): Buffer;
export function renderConfusionMatrix(cm: readonly (readonly number[])[], options: ConfusionPlotOptions<'svg'>): string;
export function renderConfusionMatrix(cm: readonly (readonly number[])[], options: ConfusionPlotOptions): Buffer | string;
export function renderConfusionMatrix(cm: readonly (readonly number[])[], options: ConfusionPlotOptions): Buffer | string {
  return renderScene(confusionScene(cm, options), options.format);
}

/** Options of {@link renderPerClassBars}. */
export interface BarsPlotOptions<F extends PlotFormat = PlotFormat> {
  format: F;
  title?: string;
}

/**
 * Draws grouped bars of precision, recall and F1 for each class of a classification report, with
 * the class name and support under each group. NaN scores are drawn as empty bars.
 * @returns a PNG `Buffer` for `format: 'png'`, an SVG string for `format: 'svg'`.
 */
export function renderPerClassBars(report: Pick<ReportData, 'classes'>, options: BarsPlotOptions<'png'>): Buffer;
export function renderPerClassBars(report: Pick<ReportData, 'classes'>, options: BarsPlotOptions<'svg'>): string;
export function renderPerClassBars(report: Pick<ReportData, 'classes'>, options: BarsPlotOptions): Buffer | string;
export function renderPerClassBars(report: Pick<ReportData, 'classes'>, options: BarsPlotOptions): Buffer | string {
  return renderScene(barsScene(report, options), options.format);
}

/** One face of {@link renderFaceGrid}: a 48x48 gray image and the caption lines under it. */
export interface GridFace {
  /** 48 * 48 gray pixels, row-major (as `FerDataset.pixels` holds them). */
  pixels: Uint8Array;
  caption: readonly string[];
  /** Colour of the caption (e.g. green for a right prediction); default dark gray. */
  color?: string;
}

/** Options of {@link renderFaceGrid}. */
export interface FaceGridOptions<F extends PlotFormat = PlotFormat> {
  format: F;
  title?: string;
  /** Faces per row (default 7, one per FER2013 class). */
  columns?: number;
  /** Each face is drawn `scale` times larger (default 3). */
  scale?: number;
}

/**
 * Draws faces in a grid with a caption under each (for example the predicted expression and its
 * probability).
 * @returns a PNG `Buffer` for `format: 'png'`, an SVG string for `format: 'svg'`.
 */
export function renderFaceGrid(faces: readonly GridFace[], options: FaceGridOptions<'png'>): Buffer;
export function renderFaceGrid(faces: readonly GridFace[], options: FaceGridOptions<'svg'>): string;
export function renderFaceGrid(faces: readonly GridFace[], options: FaceGridOptions): Buffer | string;
export function renderFaceGrid(faces: readonly GridFace[], options: FaceGridOptions): Buffer | string {
  return renderScene(faceGridScene(faces, options), options.format);
}

/** What {@link writePlot} draws. */
export type PlotSpec =
  | ({ type: 'confusionMatrix'; cm: readonly (readonly number[])[] } & Omit<ConfusionPlotOptions, 'format'>)
  | ({ type: 'perClassBars'; report: Pick<ReportData, 'classes'> } & Omit<BarsPlotOptions, 'format'>)
  | ({ type: 'faceGrid'; faces: readonly GridFace[] } & Omit<FaceGridOptions, 'format'>);

/**
 * Renders a plot and writes it to `path`, choosing PNG or SVG from the extension (.png / .svg).
 * @throws Error for any other extension.
 */
export async function writePlot(path: string, plot: PlotSpec): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.png' && ext !== '.svg') throw new Error(`writePlot: ${path} must end in .png or .svg`);
  const format: PlotFormat = ext === '.png' ? 'png' : 'svg';
  const out =
    plot.type === 'confusionMatrix'
      ? renderConfusionMatrix(plot.cm, { ...plot, format })
      : plot.type === 'perClassBars'
        ? renderPerClassBars(plot.report, { ...plot, format })
        : renderFaceGrid(plot.faces, { ...plot, format });
  await writeFile(path, out);
}

function confusionScene(cm: readonly (readonly number[])[], options: ConfusionPlotOptions): Scene {
  const k = cm.length;
  if (k === 0 || cm.some((row) => row.length !== k)) {
    throw new RangeError(`renderConfusionMatrix: matrix must be square and non-empty, got ${k}x${cm[0]?.length ?? 0}`);
  }
  const names = options.classNames ? [...options.classNames] : cm.map((_, i) => String(i));
  if (names.length !== k) throw new RangeError(`renderConfusionMatrix: ${names.length} classNames for a ${k}x${k} matrix`);
  const values = options.normalize ? normalizeConfusion(cm, options.normalize) : cm.map((r) => [...r]);
  const label = (v: number) => (options.normalize ? v.toFixed(2) : String(v));
  const withCounts = options.normalize !== undefined && options.showCounts !== false;
  const countLabel = (v: number) => `(${v})`;
  const max = Math.max(...values.flat(), options.normalize ? 1 : 0) || 1;
  const title =
    options.title ??
    (options.normalize === undefined
      ? 'Confusion matrix (counts)'
      : `Confusion matrix (normalized over ${options.normalize}${withCounts ? ', counts in brackets' : ''})`);

  const cell = Math.max(
    56,
    ...values.flat().map((v) => textWidth(label(v)) + 14),
    ...(withCounts ? cm.flat().map((v) => textWidth(countLabel(v)) + 14) : []),
  );
  const nameWidth = Math.max(...names.map(textWidth));
  const left = 16 + TEXT_HEIGHT + 12 + nameWidth + 10;
  const top = 16 + TEXT_HEIGHT + 20;
  const width = Math.max(left + k * cell + 20, textWidth(title) + 32);
  const height = top + k * cell + 10 + nameWidth + 12 + TEXT_HEIGHT + 16;
  const items: Scene['items'] = [];
  items.push({ kind: 'text', x: width / 2, y: 16 + TEXT_HEIGHT / 2, text: title, anchor: 'middle', color: INK });
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const t = values[i]![j]! / max;
      items.push({ kind: 'rect', x: left + j * cell, y: top + i * cell, w: cell - 1, h: cell - 1, fill: blues(t) });
      const color = t > 0.55 ? '#ffffff' : INK;
      const cx = left + j * cell + cell / 2;
      const cy = top + i * cell + cell / 2;
      const shift = withCounts ? TEXT_HEIGHT / 2 + 2 : 0;
      items.push({ kind: 'text', x: cx, y: cy - shift, text: label(values[i]![j]!), anchor: 'middle', color });
      if (withCounts) items.push({ kind: 'text', x: cx, y: cy + shift, text: countLabel(cm[i]![j]!), anchor: 'middle', color });
    }
    // Row (true) names on the left, column (predicted) names below, reading upwards.
    items.push({ kind: 'text', x: left - 10, y: top + i * cell + cell / 2, text: names[i]!, anchor: 'end', color: INK });
    items.push({
      kind: 'text',
      x: left + i * cell + cell / 2,
      y: top + k * cell + 10,
      text: names[i]!,
      anchor: 'end',
      color: INK,
      vertical: true,
    });
  }
  items.push({
    kind: 'text',
    x: 16 + TEXT_HEIGHT / 2,
    y: top + (k * cell) / 2,
    text: 'true',
    anchor: 'middle',
    color: INK,
    vertical: true,
  });
  items.push({ kind: 'text', x: left + (k * cell) / 2, y: height - 16 - TEXT_HEIGHT / 2, text: 'predicted', anchor: 'middle', color: INK });
  return { width, height, items };
}

function barsScene(report: Pick<ReportData, 'classes'>, options: BarsPlotOptions): Scene {
  const classes = report.classes;
  if (classes.length === 0) throw new RangeError('renderPerClassBars: the report has no classes');
  const series = [
    { name: 'precision', color: '#4c72b0', value: (c: (typeof classes)[number]) => c.precision },
    { name: 'recall', color: '#dd8452', value: (c: (typeof classes)[number]) => c.recall },
    { name: 'F1', color: '#55a868', value: (c: (typeof classes)[number]) => c.f1 },
  ];
  const title = options.title ?? 'Per-class precision / recall / F1';
  const bar = 18;
  const supportText = (n: number) => `n=${n}`;
  const group = Math.max(
    series.length * bar + 24,
    ...classes.map((c) => Math.max(textWidth(c.name), textWidth(supportText(c.support))) + 16),
  );
  const left = 16 + textWidth('1.00') + 10;
  const top = 16 + TEXT_HEIGHT + 16 + TEXT_HEIGHT + 16;
  const plotH = 280;
  const plotW = classes.length * group;
  const legendW = series.reduce((a, s) => a + TEXT_HEIGHT + 6 + textWidth(s.name) + 18, 0);
  const width = Math.max(left + plotW + 20, textWidth(title) + 32, legendW + left + 20);
  const height = top + plotH + 8 + TEXT_HEIGHT + 6 + TEXT_HEIGHT + 24;
  const items: Scene['items'] = [];
  items.push({ kind: 'text', x: width / 2, y: 16 + TEXT_HEIGHT / 2, text: title, anchor: 'middle', color: INK });
  // Legend.
  let lx = left;
  const ly = 16 + TEXT_HEIGHT + 16;
  for (const s of series) {
    items.push({ kind: 'rect', x: lx, y: ly, w: TEXT_HEIGHT, h: TEXT_HEIGHT, fill: s.color });
    items.push({ kind: 'text', x: lx + TEXT_HEIGHT + 6, y: ly + TEXT_HEIGHT / 2, text: s.name, anchor: 'start', color: INK });
    lx += TEXT_HEIGHT + 6 + textWidth(s.name) + 18;
  }
  // Grid and y ticks.
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const y = Math.round(top + plotH - tick * plotH);
    items.push({ kind: 'rect', x: left, y, w: plotW, h: 1, fill: tick === 0 ? INK : '#dddddd' });
    items.push({ kind: 'text', x: left - 8, y, text: tick.toFixed(2), anchor: 'end', color: INK });
  }
  classes.forEach((c, i) => {
    const gx = left + i * group + (group - series.length * bar) / 2;
    series.forEach((s, j) => {
      const v = s.value(c);
      const h = Number.isFinite(v) ? Math.round(Math.max(0, Math.min(1, v)) * plotH) : 0;
      if (h > 0) items.push({ kind: 'rect', x: gx + j * bar, y: top + plotH - h, w: bar - 2, h, fill: s.color });
    });
    const cx = left + i * group + group / 2;
    items.push({ kind: 'text', x: cx, y: top + plotH + 8 + TEXT_HEIGHT / 2, text: c.name, anchor: 'middle', color: INK });
    items.push({
      kind: 'text',
      x: cx,
      y: top + plotH + 14 + (3 * TEXT_HEIGHT) / 2,
      text: supportText(c.support),
      anchor: 'middle',
      color: '#666666',
    });
  });
  return { width: Math.ceil(width), height: Math.ceil(height), items };
}

const FACE_SIZE = 48;

function faceGridScene(faces: readonly GridFace[], options: FaceGridOptions): Scene {
  const scale = options.scale ?? 3;
  const columns = options.columns ?? 7;
  if (faces.length === 0) throw new RangeError('renderFaceGrid: no faces');
  if (!(Number.isInteger(scale) && scale >= 1) || !(Number.isInteger(columns) && columns >= 1)) {
    throw new RangeError(`renderFaceGrid: scale and columns must be positive integers, got ${scale} and ${columns}`);
  }
  faces.forEach((f, i) => {
    if (f.pixels.length !== FACE_SIZE * FACE_SIZE)
      throw new RangeError(`renderFaceGrid: face ${i} has ${f.pixels.length} pixels, not 48x48`);
  });
  const lines = Math.max(...faces.map((f) => f.caption.length));
  const lineHeight = TEXT_HEIGHT + 6;
  const cellW = Math.max(FACE_SIZE * scale, ...faces.flatMap((f) => f.caption.map(textWidth))) + 16;
  const cellH = FACE_SIZE * scale + 8 + lines * lineHeight + 12;
  const top = options.title ? 16 + TEXT_HEIGHT + 16 : 12;
  const cols = Math.min(columns, faces.length);
  const width = Math.max(cols * cellW + 16, options.title ? textWidth(options.title) + 32 : 0);
  const height = top + Math.ceil(faces.length / columns) * cellH;
  const items: Scene['items'] = [];
  if (options.title) items.push({ kind: 'text', x: width / 2, y: 16 + TEXT_HEIGHT / 2, text: options.title, anchor: 'middle', color: INK });
  faces.forEach((f, i) => {
    const x = 8 + (i % columns) * cellW;
    const y = top + Math.floor(i / columns) * cellH;
    items.push({ kind: 'image', x: x + (cellW - FACE_SIZE * scale) / 2, y, width: FACE_SIZE, height: FACE_SIZE, pixels: f.pixels, scale });
    f.caption.forEach((text, n) => {
      items.push({
        kind: 'text',
        x: x + cellW / 2,
        y: y + FACE_SIZE * scale + 8 + n * lineHeight + TEXT_HEIGHT / 2,
        text,
        anchor: 'middle',
        color: f.color ?? INK,
      });
    });
  });
  return { width, height, items };
}

/** White → dark blue ramp (the colours of matplotlib's "Blues"), t in [0, 1]. */
function blues(t: number): string {
  const stops = [
    [247, 251, 255],
    [198, 219, 239],
    [107, 174, 214],
    [33, 113, 181],
    [8, 48, 107],
  ];
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i]!.map((a, n) => Math.round(a + (stops[i + 1]![n]! - a) * f));
  return '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
}
