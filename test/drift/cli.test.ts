import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { runDrift, EXIT_DRIFT } from '../../src/cli/drift.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { loadFer2013 } from '../../src/data/auto.js';
import { FER_PIXELS, type FerDataset } from '../../src/data/dataset.js';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { saveModel } from '../../src/train/checkpoint.js';
import { WEIGHTS_ENV, loadPretrained } from '../../src/train/pretrained.js';
import { driftReport, type DriftReport } from '../../src/drift/report.js';
import { randomHalves, shiftBrightness } from '../../src/drift/shifts.js';
import { useDevice } from '../helpers.js';

function writeCsv(file: string, ds: FerDataset): void {
  const rows = ['emotion,pixels,Usage'];
  for (let i = 0; i < ds.length; i++)
    rows.push(`${ds.labels[i]},${Array.from(ds.pixels.subarray(i * 2304, (i + 1) * 2304)).join(' ')},Training`);
  writeFileSync(file, rows.join('\n') + '\n');
}

/** Writes images as PNG files directly in `dir` (an unlabelled folder). */
function writePngs(dir: string, ds: FerDataset): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < ds.length; i++) {
    const png = new PNG({ width: 48, height: 48 });
    for (let j = 0; j < FER_PIXELS; j++) {
      const v = ds.pixels[i * FER_PIXELS + j]!;
      png.data.set([v, v, v, 255], j * 4);
    }
    writeFileSync(path.join(dir, `img${String(i).padStart(3, '0')}.png`), PNG.sync.write(png));
  }
}

describe('fer-gpu drift CLI', () => {
  const device = useDevice();
  const dir = mkdtempSync(path.join(tmpdir(), 'drift-cli-'));
  // The default model (no --weights): a tiny checkpoint through $FER_GPU_WEIGHTS, as a user's own model would be.
  const tiny = path.join(dir, 'tiny.safetensors');
  const savedEnv = process.env[WEIGHTS_ENV];
  beforeAll(async () => {
    const m = ferResNet18(device(), { width: 4, seed: 3 });
    await saveModel(tiny, m);
    m.dispose();
    process.env[WEIGHTS_ENV] = tiny;
  });
  afterAll(() => {
    if (savedEnv === undefined) delete process.env[WEIGHTS_ENV];
    else process.env[WEIGHTS_ENV] = savedEnv;
    rmSync(dir, { recursive: true, force: true });
  });
  const [a, b] = randomHalves(syntheticFaces({ perClass: 60, seed: 2 }), 1);
  const ref = path.join(dir, 'ref.csv');
  const same = path.join(dir, 'same.csv');
  const bright = path.join(dir, 'bright.csv');
  writeCsv(ref, a);
  writeCsv(same, b);
  writeCsv(bright, shiftBrightness(b, 50));
  const out: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void out.push(t) };
  const capture = () => {
    let o = '';
    let e = '';
    return { io: { stdout: (t: string) => void (o += t), stderr: (t: string) => void (e += t) }, out: () => o, err: () => e };
  };
  const hist = path.join(dir, 'h.jsonl');

  it('no drift: exit 0 even with --fail-on-drift; writes JSON, HTML and history', async () => {
    const json = path.join(dir, 'r.json');
    const html = path.join(dir, 'r.html');
    const code = await runDrift(
      ['--reference', ref, '--current', same, '--out', json, '--out', html, '--history', hist, '--fail-on-drift', '--cpu'],
      io,
    );
    expect(code, out.join('')).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).summary.drift).toBe(false);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
  });

  it('brightness shift: exit 0 without --fail-on-drift, 3 with it (GPU features)', async () => {
    expect(await runDrift(['--reference', ref, '--current', bright, '--history', hist], io)).toBe(0);
    expect(await runDrift(['--reference', ref, '--current', bright, '--fail-on-drift'], io)).toBe(EXIT_DRIFT);
    expect(out.join('')).toContain('DRIFT DETECTED');
  });

  it('bad input: exit 1 with one line; bad usage: exit 2', async () => {
    const c = capture();
    expect(await runDrift(['--reference', path.join(dir, 'missing.csv'), '--current', same, '--cpu'], c.io)).toBe(1);
    expect(await runDrift(['--reference', ref, '--current', same, '--embedding-method', 'nope'], c.io)).toBe(1);
    expect(await runDrift(['--reference', ref, '--current', same, '--weights', path.join(dir, 'none.safetensors')], c.io)).toBe(1);
    expect(await runDrift(['--reference', ref, '--current', same, '--weights', tiny, '--no-model'], c.io)).toBe(1);
    expect(
      c
        .err()
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('fer-gpu: ')),
    ).toBe(true);
    expect(c.err()).toMatch(/missing\.csv: no such file or folder/);
    expect(c.err()).toMatch(/--weights .*none\.safetensors: no such file/);
    expect(await runDrift(['--reference', ref], capture().io)).toBe(2);
    expect(await runDrift(['--reference', ref, '--current', same, '--bogus'], capture().io)).toBe(2);
  });

  it('output files are checked before any work, and never overwrite an input', async () => {
    const missingData = path.join(dir, 'missing.csv'); // would fail later: the output check comes first
    for (const [args, message] of [
      [['--out', path.join(dir, 'r.txt')], /--out .*r\.txt: unsupported file type '\.txt' \(expected \.html, \.json\)/],
      [['--out', ref.replace(/\.csv$/, '.json'), '--out', ref], /unsupported file type '\.csv'/],
      [['--history', path.join(dir, 'h.csv')], /--history .*h\.csv: unsupported file type/],
      [['--out', '/proc/drift.html'], /--out \/proc\/drift\.html: cannot write there/],
    ] as const) {
      const c = capture();
      expect(await runDrift(['--reference', missingData, '--current', same, '--cpu', ...args], c.io), args.join(' ')).toBe(1);
      expect(c.err()).toMatch(message);
    }
    const folder = path.join(dir, 'unlabelled-out');
    writePngs(folder, b);
    const c = capture();
    expect(await runDrift(['--reference', ref, '--current', folder, '--cpu', '--out', path.join(folder, 'r.html')], c.io)).toBe(1);
    expect(c.err()).toMatch(/is inside the input folder/);
    expect(readdirSync(folder).some((f) => f.endsWith('.html'))).toBe(false);
  });

  it('--json prints the JSON report to stdout; the shipped model ($FER_GPU_WEIGHTS) is used without --weights; --no-model skips it', async () => {
    const c = capture();
    expect(await runDrift(['--reference', ref, '--current', same, '--json'], c.io), c.err()).toBe(0);
    const report = JSON.parse(c.out()) as DriftReport;
    expect(report.embeddings?.source).toBe('model');
    expect(report.predictions).not.toBeNull();
    expect(report.performance).not.toBeNull();
    const none = capture();
    expect(await runDrift(['--reference', ref, '--current', same, '--json', '--no-model'], none.io), none.err()).toBe(0);
    const r2 = JSON.parse(none.out()) as DriftReport;
    expect([r2.embeddings, r2.predictions, r2.performance]).toEqual([null, null, null]);
    expect(r2.labels).not.toBeNull();
  });

  it('the library and the CLI give the same report on the same data (analysis in eval mode)', async () => {
    const c = capture();
    expect(await runDrift(['--reference', ref, '--current', bright, '--json'], c.io), c.err()).toBe(0);
    const cli = JSON.parse(c.out()) as DriftReport;
    // what a library user writes: the pretrained model as loaded, no options
    const { model } = loadPretrained(device());
    const lib = await driftReport({ reference: await loadFer2013(ref), current: await loadFer2013(bright), model, device: device() });
    model.dispose();
    const strip = (r: DriftReport) => ({
      ...r,
      createdAt: '',
      reference: { ...r.reference, name: '' },
      current: { ...r.current, name: '' },
    });
    expect(strip(JSON.parse(JSON.stringify(lib)) as DriftReport)).toEqual(strip(cli));
    expect(cli.summary.embeddingDrift).not.toBeNull();
  });

  it('an unlabelled folder as --current: no label or performance sections', async () => {
    const folder = path.join(dir, 'unlabelled');
    writePngs(folder, b);
    const c = capture();
    expect(await runDrift(['--reference', ref, '--current', folder, '--json'], c.io), c.err()).toBe(0);
    const r = JSON.parse(c.out()) as DriftReport;
    expect(r.current.rows).toBe(b.length);
    expect([r.labels, r.performance, r.summary.labelDrift]).toEqual([null, null, null]);
    expect(r.predictions).not.toBeNull();
  });

  it('history → trend HTML', async () => {
    const trend = path.join(dir, 'trend.html');
    expect(await runDrift(['history', hist, '--out', trend], io)).toBe(0);
    expect(existsSync(trend)).toBe(true);
    expect(readFileSync(trend, 'utf8')).toContain('class="chart trend"');
    expect(await runDrift(['history', path.join(dir, 'none.jsonl'), '--out', trend], io)).toBe(1);
  });
});
