// Bad input, zero_division = NaN, number formatting, report wiring and plots.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  expectedCalibrationError,
  logLoss,
  precisionRecallF1Support,
  renderConfusionMatrix,
  renderPerClassBars,
  reportFromConfusion,
  rocAucOvr,
  topKAccuracy,
  writePlot,
  type Average,
} from '../../src/metrics/index.js';
import { pyFixed } from '../../src/metrics/report.js';
import { FER_CLASSES } from '../../src/classes.js';

describe('bad input gives a clear error', () => {
  it('mismatched lengths and empty input', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/yTrue has 2 samples but yPred has 1/);
    expect(() => accuracy([], [])).toThrow(/empty/);
    expect(() => confusionMatrix(new Int32Array(0), new Int32Array(0))).toThrow(/empty/);
    expect(() => logLoss([], new Float32Array(0))).toThrow(/empty/);
  });

  it('non-integer labels', () => {
    expect(() => accuracy([0, 1.5], [0, 1])).toThrow(/yTrue\[1\] = 1.5 is not an integer/);
  });

  it('labels option: duplicates, and none present in yTrue (sklearn error)', () => {
    expect(() => confusionMatrix([0, 1], [0, 1], { labels: [0, 0] })).toThrow(/more than once/);
    expect(() => confusionMatrix([0, 1], [2, 2], { labels: [2] })).toThrow(/none of labels \[2\] occurs in yTrue/);
  });

  it('probabilities of the wrong shape', () => {
    expect(() => logLoss([0, 1], new Float64Array(5))).toThrow(/5 values.*2 samples/);
    expect(() => logLoss([0, 1], [[0.5, 0.5], [1]])).toThrow(/\[1\] has 1 columns; row 0 has 2/);
    expect(() =>
      logLoss(
        [0, 1, 2],
        [
          [0.5, 0.5],
          [0.5, 0.5],
          [0.5, 0.5],
        ],
      ),
    ).toThrow(/3 classes .* 2 columns/);
    expect(() => rocAucOvr([0, 1], [[0.5, 0.5]])).toThrow(/1 rows but there are 2 samples/);
    expect(() => topKAccuracy([0, 1], new Float32Array(6), { numClasses: 2 })).toThrow(/shape \[2, 3\] but numClasses is 2/);
  });

  it('rows not summing to 1, or not finite', () => {
    expect(() =>
      logLoss(
        [0, 1],
        [
          [0.6, 0.6],
          [0.5, 0.5],
        ],
      ),
    ).toThrow(/row 0 sums to 1.2/);
    expect(() =>
      rocAucOvr(
        [0, 1, 2],
        [
          [2, 1, 0],
          [0, 1, 2],
          [1, 1, 1],
        ],
      ),
    ).toThrow(/not a probability|sums to/);
    expect(() =>
      expectedCalibrationError(
        [0, 1],
        [
          [NaN, 1],
          [0.5, 0.5],
        ],
      ),
    ).toThrow(/\[0\]\[0\] = NaN is not finite/);
    // top-k accepts any scores, as sklearn does (decision values are allowed there).
    expect(
      topKAccuracy(
        [0, 1, 2],
        [
          [3, 1, 0],
          [0, 5, 2],
          [1, 1, 9],
        ],
        { k: 1 },
      ),
    ).toBe(1);
  });

  it('yTrue value outside labels', () => {
    const probs = [
      [0.5, 0.5],
      [0.5, 0.5],
    ];
    expect(() => logLoss([0, 3], probs, { labels: [0, 1] })).toThrow(/yTrue\[1\] = 3 is not one of the classes/);
    expect(() =>
      topKAccuracy(
        [0, 3, 1],
        [
          [0.2, 0.3, 0.5],
          [0.2, 0.3, 0.5],
          [0.2, 0.3, 0.5],
        ],
        { labels: [0, 1, 2] },
      ),
    ).toThrow(/yTrue\[1\] = 3 is not in labels/);
    expect(() =>
      rocAucOvr(
        [0, 1, 2],
        [
          [0.2, 0.3, 0.5],
          [0.2, 0.3, 0.5],
          [0.2, 0.3, 0.5],
        ],
        { labels: [2, 1, 0] },
      ),
    ).toThrow(/sorted/);
  });

  it('classificationReport: targetNames of the wrong length', () => {
    expect(() => classificationReport([0, 1], [0, 1], { targetNames: ['a'] })).toThrow(/1 names but there are 2 classes/);
  });
});

describe('zeroDivision = NaN (sklearn >= 1.3 semantics)', () => {
  // Debian's sklearn 1.2.1 has no zero_division=np.nan, so the expected values are derived from
  // the sklearn goldens for 0 and 1: an entry is ill-defined exactly where those two differ.
  const golden = JSON.parse(readFileSync(new URL('../goldens/metrics.json', import.meta.url), 'utf8')) as {
    cases: {
      name: string;
      yTrue: number[];
      yPred: number[];
      labels: number[] | null;
      expect: { prf: Record<string, Record<string, unknown>> };
    }[];
  };
  for (const c of golden.cases.filter((x) => !x.name.startsWith('random') || Number(x.name.slice(7)) < 20)) {
    it(c.name, () => {
      const zero = c.expect.prf['None|0'] as Record<'precision' | 'recall' | 'f1', (number | string)[]>;
      const one = c.expect.prf['None|1'] as typeof zero;
      const got = precisionRecallF1Support(c.yTrue, c.yPred, { labels: c.labels ?? undefined, zeroDivision: NaN });
      const expected = { precision: [] as number[], recall: [] as number[] };
      for (const key of ['precision', 'recall'] as const) {
        zero[key].forEach((v, i) => expected[key].push(v === one[key][i] ? Number(v) : NaN));
        got[key].forEach((v, i) => (Number.isNaN(expected[key][i]) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(expected[key][i]!, 12)));
      }
      got.f1.forEach((v, i) => {
        // F1 is NaN only for a class neither true nor predicted; otherwise 2TP/(2TP+FP+FN), as zeroDivision 0 gives.
        if (got.support[i] === 0 && Number.isNaN(got.precision[i])) expect(v).toBeNaN();
        else expect(v).toBeCloseTo(Number(zero.f1[i]), 12);
      });
      for (const average of ['macro', 'weighted'] as Average[]) {
        const avg = precisionRecallF1Support(c.yTrue, c.yPred, { labels: c.labels ?? undefined, zeroDivision: NaN, average });
        const finite = got.precision
          .map((v, i): [number, number] => [v, average === 'macro' ? 1 : got.support[i]!])
          .filter(([v]) => !Number.isNaN(v));
        const den = finite.reduce((a, [, w]) => a + w, 0);
        if (finite.length === 0) expect(avg.precision).toBeNaN();
        else if (den > 0) expect(avg.precision).toBeCloseTo(finite.reduce((a, [v, w]) => a + v * w, 0) / den, 12);
      }
    });
  }
});

describe('pyFixed matches Python float formatting', () => {
  it('rounds exact ties to even and others to nearest', () => {
    expect(pyFixed(0.625, 2)).toBe('0.62');
    expect(pyFixed(0.375, 2)).toBe('0.38');
    expect(pyFixed(0.125, 2)).toBe('0.12');
    expect(pyFixed(2.5, 0)).toBe('2');
    expect(pyFixed(3.5, 0)).toBe('4');
    expect(pyFixed(0.5, 0)).toBe('0');
    expect(pyFixed(0.1 + 0.2, 1)).toBe('0.3');
    expect(pyFixed(1 / 3, 4)).toBe('0.3333');
    // 2.675 is stored as 2.67499999..., so it rounds down in Python and JS alike.
    expect(pyFixed(2.675, 2)).toBe('2.67');
    expect(pyFixed(NaN, 2)).toBe('nan');
    expect(pyFixed(-0.001, 2)).toBe('-0.00');
  });
});

describe('classification report', () => {
  const yTrue = [0, 1, 2, 2, 1, 0, 2, 1];
  const yPred = [0, 2, 2, 2, 1, 0, 1, 1];
  const probs = [
    [0.8, 0.1, 0.1],
    [0.2, 0.3, 0.5],
    [0.1, 0.2, 0.7],
    [0.1, 0.1, 0.8],
    [0.2, 0.6, 0.2],
    [0.7, 0.2, 0.1],
    [0.1, 0.5, 0.4],
    [0.3, 0.6, 0.1],
  ];

  it('carries probability metrics equal to the standalone functions and serialises to JSON', () => {
    const report = classificationReport(yTrue, yPred, { targetNames: ['a', 'b', 'c'], probabilities: probs });
    const pm = report.probabilityMetrics!;
    expect(pm.logLoss).toBe(logLoss(yTrue, probs));
    expect(pm.rocAucMacro).toBe(rocAucOvr(yTrue, probs));
    expect(pm.rocAucWeighted).toBe(rocAucOvr(yTrue, probs, { average: 'weighted' }));
    expect(pm.top2Accuracy).toBe(topKAccuracy(yTrue, probs, { k: 2 }));
    expect(pm.ece).toBe(expectedCalibrationError(yTrue, probs));
    const json = JSON.parse(JSON.stringify(report));
    expect(Object.keys(json)).toEqual(['a', 'b', 'c', 'accuracy', 'macro avg', 'weighted avg', 'confusion matrix', 'probability metrics']);
    expect(json.accuracy).toBe(accuracy(yTrue, yPred));
    expect(json['confusion matrix']).toEqual(confusionMatrix(yTrue, yPred));
    expect(report.toString()).toContain(report.format(2));
    expect(report.toString()).toMatch(/log loss\s+\d\.\d{4}/);
  });

  it('gives null AUC instead of failing when a class has no true sample', () => {
    const report = classificationReport([0, 1, 0, 1], [0, 1, 1, 1], {
      probabilities: [
        [0.6, 0.3, 0.1],
        [0.2, 0.7, 0.1],
        [0.3, 0.3, 0.4],
        [0.1, 0.8, 0.1],
      ],
    });
    expect(report.probabilityMetrics!.rocAucMacro).toBeNull();
    expect(() =>
      rocAucOvr(
        [0, 1, 0, 1],
        [
          [0.6, 0.3, 0.1],
          [0.2, 0.7, 0.1],
          [0.3, 0.3, 0.4],
          [0.1, 0.8, 0.1],
        ],
        { labels: [0, 1, 2] },
      ),
    ).toThrow(/class 2 has no positive samples/);
  });

  it('reportFromConfusion with a never-seen class prints "micro avg" as sklearn does with labels', () => {
    const cm = [
      [3, 1, 0],
      [0, 2, 0],
      [0, 0, 0],
    ];
    const report = reportFromConfusion(cm, { targetNames: ['x', 'y', 'z'] });
    expect(report.accuracy).toBeUndefined();
    expect(report.format()).toContain('   micro avg');
    expect(report.classes[2]).toMatchObject({ name: 'z', precision: 0, recall: 0, f1: 0, support: 0 });
  });
});

describe('plots', () => {
  const cm = [
    [50, 3, 7],
    [4, 40, 6],
    [0, 10, 30],
  ];
  const names = [FER_CLASSES[0], FER_CLASSES[3], FER_CLASSES[6]];

  it('confusion matrix PNG: decodable, white background, dark cell for the largest count', () => {
    const png = pngjs.PNG.sync.read(renderConfusionMatrix(cm, { format: 'png', classNames: names }));
    expect(png.width).toBeGreaterThan(200);
    expect(png.height).toBeGreaterThan(200);
    const px = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    expect(px(0, 0)).toEqual([255, 255, 255]);
    // Some pixel is the darkest blue (count 50 is the maximum) and some is text ink.
    let dark = false;
    let ink = false;
    for (let i = 0; i < png.data.length; i += 4) {
      if (png.data[i] === 8 && png.data[i + 1] === 48 && png.data[i + 2] === 107) dark = true;
      if (png.data[i] === 0x22 && png.data[i + 1] === 0x22 && png.data[i + 2] === 0x22) ink = true;
    }
    expect(dark && ink).toBe(true);
  });

  it('confusion matrix SVG shows class names and row-normalised values', () => {
    const svg = renderConfusionMatrix(cm, { format: 'svg', classNames: names, normalize: 'true' });
    expect(svg.startsWith('<svg')).toBe(true);
    for (const n of names) expect(svg.split(`>${n}</text>`).length - 1).toBe(2); // both axes
    expect(svg).toContain('>0.83</text>'); // 50 / 60
    expect(svg).toContain('>0.75</text>'); // 30 / 40
    // the counts too, in brackets under the fractions, unless turned off
    for (const v of cm.flat()) expect(svg).toContain(`>(${v})</text>`);
    expect(renderConfusionMatrix(cm, { format: 'svg', classNames: names, normalize: 'true', showCounts: false })).not.toContain(
      '>(50)</text>',
    );
  });

  it('per-class bars in both formats, and writePlot picks the format from the extension', async () => {
    const report = reportFromConfusion(cm, { targetNames: names });
    const svg = renderPerClassBars(report, { format: 'svg' });
    for (const n of [...names, 'precision', 'recall', 'F1', 'n=60']) expect(svg).toContain(`>${n}</text>`);
    expect(pngjs.PNG.sync.read(renderPerClassBars(report, { format: 'png' })).width).toBeGreaterThan(200);
    const dir = mkdtempSync(join(tmpdir(), 'fer-metrics-'));
    await writePlot(join(dir, 'cm.png'), { type: 'confusionMatrix', cm, classNames: names });
    await writePlot(join(dir, 'bars.svg'), { type: 'perClassBars', report });
    expect([...readFileSync(join(dir, 'cm.png')).subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    expect(readFileSync(join(dir, 'bars.svg'), 'utf8')).toMatch(/^<svg/);
    await expect(writePlot(join(dir, 'x.jpg'), { type: 'perClassBars', report })).rejects.toThrow(/\.png or \.svg/);
  });
});
