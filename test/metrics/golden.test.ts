// Compares every metric with scikit-learn's value on the same inputs. The goldens come from
// scripts/goldens/metrics.py (run with Debian's /usr/bin/python3, scikit-learn 1.2.1).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  balancedAccuracy,
  classificationReport,
  cohenKappa,
  confusionMatrix,
  expectedCalibrationError,
  logLoss,
  matthewsCorrcoef,
  precisionRecallF1Support,
  reportFromConfusion,
  rocAucOvr,
  topKAccuracy,
  type Average,
} from '../../src/metrics/index.js';

type Num = number | 'NaN' | 'Infinity' | '-Infinity';
type Err = { error: string };
interface Case {
  name: string;
  yTrue: number[];
  yPred: number[];
  labels: number[] | null;
  targetNames: string[] | null;
  expect: {
    accuracy: number;
    balancedAccuracy: number;
    balancedAccuracyAdjusted: number;
    mcc: number;
    kappa: Record<string, Num | Err>;
    cm: Record<string, Num[][] | Err>;
    prf: Record<string, { precision: Num | Num[]; recall: Num | Num[]; f1: Num | Num[]; support: number[] | null }>;
    report: Record<string, string> & { dict: Record<string, unknown> };
  };
  probs?: {
    values: number[][];
    dtype: 'float32' | 'float64';
    classes: number[];
    passLabels: boolean;
    expect: Record<string, number | Err>;
  };
}

const golden = JSON.parse(readFileSync(new URL('../goldens/metrics.json', import.meta.url), 'utf8')) as {
  sklearn: string;
  cases: Case[];
};

const num = (v: Num): number => (typeof v === 'number' ? v : Number(v));
const isErr = (v: unknown): v is Err => typeof v === 'object' && v !== null && 'error' in v;

/** sklearn's figure to 1e-9 (relative for large values); NaN must match NaN. */
function close(actual: number, expected: Num, tol = 1e-9, what = ''): void {
  const e = num(expected);
  if (!Number.isFinite(e)) {
    expect(actual, what).toBe(e);
    return;
  }
  expect(Math.abs(actual - e), `${what}: got ${actual}, sklearn ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
}

function closeAll(actual: readonly number[], expected: readonly Num[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => close(a, expected[i]!, 1e-9, `${what}[${i}]`));
}

describe(`metrics vs scikit-learn ${golden.sklearn} goldens`, () => {
  it('has many cases', () => {
    expect(golden.cases.length).toBeGreaterThan(50);
  });

  for (const c of golden.cases) {
    const labels = c.labels ?? undefined;
    // Alternate input types: Int32Array for half the cases, number[] for the others.
    const asInt = c.name.length % 2 === 0;
    const yTrue = asInt ? Int32Array.from(c.yTrue) : c.yTrue;
    const yPred = asInt ? Int32Array.from(c.yPred) : c.yPred;

    describe(c.name, () => {
      it('accuracy, balanced accuracy, MCC', () => {
        close(accuracy(yTrue, yPred), c.expect.accuracy);
        close(balancedAccuracy(yTrue, yPred), c.expect.balancedAccuracy);
        close(balancedAccuracy(yTrue, yPred, { adjusted: true }), c.expect.balancedAccuracyAdjusted);
        close(matthewsCorrcoef(yTrue, yPred), c.expect.mcc);
      });

      it('Cohen kappa', () => {
        for (const [w, expected] of Object.entries(c.expect.kappa)) {
          const weights = w === 'None' ? undefined : (w as 'linear' | 'quadratic');
          const run = () => cohenKappa(yTrue, yPred, { labels, weights });
          if (isErr(expected)) expect(run).toThrow();
          else close(run(), expected, 1e-9, `kappa ${w}`);
        }
      });

      it('confusion matrix', () => {
        for (const [n, expected] of Object.entries(c.expect.cm)) {
          const normalize = n === 'None' ? undefined : (n as 'true' | 'pred' | 'all');
          const run = () => confusionMatrix(yTrue, yPred, { labels, normalize });
          if (isErr(expected)) {
            expect(run).toThrow(/labels/);
            continue;
          }
          const cm = run();
          expect(cm.length).toBe(expected.length);
          cm.forEach((row, i) => closeAll(row, expected[i]!, `cm ${n} row ${i}`));
        }
      });

      it('precision, recall, F1, support', () => {
        for (const [key, expected] of Object.entries(c.expect.prf)) {
          const [avg, zd] = key.split('|');
          const average = (avg === 'None' ? null : avg) as Average;
          const got = precisionRecallF1Support(yTrue, yPred, { labels, average, zeroDivision: Number(zd) });
          if (average === null) {
            const g = got as { precision: number[]; recall: number[]; f1: number[]; support: number[] };
            closeAll(g.precision, expected.precision as Num[], `${key} precision`);
            closeAll(g.recall, expected.recall as Num[], `${key} recall`);
            closeAll(g.f1, expected.f1 as Num[], `${key} f1`);
            expect(g.support).toEqual(expected.support);
          } else {
            close(got.precision as number, expected.precision as Num, 1e-9, `${key} precision`);
            close(got.recall as number, expected.recall as Num, 1e-9, `${key} recall`);
            close(got.f1 as number, expected.f1 as Num, 1e-9, `${key} f1`);
            expect(got.support).toBeNull();
          }
        }
      });

      it('classification report text and dict', () => {
        const report = classificationReport(yTrue, yPred, { labels, targetNames: c.targetNames ?? undefined });
        for (const digits of [0, 2, 4]) expect(report.format(digits)).toBe(c.expect.report[String(digits)]);
        const ours = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
        for (const [key, value] of Object.entries(c.expect.report.dict)) {
          if (typeof value === 'number') {
            close(ours[key] as number, value, 1e-9, key);
            continue;
          }
          const row = value as Record<string, Num>;
          const mine = ours[key] as Record<string, number | null>;
          for (const field of ['precision', 'recall', 'f1-score', 'support']) {
            close(mine[field] ?? NaN, row[field]!, 1e-9, `${key} ${field}`);
          }
        }
      });

      it('report from the confusion matrix equals the report from labels', () => {
        // Only meaningful when every sample falls inside the listed classes.
        const present = [...new Set([...c.yTrue, ...c.yPred])].sort((a, b) => a - b);
        const all = labels ?? present;
        if (!present.every((l) => all.includes(l)) || !c.yTrue.some((v) => all.includes(v))) return;
        const cm = confusionMatrix(yTrue, yPred, { labels: all });
        const report = reportFromConfusion(cm, { labels: all, targetNames: c.targetNames ?? undefined });
        expect(report.format(2)).toBe(
          classificationReport(yTrue, yPred, { labels: all, targetNames: c.targetNames ?? undefined }).format(2),
        );
        if (c.labels !== null) expect(report.format(4)).toBe(c.expect.report['4']);
      });

      const p = c.probs;
      if (!p) return;
      it('probability metrics', () => {
        const probabilities = p.dtype === 'float32' ? Float32Array.from(p.values.flat()) : p.values;
        const opts = p.passLabels ? { labels: p.classes } : {};
        const check = (name: string, run: () => number, tol = 1e-9) => {
          const expected = p.expect[name];
          if (expected === undefined) throw new Error(`the golden file has no '${name}'`);
          if (isErr(expected)) expect(run, name).toThrow();
          else close(run(), expected, tol, name);
        };
        for (const k of [1, 2, 3]) check(`top${k}`, () => topKAccuracy(yTrue, probabilities, { ...opts, k }));
        // sklearn does float32 arithmetic for float32 input; we compute in float64 (see logLoss JSDoc).
        check('logLoss', () => logLoss(yTrue, probabilities, opts), p.dtype === 'float32' ? 1e-6 : 1e-9);
        check('auc_macro', () => rocAucOvr(yTrue, probabilities, { ...opts, average: 'macro' }));
        check('auc_weighted', () => rocAucOvr(yTrue, probabilities, { ...opts, average: 'weighted' }));
        check('ece', () => expectedCalibrationError(yTrue, probabilities, { labels: p.classes }));
      });
    });
  }
});
