/**
 * Streaming classification metrics on the GPU. `MetricAccumulator.update(logits, labels)` records
 * one kernel per batch that takes the argmax, adds to K×K confusion counts and top-k hits (atomic
 * u32 adds) and, optionally, writes the softmax; nothing is read back until `report()`, which
 * returns the same `ClassificationReport` as `classificationReport` on all the samples seen.
 */
import { grid1d, type Device } from '../../gpu/device.js';
import { fmtShape, sameShape, Tensor } from '../../tensor.js';
import { computeProbabilityMetrics, reportFromConfusion, type ClassificationReport, type ProbabilityMetrics } from '../report.js';
import { checkLabelsOption, type LabelArray } from '../validate.js';
import { countsLayout, metricUpdateKernel } from './wgsl.js';

/**
 * Records the metric kernel for one batch: adds the rows of `logits` [N, K] (f32) with class
 * indices `labels` [N] (i32) to `counts` (u32, layout of {@link countsLayout}) and writes each
 * row's softmax into `probabilities` [N, K] when given. Labels outside [0, K) are only counted.
 * Nothing is read back. The CPU reference in `reference.ts` has the same signature.
 */
export function accumulateMetrics(logits: Tensor, labels: Tensor, counts: Tensor, k: number, probabilities?: Tensor): void {
  const op = 'accumulateMetrics';
  if (logits.ndim !== 2 || logits.dtype !== 'f32') {
    throw new Error(`${op}: logits must be an f32 tensor [N, K], got ${logits.dtype} ${fmtShape(logits.shape)}`);
  }
  const [N, K] = logits.shape as [number, number];
  if (N < 1 || K < 1) throw new Error(`${op}: logits ${fmtShape(logits.shape)} are empty`);
  if (labels.dtype !== 'i32' || !sameShape(labels.shape, [N])) {
    throw new Error(`${op}: labels must be an i32 tensor of shape [${N}], got ${labels.dtype} ${fmtShape(labels.shape)}`);
  }
  if (counts.dtype !== 'i32' || counts.size !== countsLayout(K).length) {
    throw new Error(
      `${op}: counts must be an i32 (u32 bits) tensor of ${countsLayout(K).length} entries, got ${counts.dtype} ${fmtShape(counts.shape)}`,
    );
  }
  if (probabilities && (probabilities.dtype !== 'f32' || !sameShape(probabilities.shape, [N, K]))) {
    throw new Error(
      `${op}: probabilities must be an f32 tensor ${fmtShape([N, K])}, got ${probabilities.dtype} ${fmtShape(probabilities.shape)}`,
    );
  }
  if (!Number.isInteger(k) || k < 1) throw new Error(`${op}: k must be a positive integer, got ${k}`);
  const d = logits.device;
  for (const t of [labels, counts, probabilities]) {
    if (t && t.device !== d) throw new Error(`${op}: all tensors must live on the logits' device`);
  }
  d.dispatch(metricUpdateKernel(probabilities !== undefined), {
    params: [N, K, k],
    buffers: [logits.buffer, labels.buffer, counts.buffer, ...(probabilities ? [probabilities.buffer] : [])],
    workgroups: grid1d(N, 256),
  });
}

/** Options of {@link MetricAccumulator}. */
export interface MetricAccumulatorOptions {
  /** K, the number of classes (columns of the logits); at least 2. */
  numClasses: number;
  /**
   * Class id reported for each logit column, sorted ascending; default `[0, 1, …, K-1]`. The
   * labels given to `update()` are always column indices in [0, K).
   */
  labels?: LabelArray;
  /** Display names of the K classes in the report; default the class ids. */
  targetNames?: readonly string[];
  /**
   * Keep the softmax of every batch on the GPU so `report()` can add log loss, ROC AUC, top-2
   * accuracy and ECE (default true). Costs N×K×4 bytes of GPU memory per sample seen; with
   * false, memory stays constant however many batches are added.
   */
  keepProbabilities?: boolean;
  /** k of `topKAccuracy()` (default 2). */
  k?: number;
}

/** What the accumulator keeps per batch when `keepProbabilities` is on. */
interface KeptBatch {
  probabilities: Tensor;
  /** Column indices: a CPU copy, or a GPU copy when they came as a tensor. */
  labels: Int32Array | Tensor;
}

/**
 * Accumulates classification metrics over batches of logits on the GPU, like torchmetrics'
 * stateful metrics: `update()` per batch (no read-back), `report()` once at the end.
 *
 * Counts are u32, so at most 2^32 − 1 samples per confusion cell between resets.
 * @example
 * const acc = new MetricAccumulator(device, { numClasses: 7, targetNames: FER_CLASSES });
 * for (const { logits, labels } of batches) acc.update(logits, labels); // logits [N, 7], labels Int32Array or i32 tensor
 * console.log(String(await acc.report()));
 * acc.dispose();
 */
export class MetricAccumulator {
  readonly numClasses: number;
  readonly k: number;
  readonly keepProbabilities: boolean;
  private readonly device: Device;
  private readonly labels: number[];
  private readonly targetNames?: readonly string[];
  private counts: Tensor | null;
  private kept: KeptBatch[] = [];
  private samples = 0;

  constructor(device: Device, options: MetricAccumulatorOptions) {
    const { numClasses: K, keepProbabilities = true, k = 2 } = options;
    if (!Number.isInteger(K) || K < 2) throw new RangeError(`MetricAccumulator: numClasses must be an integer >= 2, got ${K}`);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`MetricAccumulator: k must be a positive integer, got ${k}`);
    this.labels = options.labels === undefined ? Array.from({ length: K }, (_, j) => j) : checkLabelsOption(options.labels);
    if (this.labels.length !== K || this.labels.some((l, i) => i > 0 && l < this.labels[i - 1]!)) {
      throw new RangeError(`MetricAccumulator: labels must list ${K} class ids in ascending order, got [${this.labels.join(', ')}]`);
    }
    if (options.targetNames !== undefined && options.targetNames.length !== K) {
      throw new RangeError(`MetricAccumulator: targetNames has ${options.targetNames.length} names for ${K} classes`);
    }
    this.device = device;
    this.numClasses = K;
    this.k = k;
    this.keepProbabilities = keepProbabilities;
    this.targetNames = options.targetNames;
    this.counts = this.own(device.zeros([countsLayout(K).length], { dtype: 'i32' }));
  }

  /** Number of samples added since construction or the last `reset()`. */
  get sampleCount(): number {
    return this.samples;
  }

  /**
   * Adds a batch: `logits` [N, K] (f32, on this accumulator's device) and the true class index of
   * each row, in [0, K). An `Int32Array`/`number[]` is checked here and throws for an index
   * outside [0, K); an i32 tensor cannot be checked without a read-back, so its bad indices are
   * counted on the GPU and make `report()` throw. Records GPU work and submits it; reads nothing back.
   */
  update(logits: Tensor, labels: Tensor | LabelArray): void {
    const counts = this.live('update');
    const K = this.numClasses;
    if (!(logits instanceof Tensor)) throw new TypeError('MetricAccumulator.update: logits must be a Tensor [N, K]');
    if (logits.ndim !== 2 || logits.shape[1] !== K || logits.shape[0]! < 1 || logits.dtype !== 'f32') {
      throw new Error(
        `MetricAccumulator.update: logits must be an f32 tensor [N, ${K}] with N >= 1, got ${logits.dtype} ${fmtShape(logits.shape)}`,
      );
    }
    if (logits.device !== this.device) throw new Error('MetricAccumulator.update: logits live on another device than the accumulator');
    const N = logits.shape[0]!;
    const d = this.device;
    const temporary: Tensor[] = [];
    let labelTensor: Tensor;
    let cpuLabels: Int32Array | null = null;
    if (labels instanceof Tensor) {
      if (labels.dtype !== 'i32' || !sameShape(labels.shape, [N])) {
        throw new Error(
          `MetricAccumulator.update: labels must be an i32 tensor of shape [${N}], got ${labels.dtype} ${fmtShape(labels.shape)}`,
        );
      }
      if (labels.device !== d) throw new Error('MetricAccumulator.update: labels live on another device than the accumulator');
      labelTensor = labels;
    } else {
      if (labels.length !== N) throw new Error(`MetricAccumulator.update: ${labels.length} labels for logits ${fmtShape(logits.shape)}`);
      for (let i = 0; i < N; i++) {
        const y = labels[i]!;
        if (!Number.isInteger(y) || y < 0 || y >= K) {
          throw new RangeError(`MetricAccumulator.update: labels[${i}] = ${y} is not a class index in [0, ${K})`);
        }
      }
      cpuLabels = Int32Array.from(labels);
      labelTensor = d.tensor(cpuLabels, [N]);
      temporary.push(labelTensor);
    }
    let probabilities: Tensor | undefined;
    if (this.keepProbabilities) {
      probabilities = this.own(d.empty([N, K]));
      let keptLabels: Int32Array | Tensor;
      if (cpuLabels) keptLabels = cpuLabels;
      else {
        keptLabels = this.own(d.empty([N], { dtype: 'i32' }));
        d.copy(labelTensor.buffer, keptLabels.buffer, N * 4);
      }
      this.kept.push({ probabilities, labels: keptLabels });
    }
    accumulateMetrics(logits, labelTensor, counts, this.k, probabilities);
    for (const t of temporary) t.dispose();
    this.samples += N;
    // One submit per batch, as a training step: the GPU starts at once and the uploaded labels'
    // buffer is free for the next batch's upload (so the pool does not grow).
    d.flush();
  }

  /**
   * The classification report over every sample added: identical to
   * `classificationReport(yTrue, yPred, { labels, targetNames, probabilities })` with yPred the
   * argmax of the logits (first maximum) and probabilities their softmax (computed in f32 on the
   * GPU). Probability metrics are included when `keepProbabilities` is on.
   * @throws Error when no sample was added, or when labels given as a tensor were outside [0, K).
   */
  async report(): Promise<ClassificationReport> {
    const { confusion } = await this.readCounts('report');
    let probabilityMetrics: ProbabilityMetrics | undefined;
    if (this.keepProbabilities) {
      const K = this.numClasses;
      const probs = new Float32Array(this.samples * K);
      const yTrue = new Int32Array(this.samples);
      let at = 0;
      for (const b of this.kept) {
        probs.set(await b.probabilities.toArray(), at * K);
        const idx = b.labels instanceof Tensor ? await b.labels.toInt32Array() : b.labels;
        for (let i = 0; i < idx.length; i++) yTrue[at + i] = this.labels[idx[i]!]!;
        at += idx.length;
      }
      probabilityMetrics = computeProbabilityMetrics(yTrue, probs, this.labels);
    }
    return reportFromConfusion(confusion, { labels: this.labels, targetNames: this.targetNames, probabilityMetrics });
  }

  /**
   * Fraction of samples whose true class is among the k highest logits (sklearn's
   * `top_k_accuracy_score` with `labels` listing all K classes; ties: the later column ranks higher).
   */
  async topKAccuracy(): Promise<number> {
    const { hits } = await this.readCounts('topKAccuracy');
    return hits / this.samples;
  }

  /** Forgets every sample (zeroes the counts on the GPU, frees the kept probabilities). */
  reset(): void {
    const counts = this.live('reset');
    this.device.fill(counts, 0);
    this.releaseKept();
    this.samples = 0;
  }

  /** Frees the GPU memory; the accumulator cannot be used afterwards. */
  dispose(): void {
    this.releaseKept();
    this.counts?.dispose();
    this.counts = null;
  }

  private async readCounts(method: string): Promise<{ confusion: number[][]; hits: number }> {
    const counts = this.live(method);
    if (this.samples === 0) throw new Error(`MetricAccumulator.${method}: no samples yet; call update() first`);
    const K = this.numClasses;
    const layout = countsLayout(K);
    const raw = new Uint32Array((await counts.toInt32Array()).buffer);
    if (raw[layout.invalid]! > 0) {
      throw new RangeError(
        `MetricAccumulator.${method}: ${raw[layout.invalid]} of ${this.samples} labels given as i32 tensors were outside [0, ${K}); ` +
          'they were left out of every count. Check the labels, then reset().',
      );
    }
    const confusion = Array.from({ length: K }, (_, i) => Array.from(raw.subarray(i * K, (i + 1) * K)));
    return { confusion, hits: raw[layout.hits]! };
  }

  private live(method: string): Tensor {
    if (!this.counts) throw new Error(`MetricAccumulator.${method}: the accumulator was disposed`);
    return this.counts;
  }

  /** Keeps a tensor out of any enclosing `device.tidy()` scope: the accumulator frees it. */
  private own(t: Tensor): Tensor {
    this.device.untrack(t);
    return t;
  }

  private releaseKept(): void {
    for (const b of this.kept) {
      b.probabilities.dispose();
      if (b.labels instanceof Tensor) b.labels.dispose();
    }
    this.kept = [];
  }
}
