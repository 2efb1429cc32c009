/**
 * End-to-end suites: a training step of fer-resnet18(w) at batch 64 (forward, softmax
 * cross-entropy, backward, SGD momentum 0.9 / weight decay 5e-4 / lr 0.01) and inference at
 * batch 256 in eval mode, in images/s. Each row gets its own device, so its first iteration
 * (shader compilation) and its peak GPU memory are its own.
 */
import type { Device } from '../gpu/device.js';
import { Rng } from '../random.js';
import { ferResNet18 } from '../nn/resnet.js';
import { crossEntropy } from '../kernels/cross-entropy/index.js';
import { SGD } from '../optim/sgd/index.js';
import type { BenchRow, Iterations } from './schema.js';
import { makeRow, plan, timeGpu, wanted, type SuiteOptions, type Workload } from './measure.js';
import { profileStep } from './profile.js';

export const TRAIN_BATCH = 64;
export const INFER_BATCH = 256;
/** The widths of workloads.md: 16 for CPU-class adapters, 64 the standard (and 8, the shipped model's, for training). */
export const WIDTHS = [16, 64] as const;
export const TRAIN_WIDTHS = [8, 16, 64] as const;

/** Quick mode: fer-resnet18(64) rows run 1 warm-up (the first, compiling run) and 1 timed. */
function e2ePlan(opts: SuiteOptions, width: number): { it: Iterations; note: string[] } {
  if (opts.quick && !opts.iterations && width >= 64) return { it: { warmup: 1, timed: 1 }, note: ['quick mode'] };
  return { it: plan(opts), note: [] };
}

function fmtMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** Runs the train suite, one fresh device per row from `newDevice`. */
export async function runTrainSuite(newDevice: () => Promise<Device>, opts: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const width of TRAIN_WIDTHS) {
    const w: Workload = {
      id: `train.fer-resnet18-${width}`,
      name: `train step fer-resnet18(${width})`,
      suite: 'train',
      shape: `batch ${TRAIN_BATCH} x 1x48x48, SGD momentum 0.9 wd 5e-4`,
      unit: 'images/s',
      work: TRAIN_BATCH,
    };
    if (!wanted(opts, w.id)) continue;
    opts.log(`train: ${w.name}`);
    const device = await newDevice();
    try {
      const model = ferResNet18(device, { width, seed: 0 });
      const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
      const rng = new Rng(1);
      const x = device.tensor(rng.normals(TRAIN_BATCH * 48 * 48), [TRAIN_BATCH, 1, 48, 48]);
      const y = device.tensor(
        Int32Array.from({ length: TRAIN_BATCH }, () => rng.int(7)),
        [TRAIN_BATCH],
        { dtype: 'i32' },
      );
      const step = (): void =>
        device.tidy(() => {
          crossEntropy(model.forward(x), y).backward();
          opt.step();
          opt.zeroGrad();
        });
      const { it, note } = e2ePlan(opts, width);
      const { times, first } = await timeGpu(device, step, it);
      const peak = device.memory().peakBytesInUse;
      note.unshift(`first step ${(first / 1000).toFixed(2)} s (shader compilation)`, `peak GPU memory ${fmtMiB(peak)}`);
      const row = makeRow(w, times, it, { firstIterationMs: first, peakBytesInUse: peak, note });
      if (opts.profile) row.profile = await profileStep(device, step);
      rows.push(row);
    } catch (e) {
      opts.fail(w, (e as Error).message);
    } finally {
      device.destroy();
    }
  }
  return rows;
}

/**
 * The inference rows: fer-resnet18(16) and (64) in f32, and fer-resnet18(16) in f16
 * (model.half(): f16 weights and activations, f32 sums; adapters with 'shader-f16').
 */
const INFER_ROWS: Array<{ width: number; precision: 'f32' | 'f16' }> = [
  { width: 16, precision: 'f32' },
  { width: 16, precision: 'f16' },
  { width: 64, precision: 'f32' },
];

/** Runs the inference suite, one fresh device per row from `newDevice`. */
export async function runInferSuite(newDevice: () => Promise<Device>, opts: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const { width, precision } of INFER_ROWS) {
    const half = precision === 'f16';
    const w: Workload = {
      id: `infer.fer-resnet18-${width}${half ? '-f16' : ''}`,
      name: `inference fer-resnet18(${width})${half ? ' f16' : ''}`,
      suite: 'infer',
      shape: `batch ${INFER_BATCH} x 1x48x48, eval mode${half ? ', f16 weights and activations (f32 sums)' : ''}`,
      unit: 'images/s',
      work: INFER_BATCH,
    };
    if (!wanted(opts, w.id)) continue;
    opts.log(`infer: ${w.name}`);
    const device = await newDevice();
    try {
      const model = ferResNet18(device, { width, seed: 0 }).eval();
      if (half) model.half(); // throws where the adapter lacks shader-f16: a failed row
      const x = device.tensor(new Rng(2).normals(INFER_BATCH * 48 * 48), [INFER_BATCH, 1, 48, 48]);
      const run = (): void => device.tidy(() => void device.noGrad(() => model.forward(x)));
      const { it, note } = e2ePlan(opts, width);
      const { times, first } = await timeGpu(device, run, it);
      const peak = device.memory().peakBytesInUse;
      note.unshift(`first batch ${(first / 1000).toFixed(2)} s (shader compilation)`, `peak GPU memory ${fmtMiB(peak)}`);
      rows.push(makeRow(w, times, it, { firstIterationMs: first, peakBytesInUse: peak, note }));
    } catch (e) {
      opts.fail(w, (e as Error).message);
    } finally {
      device.destroy();
    }
  }
  return rows;
}
