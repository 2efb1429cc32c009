/**
 * `fer-gpu bench compare a.json b.json …`: rows of several reports side by side with ratios,
 * and an HTML page with an SVG bar chart; `fer-gpu bench merge` joins reports of one adapter.
 */
import { higherIsBetter, type BenchReport, type BenchRow, type PeerInfo, type Unit } from './schema.js';
import { fmtFigure } from './table.js';

/** A report and the label it gets in the comparison (e.g. its file name). */
export interface LabeledReport {
  label: string;
  report: BenchReport;
}

/** One bar: a series (a report, or a peer within it) and its figure for one row. */
interface Cell {
  series: string;
  figure: number | null;
}

interface ComparedRow {
  id: string;
  name: string;
  unit: Unit;
  cells: Cell[];
}

/** The series of the comparison: each report's fer-gpu figures, then each peer that ran in it. */
function series(reports: LabeledReport[]): Array<{ name: string; figure: (row: BenchRow) => number | null; report: number }> {
  const out: Array<{ name: string; figure: (row: BenchRow) => number | null; report: number }> = [];
  reports.forEach((r, i) => {
    out.push({ name: r.label, figure: (row) => row.figure, report: i });
    for (const p of r.report.peers ?? []) {
      if (p.status !== 'ran') continue;
      out.push({
        name: `${r.label} ${p.name}`,
        report: i,
        figure: (row) => {
          const f = row.peers?.[p.name];
          return f && !('skipped' in f) ? f.figure : null;
        },
      });
    }
  });
  return out;
}

function compared(reports: LabeledReport[]): { names: string[]; rows: ComparedRow[] } {
  const ser = series(reports);
  const ids: string[] = [];
  const meta = new Map<string, { name: string; unit: Unit }>();
  for (const { report } of reports) {
    for (const row of report.rows) {
      if (!meta.has(row.id)) {
        ids.push(row.id);
        meta.set(row.id, { name: row.name, unit: row.unit });
      }
    }
  }
  const rows = ids.map((id) => ({
    id,
    ...meta.get(id)!,
    cells: ser.map((s) => {
      const row = reports[s.report]!.report.rows.find((r) => r.id === id);
      return { series: s.name, figure: row ? s.figure(row) : null };
    }),
  }));
  return { names: ser.map((s) => s.name), rows };
}

/** Speed-up of `figure` over `base` (time units inverted, so > 1 is always faster). */
export function speedup(unit: Unit, figure: number, base: number): number {
  return higherIsBetter(unit) ? figure / base : base / figure;
}

/** The comparison as a Markdown pipe table: each series' figure and its speed-up over the first. */
export function compareReports(reports: LabeledReport[]): string {
  if (reports.length < 1) throw new Error('bench compare: give at least one report');
  const { names, rows } = compared(reports);
  const header = ['row', 'unit', ...names.map((n, i) => (i === 0 ? n : `${n} (vs ${names[0]})`))];
  const table = [header];
  for (const r of rows) {
    const base = r.cells[0]!.figure;
    table.push([
      r.name,
      r.unit,
      ...r.cells.map((c, i) => {
        if (c.figure === null) return '-';
        if (i === 0 || base === null) return fmtFigure(c.figure);
        return `${fmtFigure(c.figure)} (${fmtFigure(speedup(r.unit, c.figure, base))}x)`;
      }),
    ]);
  }
  const widths = header.map((_, c) => Math.max(...table.map((t) => t[c]!.length)));
  const line = (t: string[]): string => `| ${t.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const out = [line(table[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...table.slice(1).map(line)];
  const adapters = reports.map(
    (r) => `- ${r.label}: ${r.report.adapter.description || r.report.adapter.device} (${r.report.adapter.backend}), ${r.report.date}`,
  );
  return [...adapters, '', ...out, '', 'Speed-ups > 1 mean faster than the first column ("us" rows: lower time is better).'].join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const COLORS = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0'];

/**
 * A self-contained HTML page: one SVG bar group per row, bars scaled to the row's fastest
 * series and labelled with the figure and the speed-up over the first series.
 */
export function compareChartHtml(reports: LabeledReport[]): string {
  const { names, rows } = compared(reports);
  const barH = 16;
  const labelW = 260;
  const plotW = 520;
  const groupH = names.length * barH + 26;
  const height = rows.length * groupH + 20 + names.length * 18;
  const parts: string[] = [];
  names.forEach((n, i) => {
    const y = 14 + i * 18;
    parts.push(`<rect x="${labelW}" y="${y - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    parts.push(`<text x="${labelW + 18}" y="${y}">${esc(n)}</text>`);
  });
  let y0 = 20 + names.length * 18;
  for (const r of rows) {
    const speeds = r.cells.map((c) => (c.figure === null ? null : higherIsBetter(r.unit) ? c.figure : 1 / c.figure));
    const best = Math.max(...speeds.map((s) => s ?? 0));
    const base = r.cells[0]!.figure;
    parts.push(`<text x="0" y="${y0 + 14}" font-weight="bold">${esc(r.name)} (${esc(r.unit)})</text>`);
    r.cells.forEach((c, i) => {
      const y = y0 + 20 + i * barH;
      const s = speeds[i];
      if (s === null || s === undefined || c.figure === null) {
        parts.push(`<text x="${labelW}" y="${y + 12}" fill="#888">not measured</text>`);
        return;
      }
      const w = best > 0 ? Math.max(1, (s / best) * plotW) : 1;
      const ratio = i > 0 && base !== null ? ` (${fmtFigure(speedup(r.unit, c.figure, base))}x)` : '';
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 3}" fill="${COLORS[i % COLORS.length]}"/>`);
      parts.push(`<text x="${labelW + w + 4}" y="${y + 11}">${esc(fmtFigure(c.figure) + ratio)}</text>`);
    });
    y0 += groupH;
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 160}" height="${height}" ` +
    `font-family="sans-serif" font-size="12">\n${parts.join('\n')}\n</svg>`;
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><title>fer-gpu bench comparison</title></head><body>',
    '<h1>fer-gpu bench comparison</h1>',
    `<ul>${reports.map((r) => `<li>${esc(r.label)}: ${esc(r.report.adapter.description || r.report.adapter.device)} (${esc(r.report.adapter.backend)}), ${esc(r.report.date)}</li>`).join('')}</ul>`,
    '<p>Bars are scaled to the fastest series of each row (time rows inverted); speed-ups are over the first series.</p>',
    svg,
    '</body></html>',
  ].join('\n');
}

/**
 * Joins reports of the same adapter (e.g. suites run one at a time) into one: rows in order,
 * a later row replacing an earlier one with the same id; peers that ran win over skipped ones.
 */
export function mergeReports(reports: BenchReport[]): BenchReport {
  if (reports.length === 0) throw new Error('bench merge: give at least one report');
  const first = reports[0]!;
  const key = (r: BenchReport): string => `${r.adapter.description}|${r.adapter.device}|${r.adapter.backend}`;
  for (const r of reports) {
    if (key(r) !== key(first)) throw new Error(`bench merge: adapters differ (${key(first)} vs ${key(r)}); compare them instead`);
  }
  const rows = new Map<string, BenchRow>();
  const peers = new Map<string, PeerInfo>();
  for (const r of reports) {
    for (const row of r.rows) rows.set(row.id, row);
    for (const p of r.peers ?? []) if (!peers.has(p.name) || p.status === 'ran') peers.set(p.name, p);
  }
  return {
    ...first,
    date: reports.map((r) => r.date).sort()[0]!,
    versions: { ...first.versions, peers: Object.assign({}, ...reports.map((r) => r.versions.peers)) },
    options: {
      suites: [...new Set(reports.flatMap((r) => r.options?.suites ?? []))],
      quick: reports.some((r) => r.options?.quick),
      peers: reports.some((r) => r.options?.peers),
      only: null,
    },
    peers: [...peers.values()],
    rows: [...rows.values()],
    failed: reports.flatMap((r) => r.failed ?? []).filter((f) => !rows.has(f.id)),
  };
}
