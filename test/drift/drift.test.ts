import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnDrift, datasetDrift, LegacyMT19937, STATTESTS, type StatTestId, type Value } from '../../src/drift/index.js';

interface GoldenCase {
  name: string;
  kind: 'num' | 'cat';
  ref: (number | string | null)[];
  cur: (number | string | null)[];
  auto: StatTestId;
  results: Record<string, { score: number; drifted: boolean }>;
}
const golden = JSON.parse(readFileSync(new URL('../goldens/drift.json', import.meta.url), 'utf8')) as {
  cases: GoldenCase[];
};

/** JSON cannot hold NaN/inf: the golden script writes null and "Infinity"/"-Infinity". */
function decode(a: GoldenCase['ref']): (Value | null)[] {
  return a.map((v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
}

describe('goldens: Evidently formulas computed with SciPy (scripts/goldens/drift.py)', () => {
  for (const c of golden.cases) {
    describe(c.name, () => {
      const ref = decode(c.ref);
      const cur = decode(c.cur);
      it(`automatic choice is ${c.auto}`, () => {
        expect(columnDrift(ref, cur, { kind: c.kind }).method).toBe(c.auto);
      });
      for (const [method, want] of Object.entries(c.results)) {
        it(`${method} score within 1e-6 and same verdict`, () => {
          const got = columnDrift(ref, cur, { kind: c.kind, method: method as StatTestId });
          expect(Math.abs(got.score - want.score)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want.score)));
          expect(got.drifted).toBe(want.drifted);
        });
      }
    });
  }

  it('covers every stattest id somewhere', () => {
    const covered = new Set(golden.cases.flatMap((c) => Object.keys(c.results)));
    expect([...covered].sort()).toEqual(Object.keys(STATTESTS).sort());
  });
});

/** Seeded normal samples (Box-Muller over numpy's MT19937). */
function normal(seed: number, n: number, mu = 0, sd = 1): number[] {
  const rng = new LegacyMT19937(seed);
  const u = () => (rng.nextUint32() + 0.5) / 2 ** 32;
  return Array.from({ length: n }, () => mu + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
function categorical(seed: number, n: number, probs: number[]): string[] {
  const rng = new LegacyMT19937(seed);
  return Array.from({ length: n }, () => {
    let x = rng.nextUint32() / 2 ** 32;
    let k = 0;
    while (k < probs.length - 1 && x >= probs[k]!) x -= probs[k++]!;
    return `c${k}`;
  });
}

describe('known drift / no drift per method (seeded samples)', () => {
  const numMethods = (Object.keys(STATTESTS) as StatTestId[]).filter((m) => STATTESTS[m].kinds.includes('num'));
  const catMethods = (Object.keys(STATTESTS) as StatTestId[]).filter((m) => STATTESTS[m].kinds.includes('cat') && m !== 'fisher_exact');
  const ref = normal(1, 300);
  const same = normal(2, 300);
  const shifted = normal(3, 300, 1, 1);
  for (const m of numMethods) {
    it(`${m}: same distribution → no drift, shifted by 1 sd → drift`, () => {
      expect(columnDrift(ref, same, { method: m }).drifted).toBe(false);
      expect(columnDrift(ref, shifted, { method: m }).drifted).toBe(true);
    });
  }
  const cref = categorical(4, 400, [0.25, 0.25, 0.25, 0.25]);
  const csame = categorical(5, 400, [0.25, 0.25, 0.25, 0.25]);
  const cshift = categorical(6, 400, [0.55, 0.15, 0.15, 0.15]);
  for (const m of catMethods) {
    it(`${m}: same categorical distribution → no drift, reweighted → drift`, () => {
      expect(columnDrift(cref, csame, { method: m }).drifted).toBe(false);
      expect(columnDrift(cref, cshift, { method: m }).drifted).toBe(true);
    });
  }
  it('fisher_exact: binary samples of equal length', () => {
    const a = categorical(7, 300, [0.5, 0.5]);
    expect(columnDrift(a, categorical(8, 300, [0.5, 0.5]), { method: 'fisher_exact' }).drifted).toBe(false);
    expect(columnDrift(a, categorical(9, 300, [0.75, 0.25]), { method: 'fisher_exact' }).drifted).toBe(true);
  });
});

describe('columnDrift / datasetDrift behaviour', () => {
  it('drops NaN, ±Infinity and null like Evidently', () => {
    const ref = normal(10, 100);
    const cur = normal(11, 90);
    const clean = columnDrift(ref, cur);
    const dirty = columnDrift([...ref, NaN, Infinity, null], [-Infinity, ...cur, NaN]);
    expect(dirty.score).toBe(clean.score);
  });
  it('rejects empty columns and inapplicable methods with clear errors', () => {
    expect(() => columnDrift([NaN, NaN], [1, 2])).toThrow(/reference column is empty/);
    expect(() => columnDrift(['a', 'b'], ['a', 'b'], { method: 'ks' })).toThrow(/'ks' isn't applicable to a 'cat'/);
    expect(() => columnDrift([1, 1, 0], [1, 0], { method: 'fisher_exact', kind: 'cat' })).toThrow(/equal length/);
  });
  it('reports pValue only for tests and honours a custom threshold', () => {
    const ref = normal(12, 200);
    const cur = normal(13, 200, 0.2);
    const w = columnDrift(ref, cur, { method: 'wasserstein' });
    expect(w.pValue).toBeUndefined();
    expect(w.threshold).toBe(0.1);
    const k = columnDrift(ref, cur, { method: 'ks', threshold: 1 });
    expect(k.pValue).toBe(k.score);
    expect(k.drifted).toBe(true);
  });
  it('dataset drift when the share of drifted columns >= driftShare', () => {
    const refCols = { a: normal(20, 200), b: normal(21, 200), c: categorical(22, 200, [0.5, 0.3, 0.2]), d: normal(23, 200) };
    const curCols = { a: normal(24, 200, 2), b: normal(25, 200), c: categorical(26, 200, [0.1, 0.1, 0.8]), d: normal(27, 200) };
    const r = datasetDrift(refCols, curCols);
    expect(r.columns.a!.drifted).toBe(true);
    expect(r.columns.c!.method).toBe('chisquare');
    expect(r.columns.c!.drifted).toBe(true);
    expect(r.numberOfDriftedColumns).toBe(Object.values(r.columns).filter((c) => c.drifted).length);
    expect(r.shareOfDriftedColumns).toBe(r.numberOfDriftedColumns / 4);
    expect(r.datasetDrift).toBe(r.shareOfDriftedColumns >= 0.5);
    const strict = datasetDrift(refCols, curCols, { driftShare: 0.9 });
    expect(strict.datasetDrift).toBe(r.shareOfDriftedColumns >= 0.9);
    const perCol = datasetDrift(refCols, curCols, { perColumn: { a: { method: 'psi' } } });
    expect(perCol.columns.a!.method).toBe('psi');
    expect(() => datasetDrift(refCols, { a: [1] })).toThrow(/cannot find column 'b'/);
  });
});
