/** The terminal table of a report: a Markdown pipe table, so it pastes into READMEs as is. */
import type { BenchReport, BenchRow, PeerFigure } from './schema.js';
import { formatProfile } from './profile.js';
import { LAYER_WIDTH, PASSES } from './layers.js';

/** A figure with 3 significant digits (no exponent for ordinary magnitudes). */
export function fmtFigure(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${fmtFigure(ms)} ms`;
}

function peerCell(p: PeerFigure | undefined, row: BenchRow): string {
  if (!p) return '-';
  if ('skipped' in p) return 'skipped';
  return `${fmtFigure(p.figure)} (${p.iterations.timed} it)`;
}

/** Dawn describes an adapter as '<device>: <driver and version>' (e.g. 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)'). */
export function driverOf(description: string): string {
  const k = description.indexOf(': ');
  return k >= 0 ? description.slice(k + 2) : description || '-';
}

/** The adapter header, the rows' table, each row's note and the peers' status, as text. */
export function formatReport(r: BenchReport): string {
  const a = r.adapter;
  const m = r.machine;
  const peerNames = r.peers.map((p) => p.name);
  const lines = [
    `fer-gpu ${r.versions.ferGpu} bench, ${r.date}`,
    `adapter: ${a.description || a.device || '(unnamed)'}; vendor ${a.vendor || '-'}; architecture ${a.architecture || '-'}; ` +
      `backend ${a.backend}; driver ${driverOf(a.description)}; feature level ${a.featureLevel}` +
      (a.robustness === false ? '; robustness off' : ''),
    `machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}; node ${r.versions.node}, dawn (webgpu) ${r.versions.dawn}` +
      (r.options.quick ? '; quick mode' : ''),
    '',
  ];
  const header = ['row', 'shape', 'fer-gpu', 'unit', 'median (min-max)', 'vs CPU ref', ...peerNames, 'runs'];
  const table = [header, header.map(() => '---')];
  const layerRows = r.rows.filter((row) => row.id.startsWith('layers.'));
  for (const row of r.rows.filter((x) => !layerRows.includes(x))) {
    table.push([
      row.name,
      row.shape,
      fmtFigure(row.figure),
      row.unit,
      `${fmtMs(row.median)} (${fmtMs(row.min)}-${fmtMs(row.max)})`,
      row.vsCpuReference === null ? '-' : `${fmtFigure(row.vsCpuReference)}x`,
      ...peerNames.map((n) => peerCell(row.peers[n], row)),
      `${row.iterations.warmup}+${row.iterations.timed}`,
    ]);
  }
  const widths = header.map((_, c) => Math.max(...table.map((t) => t[c]!.length)));
  for (const t of table) {
    lines.push(`| ${t.map((cell, c) => (cell === '---' ? '-'.repeat(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`);
  }
  if (layerRows.length > 0) lines.push('', ...layerTable(layerRows));
  for (const row of r.rows) if (row.profile) lines.push('', formatProfile(`profile of one ${row.name}`, row.profile));
  lines.push('', 'Notes:');
  for (const f of r.failed ?? []) lines.push(`- ${f.name}: FAILED on this adapter: ${f.reason}`);
  for (const row of r.rows) if (!layerRows.includes(row)) lines.push(`- ${row.name}: ${row.note}`);
  for (const p of r.peers) {
    const notes = r.rows.flatMap((row) => {
      const f = row.peers[p.name];
      return f && !('skipped' in f) && f.note ? [`${row.name}: ${f.note}`] : [];
    });
    lines.push(
      p.status === 'ran'
        ? `- peer ${p.name} ${p.version ?? ''} ${p.details}`.trimEnd() + (notes.length ? `; ${notes.join('; ')}` : '')
        : `- peer ${p.name}: skipped (${p.reason})`,
    );
    for (const row of r.rows) {
      const f = row.peers[p.name];
      if (p.status === 'ran' && f && 'skipped' in f) lines.push(`  - ${row.name}: skipped (${f.skipped})`);
    }
  }
  return lines.join('\n');
}

/** The per-layer convolution rows (layers.ts) as one line per layer: GFLOP/s of each pass, and each backward / its forward. */
function layerTable(rows: BenchRow[]): string[] {
  const byLayer = new Map<string, Map<string, BenchRow>>();
  for (const row of rows) {
    const [, , layer, pass] = row.id.split('.');
    if (!byLayer.has(layer!)) byLayer.set(layer!, new Map());
    byLayer.get(layer!)!.set(pass!, row);
  }
  const out = [
    `Convolutions of fer-resnet18(${LAYER_WIDTH}) at the training batch, GFLOP/s (each backward / the forward):`,
    '',
    '| layer | shape | forward | backward-input | backward-weight | in the net |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const passes of byLayer.values()) {
    const any = [...passes.values()][0]!;
    const fwd = passes.get('forward');
    const cell = (pass: string): string => {
      const row = passes.get(pass);
      if (!row) return '-';
      return pass === 'forward' || !fwd ? fmtFigure(row.figure) : `${fmtFigure(row.figure)} (${(row.figure / fwd.figure).toFixed(2)})`;
    };
    out.push(
      `| ${any.name.replace(/ (forward|backward-input|backward-weight)$/, '')} | ${any.shape} | ${PASSES.map(cell).join(' | ')} | ${any.note.split(';')[0]} |`,
    );
  }
  return out;
}
