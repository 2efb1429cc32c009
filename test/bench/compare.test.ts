/** fer-gpu bench compare / merge on small hand-made reports. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../../src/cli/bench.js';
import type { BenchReport, BenchRow } from '../../src/bench/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-bench-compare-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function row(id: string, unit: BenchRow['unit'], figure: number, median: number, peers: BenchRow['peers'] = {}): BenchRow {
  return {
    id,
    name: id,
    suite: 'kernels',
    shape: 's',
    unit,
    median,
    min: median,
    max: median,
    figure,
    vsCpuReference: null,
    cpuReferenceMs: null,
    iterations: { warmup: 3, timed: 10 },
    firstIterationMs: null,
    peakBytesInUse: null,
    note: '',
    peers,
  };
}

function report(description: string, rows: BenchRow[], peers: BenchReport['peers'] = []): BenchReport {
  return {
    schemaVersion: 2,
    date: '2026-01-01T00:00:00.000Z',
    adapter: { vendor: 'v', architecture: 'a', device: 'd', description, backend: 'vulkan', featureLevel: 'core' },
    versions: { ferGpu: '0.1.0', node: 'v20', dawn: '0.6.2', peers: {} },
    machine: { cpuModel: 'cpu', cores: 2, memoryBytes: 1, os: 'Linux' },
    options: { suites: ['kernels'], quick: false, peers: false, only: null },
    peers,
    rows,
    failed: [],
  };
}

function write(name: string, r: BenchReport): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, JSON.stringify(r));
  return f;
}

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) }, out: () => out, err: () => err };
}

const a = write('slow.json', report('gpu A', [row('conv', 'GFLOP/s', 10, 100), row('ce', 'us', 100, 0.1), row('only-a', 'GB/s', 5, 1)]));
const b = write(
  'fast.json',
  report(
    'gpu B',
    [
      row('conv', 'GFLOP/s', 25, 40, {
        torch: { median: 20, min: 20, max: 20, figure: 50, iterations: { warmup: 1, timed: 2 }, note: '' },
      }),
      row('ce', 'us', 50, 0.05),
    ],
    [{ name: 'torch', status: 'ran', reason: '', version: '1', details: '' }],
  ),
);

describe('fer-gpu bench compare', () => {
  it('prints rows side by side with speed-ups over the first report (time units inverted)', async () => {
    const out = path.join(dir, 'chart.html');
    const c = capture();
    expect(await runBench(['compare', a, b, '--out', out], c.io), c.err()).toBe(0);
    const lines = c.out().split('\n');
    const line = (id: string): string => lines.find((l) => l.startsWith(`| ${id} `))!;
    expect(line('conv')).toMatch(/\| 10\.0 +\| 25\.0 \(2\.50x\) +\| 50\.0 \(5\.00x\) +\|/);
    expect(line('ce')).toMatch(/\| 100 +\| 50\.0 \(2\.00x\) +\| - +\|/); // half the time: 2x faster
    expect(line('only-a')).toMatch(/\| 5\.00 +\| - +\| - +\|/);
    expect(c.out()).toContain('fast torch');
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('gpu B');
    expect(html.match(/<rect /g)!.length).toBe(3 + 3 + 2 + 1); // legend (3 series), conv 3 bars, ce 2, only-a 1
  });

  it('refuses a file that is not a report', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ schemaVersion: 2, rows: [] }));
    const c = capture();
    expect(await runBench(['compare', bad], c.io)).toBe(1);
    expect(c.err()).toContain("missing field 'date'");
  });

  it('merge joins reports of one adapter and refuses different adapters', async () => {
    const a2 = write('a2.json', report('gpu A', [row('conv', 'GFLOP/s', 12, 80), row('new', 'GB/s', 1, 1)]));
    const out = path.join(dir, 'merged.json');
    const c = capture();
    expect(await runBench(['merge', a, a2, '--out', out], c.io), c.err()).toBe(0);
    const m = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchReport;
    expect(m.rows.map((r) => [r.id, r.figure])).toEqual([
      ['conv', 12],
      ['ce', 100],
      ['only-a', 5],
      ['new', 1],
    ]);
    expect(await runBench(['merge', a, b, '--out', out], capture().io)).toBe(1);
    // --json prints the merged report instead; --out is checked before anything is read
    const j = capture();
    expect(await runBench(['merge', a, a2, '--json'], j.io), j.err()).toBe(0);
    expect(JSON.parse(j.out())).toEqual(m);
    const bad = capture();
    expect(await runBench(['merge', a, a2, '--out', a], bad.io)).toBe(1);
    expect(bad.err()).toMatch(/^fer-gpu: --out .*slow\.json: is the input .*slow\.json; write the output elsewhere\n$/);
    expect(JSON.parse(fs.readFileSync(a, 'utf8')).rows).toHaveLength(3); // untouched
  });
});
