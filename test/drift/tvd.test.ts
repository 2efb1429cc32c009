/**
 * Evidently parity of the TVD stattest (float64 TVD in CPython's set order) and of g_test, against
 * test/goldens/tvd.json (scripts/goldens/tvd.py: real CPython sets and NumPy) and Evidently's own
 * test inputs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnDrift } from '../../src/drift/index.js';
import { gTestPValue } from '../../src/drift/stattests.js';
import { tvdPermutation } from '../../src/drift/permutation-tests.js';
import { pyHash, pythonSetUnion } from '../../src/drift/pyset.js';
import { numpySum } from '../../src/drift/special.js';

interface TvdCase {
  name: string;
  ref: number[];
  cur: number[];
  pValue: number;
  tvd: number;
  integerPValue: number;
  evidentlyTestExpects?: number;
}
const golden = JSON.parse(readFileSync(new URL('../goldens/tvd.json', import.meta.url), 'utf8')) as {
  tvd: TvdCase[];
  setOrder: { a: number[]; b: number[]; order: number[] }[];
  hashes: [number, string][];
};

describe('CPython set order (pyset.ts)', () => {
  it('hash() of ints and floats', () => {
    for (const [v, h] of golden.hashes) expect(BigInt.asIntN(64, pyHash(v)).toString(), `hash(${v})`).toBe(h);
  });

  it('list(set(a) | set(b)) for ints and floats, with collisions and resizes', () => {
    for (const c of golden.setOrder) expect(pythonSetUnion(c.a, c.b)).toEqual(c.order);
  });

  it('small non-negative ints come out sorted, whatever the insertion order', () => {
    expect(pythonSetUnion([5, 3, 1], [6, 2, 4])).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('numpySum', () => {
  it('sums pairwise as numpy does (differs from a left-to-right sum)', () => {
    const a = Float64Array.from({ length: 300 }, (_, i) => 1 / (i + 1) ** 1.5 + (i % 7) * 1e-9);
    let sequential = 0;
    for (const v of a) sequential += v;
    const pairwise = numpySum(a);
    expect(pairwise).toBeCloseTo(sequential, 12);
    const small = Float64Array.of(0.1, 0.2, 0.3);
    expect(numpySum(small)).toBe(0.1 + 0.2 + 0.3);
  });
});

describe('TVD: float64 as Evidently (scripts/goldens/tvd.py)', () => {
  for (const c of golden.tvd) {
    it(`${c.name}: p ${c.pValue} and the observed TVD bit for bit`, () => {
      const [p, observed] = tvdPermutation(c.ref, c.cur);
      expect(observed).toBe(c.tvd);
      expect(p).toBe(c.pValue);
      if (c.evidentlyTestExpects !== undefined) expect(p).toBeCloseTo(c.evidentlyTestExpects, 3);
    });
  }

  it("Evidently's first test input: exact integer ties would give 0.972, Evidently's float64 gives 0.928", () => {
    const c = golden.tvd.find((x) => x.name === 'evidently_1')!;
    expect(c.integerPValue).toBe(0.972);
    const r = columnDrift(c.ref, c.cur, { kind: 'cat', method: 'TVD' });
    expect(r.score).toBe(0.928);
    expect(r.drifted).toBe(false);
  });

  it('string categories: a deterministic p-value (order of first appearance)', () => {
    const ref = ['a', 'b', 'c', 'a', 'b', 'a', 'c', 'c', 'b', 'a'];
    const cur = ['b', 'b', 'c', 'a', 'c', 'c', 'c', 'b'];
    expect(tvdPermutation(ref, cur)[0]).toBe(tvdPermutation(ref, cur)[0]);
    expect(tvdPermutation(ref, cur)[1]).toBeCloseTo(
      0.5 * (Math.abs(4 / 10 - 1 / 8) + Math.abs(3 / 10 - 3 / 8) + Math.abs(3 / 10 - 4 / 8)),
      15,
    );
  });
});

describe('g_test', () => {
  it("Evidently's test input (equal sizes): p 0.8176", () => {
    const rep = (v: string[], n: number[]) => v.flatMap((x, i) => Array<string>(n[i]!).fill(x));
    expect(gTestPValue(rep(['a', 'b', 'c'], [5, 5, 8]), rep(['a', 'b', 'c'], [4, 6, 8]))).toBeCloseTo(0.8176, 3);
  });

  it('unequal sizes: the reference counts are scaled to the current total (where Evidently with SciPy >= 1.9 raises)', () => {
    const ref = [...Array<string>(20).fill('x'), ...Array<string>(20).fill('y')];
    const cur = [...Array<string>(10).fill('x'), ...Array<string>(10).fill('y')];
    // expected counts 10/10 equal the observed ones: G = 0, p = 1 (raw reference counts would give G < 0)
    expect(gTestPValue(ref, cur)).toBe(1);
    // the same proportions at any size give the same p-value
    const twice = [...ref, ...ref];
    expect(gTestPValue(twice, [...cur, 'x', 'x'])).toBeCloseTo(gTestPValue(ref, [...cur, 'x', 'x']), 12);
  });
});
