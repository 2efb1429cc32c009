import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrift, EXIT_DRIFT } from '../../src/cli/drift.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import type { FerDataset } from '../../src/data/dataset.js';
import { randomHalves, shiftBrightness } from '../../src/drift/shifts.js';

function writeCsv(file: string, ds: FerDataset): void {
  const rows = ['emotion,pixels,Usage'];
  for (let i = 0; i < ds.length; i++) rows.push(`${ds.labels[i]},${Array.from(ds.pixels.subarray(i * 2304, (i + 1) * 2304)).join(' ')},Training`);
  writeFileSync(file, rows.join('\n') + '\n');
}

describe('fer-gpu drift CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'drift-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const [a, b] = randomHalves(syntheticFaces({ perClass: 60, seed: 2 }), 1);
  const ref = path.join(dir, 'ref.csv');
  const same = path.join(dir, 'same.csv');
  const bright = path.join(dir, 'bright.csv');
  writeCsv(ref, a);
  writeCsv(same, b);
  writeCsv(bright, shiftBrightness(b, 50));
  const out: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void out.push(t) };
  const hist = path.join(dir, 'h.jsonl');

  it('no drift: exit 0 even with --fail-on-drift; writes JSON, HTML and history', async () => {
    const json = path.join(dir, 'r.json');
    const html = path.join(dir, 'r.html');
    const code = await runDrift(['--reference', ref, '--current', same, '--json', json, '--out', html, '--history', hist, '--fail-on-drift', '--cpu'], io);
    expect(code, out.join('')).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).summary.drift).toBe(false);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
  });

  it('brightness shift: exit 0 without --fail-on-drift, 3 with it (GPU features)', async () => {
    expect(await runDrift(['--reference', ref, '--current', bright, '--history', hist], io)).toBe(0);
    expect(await runDrift(['--reference', ref, '--current', bright, '--fail-on-drift'], io)).toBe(EXIT_DRIFT);
    expect(out.join('')).toContain('DRIFT DETECTED');
  });

  it('bad input: exit 1', async () => {
    expect(await runDrift(['--reference', path.join(dir, 'missing.csv'), '--current', same, '--cpu'], io)).toBe(1);
    expect(await runDrift(['--reference', ref], io)).toBe(1);
    expect(await runDrift(['--reference', ref, '--current', same, '--embedding-method', 'nope'], io)).toBe(1);
  });

  it('history → trend HTML', async () => {
    const trend = path.join(dir, 'trend.html');
    expect(await runDrift(['history', hist, '--out', trend], io)).toBe(0);
    expect(existsSync(trend)).toBe(true);
    expect(readFileSync(trend, 'utf8')).toContain('class="chart trend"');
    expect(await runDrift(['history', path.join(dir, 'none.jsonl'), '--out', trend], io)).toBe(1);
  });
});
