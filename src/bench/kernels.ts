/**
 * The kernel suite: the kernels of workloads.md (conv3x3 forward/backward-input/backward-weight,
 * batchnorm train forward+backward, addRelu, cross-entropy forward+backward, matmul 1024³) and
 * the pools (forward+backward), each against fer-gpu's f64 CPU reference (timed on a sample where the whole
 * workload would take too long, then scaled).
 */
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { Rng } from '../random.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../kernels/conv2d/index.js';
import { batchNorm2d } from '../kernels/batchnorm/index.js';
import { addRelu } from '../kernels/elementwise/index.js';
import { crossEntropy } from '../kernels/cross-entropy/index.js';
import { matmul } from '../kernels/matmul/index.js';
import { maxPool2d, avgPool2d, globalAvgPool2d } from '../kernels/pool/index.js';
import * as ref from '../reference/index.js';
import { CpuTensor } from '../reference/tensor.js';
import type { BenchRow } from './schema.js';
import { summarize } from './schema.js';
import { makeRow, plan, referencePlan, timeCpu, timeGpu, wanted, type SuiteOptions, type Workload } from './measure.js';
import { runLayerRows } from './layers.js';

const F32 = 4;

/** Random normal data of a shape (seeded). */
function normals(shape: readonly number[], seed: number): Float32Array {
  return new Rng(seed).normals(shape.reduce((a, b) => a * b, 1));
}

/** One kernel row: the GPU op, and the CPU reference on a sample of `1/scale` of the workload. */
interface KernelCase {
  w: Workload;
  /** Creates the inputs; returns the GPU work of one iteration (run inside device.tidy). */
  setup: (device: Device) => { run: () => void; cleanup?: () => void };
  reference: { run: () => unknown; scale: number; sample?: string };
}

// conv3x3 N=64, C=K=64, 24x24, pad 1, stride 1 (workloads.md)
const CONV = { N: 64, C: 64, K: 64, H: 24, W: 24 };
const CONV_SHAPE = 'N=64 C=64 K=64 24x24 3x3 pad 1 stride 1';
const CONV_FLOPS = 2 * CONV.N * CONV.K * CONV.C * 9 * CONV.H * CONV.W;
const convOpts = { stride: 1, padding: 1 };
const BN_SHAPE = [64, 64, 24, 24];
const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Drops the accumulated gradients of leaves so every iteration does the same work. */
function clearGrads(ts: Tensor[]): void {
  for (const t of ts) {
    t.grad?.dispose();
    t.grad = null;
  }
}

const POOL2 = { kernelSize: 2, stride: 2 };

/**
 * A pooling row, forward + backward: GB/s over the bytes it must touch once (read x, write y,
 * read gy, write gx); the CPU reference runs the whole workload.
 */
function poolCase(
  id: string,
  name: string,
  data: Float32Array,
  shape: number[],
  gpu: (x: Tensor) => Tensor,
  cpu: (x: CpuTensor) => CpuTensor,
  cpuBackward: (gy: CpuTensor, x: CpuTensor) => CpuTensor,
): KernelCase {
  const cx = CpuTensor.from(data, shape);
  const cy = cpu(cx);
  const gyData = normals(cy.shape, 11);
  const bytes = F32 * 2 * (numel(shape) + numel(cy.shape));
  return {
    w: { id: `${id}.fwd+bwd`, name: `${name} fwd+bwd`, suite: 'kernels', shape: `[${shape.join(', ')}]`, unit: 'GB/s', work: bytes },
    setup: (d) => {
      const x = d.tensor(data, shape, { requiresGrad: true });
      const gy = d.tensor(gyData, cy.shape);
      return { run: () => gpu(x).backward(gy), cleanup: () => clearGrads([x]) };
    },
    reference: (() => {
      const gy = CpuTensor.from(gyData, cy.shape);
      return {
        run: () => {
          cpu(cx);
          return cpuBackward(gy, cx);
        },
        scale: 1,
      };
    })(),
  };
}

function cases(): KernelCase[] {
  const { N, C, K, H, W } = CONV;
  const xShape = [N, C, H, W];
  const wShape = [K, C, 3, 3];
  const yShape = [N, K, H, W];
  const xd = normals(xShape, 1);
  const wd = normals(wShape, 2);
  const gyd = normals(yShape, 3);
  // CPU references of the convs run on one image of the 64 (the work is linear in N)
  const x1 = CpuTensor.from(xd.subarray(0, C * H * W), [1, C, H, W]);
  const gy1 = CpuTensor.from(gyd.subarray(0, K * H * W), [1, K, H, W]);
  const wc = CpuTensor.from(wd, wShape);
  const convSample = { scale: N, sample: '1 image of 64' };

  const bnN = 8; // the batchnorm reference runs on 8 images of 64
  const bnSample = [bnN, ...BN_SHAPE.slice(1)];
  const bnX = normals(BN_SHAPE, 4);
  const bnGy = normals(BN_SHAPE, 5);
  const C_ = BN_SHAPE[1]!;
  const [ceN, ceK] = [4096, 7];
  const ceLogits = normals([ceN, ceK], 6);
  const ceTargets = Int32Array.from({ length: ceN }, (_, i) => (i * 5) % ceK);
  const mmRows = 64; // the matmul reference computes 64 of the 1024 rows
  const a = normals([1024, 1024], 7);
  const b = normals([1024, 1024], 8);
  const poolX = normals(BN_SHAPE, 9);
  const gapShape = [64, 512, 6, 6];
  const gapX = normals(gapShape, 10);

  return [
    {
      w: { id: 'conv3x3.forward', name: 'conv3x3 forward', suite: 'kernels', shape: CONV_SHAPE, unit: 'GFLOP/s', work: CONV_FLOPS },
      setup: (d) => {
        const x = d.tensor(xd, xShape);
        const w = d.tensor(wd, wShape);
        return { run: () => conv2d(x, w, convOpts) };
      },
      reference: { run: () => ref.conv2d(x1, wc, convOpts), ...convSample },
    },
    {
      w: {
        id: 'conv3x3.backward-input',
        name: 'conv3x3 backward-input',
        suite: 'kernels',
        shape: CONV_SHAPE,
        unit: 'GFLOP/s',
        work: CONV_FLOPS,
      },
      setup: (d) => {
        const gy = d.tensor(gyd, yShape);
        const w = d.tensor(wd, wShape);
        return { run: () => conv2dBackwardInput(gy, w, xShape, convOpts) };
      },
      reference: { run: () => ref.conv2dBackwardInput(gy1, wc, [1, C, H, W], convOpts), ...convSample },
    },
    {
      w: {
        id: 'conv3x3.backward-weight',
        name: 'conv3x3 backward-weight',
        suite: 'kernels',
        shape: CONV_SHAPE,
        unit: 'GFLOP/s',
        work: CONV_FLOPS,
      },
      setup: (d) => {
        const gy = d.tensor(gyd, yShape);
        const x = d.tensor(xd, xShape);
        return { run: () => conv2dBackwardWeight(gy, x, wShape, convOpts) };
      },
      reference: { run: () => ref.conv2dBackwardWeight(gy1, x1, wShape, convOpts), ...convSample },
    },
    {
      // bytes the op must move at least: forward reads x, writes y; backward reads x and gy, writes gx
      w: {
        id: 'batchnorm.train',
        name: 'batchnorm train fwd+bwd',
        suite: 'kernels',
        shape: '[64, 64, 24, 24]',
        unit: 'GB/s',
        work: 5 * F32 * numel(BN_SHAPE),
      },
      setup: (d) => {
        const x = d.tensor(bnX, BN_SHAPE, { requiresGrad: true });
        const gy = d.tensor(bnGy, BN_SHAPE);
        const weight = d.full([C_], 1, { requiresGrad: true });
        const bias = d.zeros([C_], { requiresGrad: true });
        const runningMean = d.zeros([C_]);
        const runningVar = d.full([C_], 1);
        return {
          run: () => batchNorm2d(x, { weight, bias, runningMean, runningVar, training: true }).backward(gy),
          cleanup: () => clearGrads([x, weight, bias]),
        };
      },
      reference: (() => {
        const x = CpuTensor.from(bnX.subarray(0, numel(bnSample)), bnSample);
        const gy = CpuTensor.from(bnGy.subarray(0, numel(bnSample)), bnSample);
        const o = { weight: CpuTensor.from(new Float64Array(C_).fill(1), [C_]), bias: CpuTensor.zeros([C_]), training: true };
        return {
          run: () => {
            ref.batchNorm2d(x, { ...o, runningMean: CpuTensor.zeros([C_]), runningVar: CpuTensor.zeros([C_]) });
            return ref.batchNorm2dBackward(gy, x, o);
          },
          scale: BN_SHAPE[0]! / bnN,
          sample: `${bnN} images of 64`,
        };
      })(),
    },
    {
      w: {
        id: 'addRelu',
        name: 'residual add+ReLU',
        suite: 'kernels',
        shape: '[64, 64, 24, 24]',
        unit: 'GB/s',
        work: 3 * F32 * numel(BN_SHAPE),
      },
      setup: (d) => {
        const x = d.tensor(bnX, BN_SHAPE);
        const y = d.tensor(bnGy, BN_SHAPE);
        return { run: () => addRelu(x, y) };
      },
      reference: (() => {
        const x = CpuTensor.from(bnX, BN_SHAPE);
        const y = CpuTensor.from(bnGy, BN_SHAPE);
        return { run: () => ref.addRelu(x, y), scale: 1 };
      })(),
    },
    {
      w: { id: 'crossEntropy', name: 'cross-entropy fwd+bwd', suite: 'kernels', shape: '[4096, 7]', unit: 'us', work: 0 },
      setup: (d) => {
        const logits = d.tensor(ceLogits, [ceN, ceK], { requiresGrad: true });
        const targets = d.tensor(ceTargets, [ceN], { dtype: 'i32' });
        return { run: () => crossEntropy(logits, targets).backward(), cleanup: () => clearGrads([logits]) };
      },
      reference: (() => {
        const logits = CpuTensor.from(ceLogits, [ceN, ceK]);
        const one = CpuTensor.from([1], []);
        return {
          run: () => {
            ref.crossEntropy(logits, ceTargets);
            return ref.crossEntropyBackward(one, logits, ceTargets);
          },
          scale: 1,
        };
      })(),
    },
    {
      w: { id: 'matmul.1024', name: 'matmul 1024^3', suite: 'kernels', shape: '1024 x 1024 x 1024', unit: 'GFLOP/s', work: 2 * 1024 ** 3 },
      setup: (d) => {
        const ta = d.tensor(a, [1024, 1024]);
        const tb = d.tensor(b, [1024, 1024]);
        return { run: () => matmul(ta, tb) };
      },
      reference: (() => {
        const ca = CpuTensor.from(a.subarray(0, mmRows * 1024), [mmRows, 1024]);
        const cb = CpuTensor.from(b, [1024, 1024]);
        return { run: () => ref.matmul(ca, cb), scale: 1024 / mmRows, sample: `${mmRows} of 1024 rows` };
      })(),
    },
    poolCase(
      'maxPool2d',
      'maxPool2d 2x2/2',
      poolX,
      BN_SHAPE,
      (x) => maxPool2d(x, POOL2),
      (x) => ref.maxPool2d(x, POOL2),
      (gy, x) => ref.maxPool2dBackward(gy, x, POOL2),
    ),
    poolCase(
      'avgPool2d',
      'avgPool2d 2x2/2',
      poolX,
      BN_SHAPE,
      (x) => avgPool2d(x, POOL2),
      (x) => ref.avgPool2d(x, POOL2),
      (gy, x) => ref.avgPool2dBackward(gy, x, POOL2),
    ),
    poolCase('globalAvgPool2d', 'globalAvgPool2d', gapX, gapShape, globalAvgPool2d, ref.globalAvgPool2d, ref.globalAvgPool2dBackward),
  ];
}

/** Runs the kernel suite on `device`. */
export async function runKernelSuite(device: Device, opts: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of cases()) {
    if (!wanted(opts, c.w.id)) continue;
    opts.log(`kernels: ${c.w.name}`);
    const it = plan(opts);
    const inputs = c.setup(device); // inputs live until the device is destroyed
    const { times } = await timeGpu(
      device,
      () => {
        device.tidy(() => {
          inputs.run();
        });
        inputs.cleanup?.();
      },
      it,
    );
    const refTimes = await timeCpu(c.reference.run, referencePlan(it));
    rows.push(
      makeRow(c.w, times, it, { reference: { ms: summarize(refTimes).median, scale: c.reference.scale, sample: c.reference.sample } }),
    );
  }
  rows.push(...(await runLayerRows(device, opts)));
  return rows;
}
