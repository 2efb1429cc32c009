/**
 * Self-contained HTML for drift reports and their history: inline CSS and SVG only (no scripts,
 * no network). Every string that comes from the user or the data is escaped.
 */
import { InputError } from '../errors.js';
import { appendFileSync } from 'node:fs';
import type { DriftReport } from './report.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const REF = '#4c78a8';
const CUR = '#f58518';

function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return String(Number(x.toFixed(digits)));
}

function verdict(flag: boolean | null): string {
  if (flag === null) return '<span class="na">not computed</span>';
  return flag ? '<span class="bad">drift detected</span>' : '<span class="ok">no drift</span>';
}

/** Overlaid bars of two distributions over shared bins (shares). */
function histogramSvg(title: string, edges: number[], ref: number[], cur: number[]): string {
  const w = 320;
  const h = 160;
  const pad = { l: 36, r: 8, t: 22, b: 28 };
  const max = Math.max(...ref, ...cur, 1e-12);
  const bw = (w - pad.l - pad.r) / ref.length;
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / max);
  const bars = ref
    .map((r, i) => {
      const x = pad.l + i * bw;
      const c = cur[i]!;
      return (
        `<rect x="${x.toFixed(1)}" y="${y(r).toFixed(1)}" width="${(bw * 0.48).toFixed(1)}" height="${(h - pad.b - y(r)).toFixed(1)}" fill="${REF}"/>` +
        `<rect x="${(x + bw * 0.5).toFixed(1)}" y="${y(c).toFixed(1)}" width="${(bw * 0.48).toFixed(1)}" height="${(h - pad.b - y(c)).toFixed(1)}" fill="${CUR}"/>`
      );
    })
    .join('');
  return `<svg class="chart histogram" role="img" aria-label="${escapeHtml(title)} histogram" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">
<text x="${pad.l}" y="14" font-size="12" font-weight="bold">${escapeHtml(title)}</text>
<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#888"/>
<text x="${pad.l - 4}" y="${pad.t + 8}" font-size="9" text-anchor="end">${fmt(max, 3)}</text>
${bars}
<text x="${pad.l}" y="${h - 12}" font-size="9">${escapeHtml(fmt(edges[0]!, 3))}</text>
<text x="${w - pad.r}" y="${h - 12}" font-size="9" text-anchor="end">${escapeHtml(fmt(edges[edges.length - 1]!, 3))}</text>
</svg>`;
}

/** Grouped bars of two class distributions, shown as shares of each dataset. */
function classBarsSvg(title: string, names: string[], ref: number[], cur: number[]): string {
  const sr = ref.reduce((a, b) => a + b, 0) || 1;
  const sc = cur.reduce((a, b) => a + b, 0) || 1;
  const r = ref.map((v) => v / sr);
  const c = cur.map((v) => v / sc);
  const w = Math.max(320, names.length * 60 + 50);
  const h = 190;
  const pad = { l: 40, t: 22, b: 40 };
  const max = Math.max(...r, ...c, 1e-12);
  const gw = (w - pad.l - 10) / names.length;
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / max);
  const groups = names
    .map((name, i) => {
      const x = pad.l + i * gw;
      return (
        `<rect x="${(x + gw * 0.1).toFixed(1)}" y="${y(r[i]!).toFixed(1)}" width="${(gw * 0.38).toFixed(1)}" height="${(h - pad.b - y(r[i]!)).toFixed(1)}" fill="${REF}"><title>${escapeHtml(name)} reference ${fmt(r[i]!)}</title></rect>` +
        `<rect x="${(x + gw * 0.5).toFixed(1)}" y="${y(c[i]!).toFixed(1)}" width="${(gw * 0.38).toFixed(1)}" height="${(h - pad.b - y(c[i]!)).toFixed(1)}" fill="${CUR}"><title>${escapeHtml(name)} current ${fmt(c[i]!)}</title></rect>` +
        `<text x="${(x + gw / 2).toFixed(1)}" y="${h - pad.b + 14}" font-size="10" text-anchor="middle">${escapeHtml(name)}</text>`
      );
    })
    .join('');
  return `<svg class="chart classes" role="img" aria-label="${escapeHtml(title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">
<text x="${pad.l}" y="14" font-size="12" font-weight="bold">${escapeHtml(title)}</text>
<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - 10}" y2="${h - pad.b}" stroke="#888"/>
<text x="${pad.l - 4}" y="${pad.t + 8}" font-size="9" text-anchor="end">${fmt(max, 3)}</text>
${groups}
</svg>`;
}

/** Confusion matrix heat map with counts (rows = true class). */
function confusionSvg(title: string, names: string[], cm: number[][]): string {
  const cell = 36;
  const left = 80;
  const top = 80;
  const n = cm.length;
  const w = left + n * cell + 10;
  const h = top + n * cell + 10;
  const max = Math.max(1, ...cm.flat());
  const cells = cm
    .map((row, i) =>
      row
        .map((v, j) => {
          const t = v / max;
          const fill = `rgb(${Math.round(255 - 180 * t)},${Math.round(255 - 140 * t)},${Math.round(255 - 60 * t)})`;
          return (
            `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff"/>` +
            `<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" font-size="10" text-anchor="middle" fill="${t > 0.6 ? '#fff' : '#000'}">${v}</text>`
          );
        })
        .join(''),
    )
    .join('');
  const labels = names
    .map(
      (name, i) =>
        `<text x="${left - 4}" y="${top + i * cell + cell / 2 + 4}" font-size="10" text-anchor="end">${escapeHtml(name)}</text>` +
        `<text transform="translate(${left + i * cell + cell / 2},${top - 4}) rotate(-45)" font-size="10">${escapeHtml(name)}</text>`,
    )
    .join('');
  return `<svg class="chart confusion" role="img" aria-label="${escapeHtml(title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">
<text x="4" y="14" font-size="12" font-weight="bold">${escapeHtml(title)}</text>
${labels}${cells}
</svg>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.bad{color:#b00020;font-weight:bold}
.ok{color:#1b7f3b;font-weight:bold}.na{color:#888}.charts{display:flex;flex-wrap:wrap;gap:12px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}code{font-size:90%}`;

/** One self-contained HTML page for a drift report (summary, drift table, histograms, classes, confusion matrices). */
export function renderDriftHtml(report: DriftReport): string {
  const s = report.summary;
  const names = report.classNames;
  const rows = report.features
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.name)}</td><td>${escapeHtml(f.method)}</td><td>${fmt(f.score)}</td><td>${fmt(f.threshold)}</td>` +
        `<td>${f.drifted ? '<span class="bad">yes</span>' : 'no'}</td><td>${fmt(f.reference.mean)}</td><td>${fmt(f.current.mean)}</td>` +
        `<td>${fmt(f.reference.std)}</td><td>${fmt(f.current.std)}</td></tr>`,
    )
    .join('\n');
  const parts: string[] = [];
  parts.push(`<h1>Drift report</h1>
<p>Reference: <code>${escapeHtml(report.reference.name)}</code> (${report.reference.rows} images) &nbsp; Current: <code>${escapeHtml(report.current.name)}</code> (${report.current.rows} images)<br>
Created ${escapeHtml(report.createdAt)} by ${escapeHtml(report.generator)}, schema ${report.schemaVersion}.</p>
<h2>Summary: ${verdict(s.drift)}</h2>
<table id="summary"><tr><th>check</th><th>verdict</th><th>detail</th></tr>
<tr><td>image features</td><td>${verdict(s.featureDrift)}</td><td>${s.numberOfDriftedFeatures} of ${s.numberOfFeatures} features drifted (share ${fmt(s.shareOfDriftedFeatures)}, threshold ${fmt(s.driftShare)})</td></tr>
<tr><td>embeddings</td><td>${verdict(s.embeddingDrift)}</td><td>${report.embeddings ? `${escapeHtml(report.embeddings.method)}: score ${fmt(report.embeddings.driftScore)} vs ${fmt(report.embeddings.threshold)}${report.embeddings.bootstrap ? ' (bootstrap)' : ''}` : ''}</td></tr>
<tr><td>predictions</td><td>${verdict(s.predictionDrift)}</td><td>${report.predictions ? `class ${escapeHtml(report.predictions.classDrift.method)} ${fmt(report.predictions.classDrift.score)}, confidence ${escapeHtml(report.predictions.confidenceDrift.method)} ${fmt(report.predictions.confidenceDrift.score)}` : ''}</td></tr>
<tr><td>labels (class mix)</td><td>${verdict(s.labelDrift)}</td><td>${report.labels ? `${escapeHtml(report.labels.classDrift.method)} ${fmt(report.labels.classDrift.score)}` : ''}</td></tr>
<tr><td>accuracy change</td><td colspan="2">${s.accuracyDelta === null ? '<span class="na">no predictions with labels</span>' : fmt(s.accuracyDelta)}</td></tr>
</table>
<p class="legend"><span style="background:${REF}"></span>reference<span style="background:${CUR}"></span>current</p>
<h2>Image features</h2>
<table id="features"><tr><th>feature</th><th>stattest</th><th>score</th><th>threshold</th><th>drift</th><th>ref mean</th><th>cur mean</th><th>ref std</th><th>cur std</th></tr>
${rows}</table>
<div class="charts">${report.features.map((f) => histogramSvg(f.name, f.histogram.edges, f.histogram.reference, f.histogram.current)).join('\n')}</div>`);
  if (report.labels || report.predictions) {
    parts.push('<h2>Class distributions</h2><div class="charts">');
    if (report.labels) parts.push(classBarsSvg('labels', names, report.labels.distribution.reference, report.labels.distribution.current));
    if (report.predictions)
      parts.push(
        classBarsSvg('predicted classes', names, report.predictions.distribution.reference, report.predictions.distribution.current),
      );
    parts.push('</div>');
  }
  if (report.performance) {
    const p = report.performance;
    parts.push(`<h2>Performance</h2>
<table id="performance"><tr><th></th><th>accuracy</th><th>macro F1</th><th>weighted F1</th></tr>
<tr><td>reference</td><td>${fmt(p.reference.accuracy)}</td><td>${fmt(p.reference.macroF1)}</td><td>${fmt(p.reference.weightedF1)}</td></tr>
<tr><td>current</td><td>${fmt(p.current.accuracy)}</td><td>${fmt(p.current.macroF1)}</td><td>${fmt(p.current.weightedF1)}</td></tr></table>
<div class="charts">${confusionSvg('confusion matrix: reference', names, p.reference.confusionMatrix)}${confusionSvg('confusion matrix: current', names, p.current.confusionMatrix)}</div>`);
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Drift report: ${escapeHtml(report.current.name)}</title><style>${STYLE}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}

// ------------------------------------------------------------------ history

/** One line of the history file: the report's summary and key scores. */
export interface DriftHistoryEntry {
  schemaVersion: 1;
  createdAt: string;
  reference: string;
  current: string;
  drift: boolean;
  /** Numeric metrics by name (feature scores, shares, embedding score, accuracy delta). */
  metrics: Record<string, number | null>;
}

/** The history entry of a report. */
export function historyEntry(report: DriftReport): DriftHistoryEntry {
  const metrics: Record<string, number | null> = {
    shareOfDriftedFeatures: report.summary.shareOfDriftedFeatures,
    embeddingScore: report.embeddings?.driftScore ?? null,
    labelDriftScore: report.labels?.classDrift.score ?? null,
    predictionClassScore: report.predictions?.classDrift.score ?? null,
    accuracyDelta: report.summary.accuracyDelta,
  };
  for (const f of report.features) metrics[`feature.${f.name}`] = f.score;
  return {
    schemaVersion: 1,
    createdAt: report.createdAt,
    reference: report.reference.name,
    current: report.current.name,
    drift: report.summary.drift,
    metrics,
  };
}

/** Appends the report's summary as one JSON line to `jsonlPath` (created when missing). */
export function appendHistory(jsonlPath: string, report: DriftReport): void {
  appendFileSync(jsonlPath, JSON.stringify(historyEntry(report)) + '\n');
}

/** Why a parsed JSONL line is not a drift history entry, or undefined when it is one. */
function historyEntryProblem(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'not a JSON object';
  const o = e as Record<string, unknown>;
  if (typeof o.metrics !== 'object' || o.metrics === null || Array.isArray(o.metrics)) return 'no "metrics" object';
  for (const [k, v] of Object.entries(o.metrics))
    if (v !== null && typeof v !== 'number') return `metric ${JSON.stringify(k)} is ${JSON.stringify(v)}, not a number or null`;
  for (const k of ['createdAt', 'current'] as const) if (typeof o[k] !== 'string') return `"${k}" is not a string`;
  if (typeof o.drift !== 'boolean') return '"drift" is not true or false';
  return undefined;
}

/**
 * One HTML page with a line chart per metric over the history (lines of a JSONL file written by
 * appendHistory; blank lines are skipped). A malformed line is an InputError `<source>:<line>: …`.
 */
export function renderTrendHtml(historyLines: readonly string[], source = 'history'): string {
  const entries: DriftHistoryEntry[] = [];
  historyLines.forEach((line, i) => {
    if (!line.trim()) return;
    let e: unknown;
    let problem: string | undefined;
    try {
      e = JSON.parse(line);
      problem = historyEntryProblem(e);
    } catch (err) {
      problem = (err as Error).message;
    }
    if (problem) throw new InputError(`${source}:${i + 1}: not a drift history entry: ${problem}`);
    entries.push(e as DriftHistoryEntry);
  });
  const names = [...new Set(entries.flatMap((e) => Object.keys(e.metrics)))];
  const charts = names.map((name) =>
    lineSvg(
      name,
      entries.map((e) => e.metrics[name] ?? null),
      entries.map((e) => e.drift),
    ),
  );
  const rows = entries
    .map(
      (e) =>
        `<tr><td>${escapeHtml(e.createdAt)}</td><td>${escapeHtml(e.current)}</td><td>${e.drift ? '<span class="bad">drift</span>' : '<span class="ok">ok</span>'}</td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Drift trend</title><style>${STYLE}</style></head>
<body><h1>Drift trend</h1><p>${entries.length} reports.</p>
<div class="charts">${charts.join('\n')}</div>
<table id="runs"><tr><th>created</th><th>current data</th><th>verdict</th></tr>${rows}</table>
</body></html>
`;
}

function lineSvg(title: string, values: (number | null)[], drift: boolean[]): string {
  const w = 360;
  const h = 160;
  const pad = { l: 44, r: 10, t: 22, b: 20 };
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  let lo = Math.min(...finite, 0);
  let hi = Math.max(...finite, 0);
  if (lo === hi) hi = lo + 1;
  const x = (i: number) => pad.l + (values.length > 1 ? (i * (w - pad.l - pad.r)) / (values.length - 1) : (w - pad.l - pad.r) / 2);
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - (v - lo) / (hi - lo));
  const pts = values.map((v, i) => (v === null || !Number.isFinite(v) ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`));
  const path = pts.filter((p) => p !== null).join(' ');
  const dots = pts
    .map((p, i) =>
      p === null
        ? ''
        : `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${drift[i] ? '#b00020' : REF}"><title>${fmt(values[i]!)}</title></circle>`,
    )
    .join('');
  return `<svg class="chart trend" role="img" aria-label="${escapeHtml(title)} trend" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">
<text x="${pad.l}" y="14" font-size="12" font-weight="bold">${escapeHtml(title)}</text>
<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#888"/>
<text x="${pad.l - 4}" y="${pad.t + 8}" font-size="9" text-anchor="end">${fmt(hi, 3)}</text>
<text x="${pad.l - 4}" y="${h - pad.b}" font-size="9" text-anchor="end">${fmt(lo, 3)}</text>
<polyline points="${path}" fill="none" stroke="${REF}" stroke-width="1.5"/>${dots}
</svg>`;
}
