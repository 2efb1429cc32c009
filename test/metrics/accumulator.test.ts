// MetricAccumulator: the GPU kernel against its CPU reference, the reference against the
// sklearn-semantics metrics, and report() against classificationReport on the same data.
import { describe, expect, it } from 'vitest';
import { accumulateMetrics, MetricAccumulator } from '../../src/metrics/accumulator/index.js';
import * as ref from '../../src/metrics/accumulator/reference.js';
import { countsLayout } from '../../src/metrics/accumulator/wgsl.js';
import { classificationReport, confusionMatrix, topKAccuracy, type ClassificationReport } from '../../src/metrics/index.js';
import { FER_CLASSES } from '../../src/classes.js';
import { Rng } from '../../src/random.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import type { Device } from '../../src/gpu/device.js';
import { expectClose, ownDevice, useDevice } from '../helpers.js';

// Tolerances: counts are integers (exact); figures derived from counts are the same f64
// arithmetic on both sides (1e-9); probabilities are an f32 softmax on the GPU against f64 (1e-6).
const COUNT_TOL = 1e-9;
const PROB_TOL = 1e-6;

/** Seeded logits [N, K] (f32 values) and labels in [0, K); `ties` rounds logits to integers. */
function data(N: number, K: number, seed: number, { ties = false, std = 1.5 } = {}) {
  const rng = new Rng(seed);
  const logits = rng.normals(N * K, 0, std);
  if (ties) for (let i = 0; i < logits.length; i++) logits[i] = Math.round(logits[i]!);
  const labels = Int32Array.from({ length: N }, () => rng.int(K));
  return { logits, labels };
}

/** numpy's argmax per row: the first maximum. */
function argmaxRows(logits: ArrayLike<number>, K: number): Int32Array {
  const out = new Int32Array(logits.length / K);
  for (let i = 0; i < out.length; i++) {
    for (let j = 1; j < K; j++) if (logits[i * K + j]! > logits[i * K + out[i]!]!) out[i] = j;
  }
  return out;
}

function range(K: number): number[] {
  return Array.from({ length: K }, (_, j) => j);
}

/** Runs the GPU op on one batch; returns its counts (as u32) and softmax. */
async function gpuRun(d: Device, logits: Float32Array, labels: Int32Array, K: number, k: number) {
  const N = labels.length;
  const counts = d.zeros([countsLayout(K).length], { dtype: 'i32' });
  const probs = d.empty([N, K]);
  accumulateMetrics(d.tensor(logits, [N, K]), d.tensor(labels, [N]), counts, k, probs);
  return { counts: Array.from(new Uint32Array((await counts.toInt32Array()).buffer)), probs: await probs.toArray() };
}

function cpuRun(logits: Float32Array, labels: ArrayLike<number>, K: number, k: number) {
  const N = labels.length;
  const counts = new Array<number>(countsLayout(K).length).fill(0);
  const probs = CpuTensor.zeros([N, K]);
  ref.accumulateMetrics(CpuTensor.from(logits, [N, K]), labels, counts, k, probs);
  return { counts, probs };
}

function expectSameReport(actual: ClassificationReport, expected: ClassificationReport): void {
  const near = (a: number | null | undefined, e: number | null | undefined, tol: number, what: string) => {
    if (e === null || e === undefined || a === null || a === undefined) expect(a, what).toBe(e);
    else expect(Math.abs(a - e), `${what}: ${a} vs ${e}`).toBeLessThanOrEqual(tol);
  };
  const rows = (a: { precision: number; recall: number; f1: number; support: number }, e: typeof a, what: string) => {
    near(a.precision, e.precision, COUNT_TOL, `${what} precision`);
    near(a.recall, e.recall, COUNT_TOL, `${what} recall`);
    near(a.f1, e.f1, COUNT_TOL, `${what} f1`);
    expect(a.support, `${what} support`).toBe(e.support);
  };
  expect(actual.classes.map((c) => [c.label, c.name])).toEqual(expected.classes.map((c) => [c.label, c.name]));
  actual.classes.forEach((c, i) => rows(c, expected.classes[i]!, `class ${c.name}`));
  near(actual.accuracy, expected.accuracy, COUNT_TOL, 'accuracy');
  expect(actual.microAvg === undefined).toBe(expected.microAvg === undefined);
  if (expected.microAvg) rows(actual.microAvg!, expected.microAvg, 'micro avg');
  rows(actual.macroAvg, expected.macroAvg, 'macro avg');
  rows(actual.weightedAvg, expected.weightedAvg, 'weighted avg');
  expect(actual.confusionMatrix).toEqual(expected.confusionMatrix);
  expect(actual.floatSupport).toBe(expected.floatSupport);
  expect(actual.format(4)).toBe(expected.format(4));
  const pa = actual.probabilityMetrics;
  const pe = expected.probabilityMetrics;
  expect(pa === undefined).toBe(pe === undefined);
  if (pa && pe) {
    for (const key of Object.keys(pe) as (keyof typeof pe)[]) near(pa[key], pe[key], PROB_TOL, key);
  }
}

describe('metric accumulator kernel', () => {
  const device = useDevice();

  const cases = [
    { name: 'K=7, N=300', N: 300, K: 7, ties: false },
    { name: 'K=7, N=300, integer logits (ties)', N: 300, K: 7, ties: true },
    { name: 'K=3, N=257, integer logits (ties)', N: 257, K: 3, ties: true },
    { name: 'K=7, N=1', N: 1, K: 7, ties: false },
    { name: 'K=3, N=1, integer logits', N: 1, K: 3, ties: true },
  ];
  for (const c of cases) {
    it(`GPU matches the CPU reference: ${c.name}`, async () => {
      const d = device();
      const { logits, labels } = data(c.N, c.K, c.N * 10 + c.K, { ties: c.ties });
      for (const k of [1, 2, 3]) {
        const gpu = await gpuRun(d, logits, labels, c.K, k);
        const cpu = cpuRun(logits, labels, c.K, k);
        expect(gpu.counts, `counts, k=${k}`).toEqual(cpu.counts);
        expectClose(gpu.probs, cpu.probs, { atol: PROB_TOL, rtol: 0, what: `softmax, k=${k}` });
      }
    });

    it(`the reference agrees with confusionMatrix and topKAccuracy: ${c.name}`, () => {
      const { logits, labels } = data(c.N, c.K, c.N * 10 + c.K, { ties: c.ties });
      const layout = countsLayout(c.K);
      for (const k of [1, 2, 3]) {
        const { counts } = cpuRun(logits, labels, c.K, k);
        const cm = confusionMatrix(labels, argmaxRows(logits, c.K), { labels: range(c.K) });
        expect(counts.slice(0, c.K * c.K)).toEqual(cm.flat());
        expect(counts[layout.hits]! / c.N).toBe(topKAccuracy(labels, Float64Array.from(logits), { k, labels: range(c.K) }));
        expect(counts[layout.invalid]).toBe(0);
      }
    });
  }

  it('ties: argmax takes the first maximum, top-k ranks the later of equal columns higher', async () => {
    const d = device();
    // One row, K = 4, columns 1 and 2 tie for the maximum.
    const logits = Float32Array.from([1, 3, 3, 0]);
    for (const [label, k, predicted, hit] of [
      [1, 1, 1, 0], // argmax is column 1, but sklearn ranks column 2 first: no top-1 hit
      [2, 1, 1, 1], // top-1 is column 2, although the argmax (prediction) is column 1
      [1, 2, 1, 1],
      [0, 2, 1, 0], // column 0 is third
      [0, 3, 1, 1],
    ]) {
      const { counts } = await gpuRun(d, logits, Int32Array.of(label!), 4, k!);
      const layout = countsLayout(4);
      expect(counts[label! * 4 + predicted!], `label ${label}, k ${k}: confusion cell`).toBe(1);
      expect(counts[layout.hits], `label ${label}, k ${k}: hit`).toBe(hit);
    }
  });

  it('labels outside [0, K) given as a tensor are counted as invalid, not as samples', async () => {
    const d = device();
    const { logits } = data(4, 3, 5);
    const labels = Int32Array.of(0, 3, -1, 2);
    const gpu = await gpuRun(d, logits, labels, 3, 1);
    const cpu = cpuRun(logits, labels, 3, 1);
    expect(gpu.counts).toEqual(cpu.counts);
    expect(gpu.counts[countsLayout(3).invalid]).toBe(2);
    expect(gpu.counts.slice(0, 9).reduce((a, b) => a + b, 0)).toBe(2);
  });
});

describe('MetricAccumulator', () => {
  const device = useDevice();

  it('report() equals classificationReport on the same data (K=7, batches of 64, 1, 135; labels as arrays and tensors)', async () => {
    const d = device();
    const K = 7;
    const sizes = [64, 1, 135];
    const acc = new MetricAccumulator(d, { numClasses: K, targetNames: FER_CLASSES, k: 3 });
    const all = { logits: [] as number[], labels: [] as number[] };
    sizes.forEach((N, b) => {
      const { logits, labels } = data(N, K, 100 + b);
      acc.update(d.tensor(logits, [N, K]), b === 1 ? labels : d.tensor(labels, [N]));
      all.logits.push(...logits);
      all.labels.push(...labels);
    });
    expect(acc.sampleCount).toBe(200);
    const logits = Float32Array.from(all.logits);
    const probs = cpuRun(logits, all.labels, K, 1).probs;
    const expected = classificationReport(all.labels, argmaxRows(logits, K), {
      labels: range(K),
      targetNames: FER_CLASSES,
      probabilities: probs.data,
    });
    expect(expected.probabilityMetrics!.rocAucMacro).not.toBeNull();
    expectSameReport(await acc.report(), expected);
    expect(await acc.topKAccuracy()).toBeCloseTo(topKAccuracy(all.labels, logits, { k: 3, labels: range(K) }), 12);
    acc.dispose();
  });

  it('K=3 with a class never seen: micro avg row, class ids from `labels`, no ROC AUC', async () => {
    const d = device();
    const K = 3;
    const N = 50;
    const { logits, labels } = data(N, K, 7);
    for (let i = 0; i < N; i++) {
      logits[i * K + 2] = -10; // never predicted...
      labels[i] = labels[i]! % 2; // ...and never true
    }
    const ids = [10, 20, 30];
    const acc = new MetricAccumulator(d, { numClasses: K, labels: ids });
    acc.update(d.tensor(logits, [N, K]), labels);
    const probs = cpuRun(logits, labels, K, 1).probs;
    const yTrue = Array.from(labels, (c) => ids[c]!);
    const yPred = Array.from(argmaxRows(logits, K), (c) => ids[c]!);
    const expected = classificationReport(yTrue, yPred, { labels: ids, probabilities: probs.data, probabilityLabels: ids });
    expect(expected.microAvg).toBeDefined();
    expect(expected.probabilityMetrics!.rocAucMacro).toBeNull();
    expectSameReport(await acc.report(), expected);
    acc.dispose();
  });

  it('rejects bad input with clear errors', async () => {
    const d = device();
    const acc = new MetricAccumulator(d, { numClasses: 7, keepProbabilities: false });
    const logits = d.tensor(data(3, 7, 1).logits, [3, 7]);
    await expect(acc.report()).rejects.toThrow(/no samples yet/);
    expect(() => acc.update(logits, Int32Array.of(0, 7, 1))).toThrow(/labels\[1\] = 7 is not a class index in \[0, 7\)/);
    expect(() => acc.update(logits, Int32Array.of(-1, 0, 1))).toThrow(/labels\[0\] = -1 is not a class index in \[0, 7\)/);
    expect(() => acc.update(logits, Int32Array.of(0, 1))).toThrow(/2 labels for logits \[3, 7\]/);
    expect(() => acc.update(d.tensor(data(3, 5, 1).logits, [3, 5]), Int32Array.of(0, 1, 2))).toThrow(/\[N, 7\].*\[3, 5\]/);
    expect(acc.sampleCount).toBe(0); // nothing was added by the rejected calls
    acc.update(logits, d.tensor(Int32Array.of(0, 9, 1), [3]));
    await expect(acc.report()).rejects.toThrow(/1 of 3 labels given as i32 tensors were outside \[0, 7\)/);
    acc.reset();
    acc.update(logits, Int32Array.of(0, 6, 1));
    expect((await acc.report()).confusionMatrix!.flat().reduce((a, b) => a + b, 0)).toBe(3);
    acc.dispose();
    expect(() => acc.update(logits, Int32Array.of(0, 1, 2))).toThrow(/disposed/);
    expect(() => new MetricAccumulator(d, { numClasses: 3, targetNames: ['a'] })).toThrow(/targetNames has 1 names for 3 classes/);
    expect(() => new MetricAccumulator(d, { numClasses: 3, labels: [2, 1, 0] })).toThrow(/ascending/);
  });

  it('memory stays flat over many updates without probabilities; reset() starts over', async () => {
    const d = await ownDevice();
    const K = 7;
    const N = 64;
    const { logits, labels } = data(N, K, 11);
    const x = d.tensor(logits, [N, K]);
    const acc = new MetricAccumulator(d, { numClasses: K, keepProbabilities: false });
    for (let s = 0; s < 5; s++) acc.update(x, labels);
    const before = d.memory();
    for (let s = 0; s < 45; s++) acc.update(x, labels);
    const after = d.memory();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.buffersCreated).toBe(before.buffersCreated);
    const report = await acc.report();
    const single = confusionMatrix(labels, argmaxRows(logits, K), { labels: range(K) });
    expect(report.confusionMatrix).toEqual(single.map((row) => row.map((v) => v * 50)));
    expect(report.probabilityMetrics).toBeUndefined();

    acc.reset();
    acc.update(x, labels);
    expect((await acc.report()).confusionMatrix).toEqual(single);
    acc.dispose();
    expect(d.memory().bytesInUse).toBeLessThan(after.bytesInUse);
  });

  it('keeps its probabilities alive inside device.tidy, and frees them on reset()', async () => {
    const d = await ownDevice();
    const K = 3;
    const { logits, labels } = data(40, K, 13);
    const acc = new MetricAccumulator(d, { numClasses: K });
    const start = d.memory().bytesInUse;
    d.tidy(() => acc.update(d.tensor(logits, [40, K]), d.tensor(labels, [40])));
    expect(d.memory().bytesInUse).toBeGreaterThan(start); // softmax and label copy kept
    const probs = cpuRun(logits, labels, K, 1).probs;
    const expected = classificationReport(labels, argmaxRows(logits, K), { labels: range(K), probabilities: probs.data });
    expectSameReport(await acc.report(), expected);
    acc.reset();
    expect(d.memory().bytesInUse).toBe(start);
    acc.dispose();
  });
});
