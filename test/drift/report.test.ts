import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticFaces } from '../../src/data/synthetic.js';
import type { FerDataset } from '../../src/data/dataset.js';
import { driftReport, DRIFT_REPORT_SCHEMA_VERSION, type DriftReport, type ModelOutputs } from '../../src/drift/report.js';
import { appendHistory, escapeHtml, renderDriftHtml, renderTrendHtml } from '../../src/drift/html.js';
import { randomHalves, resampleClasses, shiftBrightness } from '../../src/drift/shifts.js';
import { Rng } from '../../src/random.js';
import type { Tensor } from '../../src/tensor.js';
import { useDevice } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const XSS = '<script>alert(1)</script>';

/** Fake model outputs: embeddings from each image's mean and a few pixels, probabilities that favour the label. */
function outputs(ds: FerDataset, seed: number, accuracy: number): ModelOutputs {
  const rng = new Rng(seed);
  const dim = 8;
  const embeddings = new Float32Array(ds.length * dim);
  const probabilities = new Float32Array(ds.length * 7);
  for (let i = 0; i < ds.length; i++) {
    const px = ds.pixels.subarray(i * 2304, (i + 1) * 2304);
    let m = 0;
    for (const v of px) m += v;
    embeddings[i * dim] = m / 2304 / 64;
    for (let k = 1; k < dim; k++) embeddings[i * dim + k] = px[k * 97]! / 64 + rng.normal(0, 0.2);
    const cls = rng.next() < accuracy ? ds.labels[i]! : rng.int(7);
    for (let c = 0; c < 7; c++) probabilities[i * 7 + c] = c === cls ? 0.7 : 0.05;
  }
  return { embeddings, dim, probabilities };
}

describe('driftReport (precomputed embeddings and predictions, CPU)', () => {
  const all = syntheticFaces({ perClass: 120, seed: 1 });
  const [a, b] = randomHalves(all, 5);
  const classNames = ['angry', 'disgust', 'fear', 'happy', 'sad', XSS, 'neutral'];
  let noDrift: DriftReport;
  let drift: DriftReport;

  it('two random halves of one dataset: no drift anywhere', async () => {
    noDrift = await driftReport({
      reference: a,
      current: b,
      options: { referenceOutputs: outputs(a, 1, 0.9), currentOutputs: outputs(b, 2, 0.9), createdAt: '2024-01-01T00:00:00Z', classNames },
    });
    expect(noDrift.schemaVersion).toBe(DRIFT_REPORT_SCHEMA_VERSION);
    expect(noDrift.features.map((f) => f.name)).toEqual(['brightness', 'contrast', 'sharpness', 'entropy', 'clipped', 'blank']);
    expect(noDrift.summary, JSON.stringify(noDrift.summary)).toMatchObject({
      drift: false,
      featureDrift: false,
      embeddingDrift: false,
      labelDrift: false,
      predictionDrift: false,
    });
    expect(noDrift.performance!.reference.confusionMatrix.flat().reduce((s, v) => s + v, 0)).toBe(a.length);
    expect(Math.abs(noDrift.summary.accuracyDelta!)).toBeLessThan(0.1);
    // Plain JSON: survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(noDrift))).toEqual(noDrift);
  });

  it('brightness shift + class mix + worse model: drift detected in each part', async () => {
    const cur = resampleClasses(shiftBrightness(b, 40), [5, 1, 1, 1, 1, 1, 1], 400, 3);
    drift = await driftReport({
      reference: a,
      current: cur,
      options: {
        referenceOutputs: outputs(a, 1, 0.9),
        currentOutputs: outputs(cur, 2, 0.4),
        createdAt: '2024-01-02T00:00:00Z',
        classNames,
      },
    });
    const s = drift.summary;
    expect(s.drift).toBe(true);
    expect(drift.features.find((f) => f.name === 'brightness')!.drifted).toBe(true);
    expect(s.embeddingDrift).toBe(true);
    expect(s.labelDrift).toBe(true);
    expect(s.predictionDrift).toBe(true);
    expect(s.accuracyDelta!).toBeLessThan(-0.3);
  });

  it('HTML: self-contained, charts present, user strings escaped', () => {
    const html = renderDriftHtml({ ...drift, current: { ...drift.current, name: `/data/${XSS}.csv` } });
    expect(html).not.toContain(XSS);
    expect(html).toContain(escapeHtml(XSS));
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html.match(/class="chart histogram"/g)).toHaveLength(6);
    expect(html.match(/class="chart classes"/g)).toHaveLength(2);
    expect(html.match(/class="chart confusion"/g)).toHaveLength(2);
  });

  it('history: appends one line per report and renders a trend per metric', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drift-'));
    try {
      const file = path.join(dir, 'h.jsonl');
      appendHistory(file, noDrift);
      appendHistory(file, drift);
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(lines.filter(Boolean)).toHaveLength(2);
      const html = renderTrendHtml(lines);
      expect(html.match(/class="chart trend"/g)!.length).toBe(Object.keys(JSON.parse(lines[0]!).metrics).length);
      expect(() => renderTrendHtml([lines[0]!, 'oops'], 'h.jsonl')).toThrow(/^h\.jsonl:2: not a drift history entry/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!existsSync(CHROMIUM))('in headless Chromium', () => {
    // eslint-disable-next-line @typescript-eslint/consistent-type-imports
    let browser: import('playwright-core').Browser | undefined;
    afterAll(async () => browser?.close());

    it('renders with no console errors, charts drawn, the class name stays text', async () => {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('dialog', (d) => {
        problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      await page.setContent(renderDriftHtml(drift), { waitUntil: 'load' });
      expect(await page.locator('svg.chart').count()).toBe(10);
      const box = await page.locator('svg.histogram').first().boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(await page.locator('script').count()).toBe(0);
      expect(await page.locator('svg.classes').first().textContent()).toContain(XSS);
      expect(problems).toEqual([]);
    }, 30_000);
  });
  if (!existsSync(CHROMIUM)) {
    it.skip(`headless Chromium check skipped: ${CHROMIUM} is missing (add Debian's chromium to CI)`, () => {});
  }
});

describe('driftReport with a model (GPU)', () => {
  const device = useDevice();

  it('runs features/forward in batches and feeds embedding and prediction drift', async () => {
    const ds = syntheticFaces({ perClass: 10, seed: 4 });
    const [a, b] = randomHalves(ds, 1);
    let calls = 0;
    // A stand-in model: features = the normalised pixels themselves; logits always favour class 3.
    const model = {
      features: (x: Tensor) => x.reshape([x.shape[0]!, 2304]),
      forward: (x: Tensor) => {
        calls++;
        return x.device.tensor(
          new Float32Array(x.shape[0]! * 7).map((_, i) => (i % 7 === 3 ? 2 : 0)),
          [x.shape[0]!, 7],
        );
      },
    };
    const r = await driftReport({
      reference: a,
      current: shiftBrightness(b, 60),
      model,
      device: device(),
      options: { batchSize: 16, embedding: { method: 'distance' } },
    });
    expect(calls).toBe(Math.ceil(a.length / 16) + Math.ceil(b.length / 16));
    expect(r.embeddings!.source).toBe('model');
    expect(r.embeddings!.dim).toBe(2304);
    // Brightness +60 grey levels moves every normalised pixel by ~0.47: the mean distance is large.
    expect(r.embeddings!.driftDetected).toBe(true);
    expect(r.predictions!.distribution.reference[3]).toBe(a.length);
    expect(r.performance!.reference.confusionMatrix.map((row) => row[3])).toEqual(r.labels!.distribution.reference);
  });
});
