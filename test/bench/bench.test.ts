/** fer-gpu bench in a tiny mode (one small kernel row, one timed run): the JSON report's schema. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/cli/bench.js';
import { summarize, type BenchReport, type BenchRow } from '../../src/bench/index.js';
import { VERSION } from '../../src/version.js';
import { driverOf, fmtFigure } from '../../src/bench/table.js';

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) }, out: () => out, err: () => err };
}

describe('fer-gpu bench', () => {
  it('runs one kernel row once and writes a report with every documented field', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-bench-test-'));
    const file = path.join(dir, 'out.json');
    const c = capture();
    const code = await runBench(['--suite', 'kernels', '--only', 'crossEntropy', '--iterations', '0,1', '--out', file], c.io);
    expect(code, c.err()).toBe(0);
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
    fs.rmSync(dir, { recursive: true, force: true });

    expect(r.schemaVersion).toBe(2);
    expect(Number.isNaN(Date.parse(r.date))).toBe(false);
    for (const k of ['vendor', 'architecture', 'device', 'description', 'backend', 'featureLevel'] as const) {
      expect(typeof r.adapter[k]).toBe('string');
    }
    expect(r.versions.ferGpu).toBe(VERSION);
    expect(r.versions.node).toBe(process.version);
    expect(r.versions.dawn).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.machine.cores).toBe(os.cpus().length);
    expect(r.machine.memoryBytes).toBe(os.totalmem());
    expect(r.machine.cpuModel.length).toBeGreaterThan(0);
    expect(r.options).toEqual({ suites: ['kernels'], quick: false, peers: false, only: 'crossEntropy' });
    expect(r.peers).toEqual([]);
    expect(r.failed).toEqual([]);

    expect(r.rows).toHaveLength(1);
    const row = r.rows[0]!;
    expect(row).toMatchObject({
      id: 'crossEntropy',
      suite: 'kernels',
      shape: '[4096, 7]',
      unit: 'us',
      iterations: { warmup: 0, timed: 1 },
    });
    expect(row.median).toBeGreaterThan(0);
    expect(row.min).toBe(row.median); // one timed run
    expect(row.max).toBe(row.median);
    expect(row.figure).toBeCloseTo(row.median * 1000, 6); // 'us' rows: the time itself
    expect(row.cpuReferenceMs).toBeGreaterThan(0);
    expect(row.vsCpuReference).toBeCloseTo(row.cpuReferenceMs! / row.median, 9);
    expect(row.firstIterationMs).toBeNull();
    expect(row.peakBytesInUse).toBeNull();
    expect(row.note).toContain('0 warm-up + 1 timed');
    expect(row.peers).toEqual({});

    expect(c.out()).toContain(`adapter: ${r.adapter.description || r.adapter.device}`);
    expect(c.out()).toContain(`driver ${driverOf(r.adapter.description)};`);
    expect(driverOf('llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)')).toBe('Mesa 25.0.7 (LLVM 15.0.6)');
    expect(c.out()).toContain('cross-entropy fwd+bwd');
  });

  it('per-layer convolution rows: each pass of a fer-resnet18(16) layer, and a table of backward / forward', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-bench-test-'));
    const file = path.join(dir, 'out.json');
    const c = capture();
    const code = await runBench(
      ['--suite', 'kernels', '--only', 'layers.fer-resnet18-16.layer4-1x1-s2', '--iterations', '0,1', '--out', file],
      c.io,
    );
    expect(code, c.err()).toBe(0);
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.rows.map((row) => row.id)).toEqual(
      ['forward', 'backward-input', 'backward-weight'].map((p) => `layers.fer-resnet18-16.layer4-1x1-s2.${p}`),
    );
    for (const row of r.rows) expect(row).toMatchObject({ unit: 'GFLOP/s', shape: 'N=64 C=64 K=128 12x12 1x1 stride 2' });
    const [fwd, bwdIn, bwdW] = r.rows as [BenchRow, BenchRow, BenchRow];
    const line = c
      .out()
      .split('\n')
      .find((l) => l.startsWith('| layer4 1x1 s2 |'));
    expect(line).toBe(
      `| layer4 1x1 s2 | ${fwd.shape} | ${fmtFigure(fwd.figure)} | ${fmtFigure(bwdIn.figure)} (${(bwdIn.figure / fwd.figure).toFixed(2)}) | ` +
        `${fmtFigure(bwdW.figure)} (${(bwdW.figure / fwd.figure).toFixed(2)}) | 1x in the network |`,
    );
  });

  it('rejects unknown suites and bad --iterations with exit code 1, unknown actions with 2, in one fer-gpu: line', async () => {
    for (const [args, code] of [
      [['--suite', 'gpu'], 1],
      [['--iterations', '3'], 1],
      [['--iterations', '1,0'], 1],
      [['plot'], 2],
      [['--out', 'r.txt'], 1],
    ] as const) {
      const c = capture();
      expect(await runBench(args, c.io), args.join(' ')).toBe(code);
      expect(c.err()).toMatch(/^fer-gpu: [^\n]+\n$/);
    }
    const old = capture();
    expect(await runBench(['--json', 'out.json'], old.io)).toBe(2);
    expect(old.err()).toMatch(/use --out out\.json; --json prints it to stdout/);
  });

  it('summarize gives median, min and max', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(summarize([4, 1, 2, 10])).toEqual({ median: 3, min: 1, max: 10 });
  });
});
