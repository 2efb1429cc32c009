/**
 * The batch-norm lab: train-mode batchNorm2d (+ fused ReLU, and + residual + ReLU) forward and
 * backward on the fer-resnet18(16) activation shapes at batch 64, checked against the CPU
 * reference on 2 images, then timed per 2 CPU-s (common.ts).
 *   npx tsx bench/lab/batchnorm.ts [rounds=3]
 * To compare with an older version, run this file in a worktree of that commit too, alternately.
 *
 * Versions (lavapipe, 2 shared cores; fwd+bwd of bn+relu and bn+add+relu over the 4 shapes, ms
 * per 2 CPU-s, v1 and v2 alternately in one session at load ~8):
 * - v1 (before): one workgroup of 64 per channel walking all N·H·W values for each reduction
 *   (statistics; Σg', Σg'·x̂, writing the ReLU-masked gradient), one vec4 per invocation in the
 *   element-wise passes: 117-125 ms (layer1 shape 27 ms per op).
 * - v2 (src): reductions as partial sums over groups of ~512 items (no barrier, no per-item
 *   division) plus a per-channel finalize; 4 items per invocation in the element-wise passes; the
 *   ReLU mask applied again in the input pass instead of storing the masked gradient (stored only
 *   for a residual's gradient): 64 ms (layer1 shape 12-15 ms). Stats pass alone on
 *   [64,16,48,48]: 3.4 -> 0.8 ms; on [64,128,6,6] one workgroup per plane was slower (0.4 -> 0.9
 *   ms), hence groups of several planes.
 */
import { batchNorm2d, batchNorm2dBackward } from '../../src/kernels/batchnorm/reference.js';
import { batchNorm2d as gpuBatchNorm2d } from '../../src/kernels/batchnorm/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import type { Tensor } from '../../src/tensor.js';
import { gflops, labDevice, loadNote, randTensor, timeVariants, toCpu, validate } from './common.js';

const rounds = Number(process.argv[2] ?? 3);
// BASE=<worktree of an older commit>: time its batchNorm2d beside this one's, interleaved in one process
const base = process.env.BASE
  ? ((await import(`${process.env.BASE}/src/kernels/batchnorm/index.js`)) as { batchNorm2d: typeof gpuBatchNorm2d }).batchNorm2d
  : null;
const versions: Array<[string, typeof gpuBatchNorm2d]> = [['', gpuBatchNorm2d], ...(base ? ([['base ', base]] as const) : [])];
const device = await labDevice();
const shapes: number[][] = [
  [64, 16, 48, 48],
  [64, 32, 24, 24],
  [64, 64, 12, 12],
  [64, 128, 6, 6],
];
const totals = new Map<string, number>();
for (const shape of shapes) {
  const C = shape[1]!;
  const params = () => ({
    weight: randTensor(device, [C], 2),
    bias: randTensor(device, [C], 3),
    runningMean: device.zeros([C]),
    runningVar: device.full([C], 1),
  });
  // check: relu variant on 2 images against the reference (forward and input gradient)
  const small = [2, ...shape.slice(1)];
  const x2 = randTensor(device, small, 4);
  x2.requiresGrad = true;
  const g2 = randTensor(device, small, 5);
  const p2 = params();
  const y2 = gpuBatchNorm2d(x2, { ...p2, training: true, relu: true });
  y2.backward(g2);
  const [xc, gc, wc, bc] = await Promise.all([toCpu(x2), toCpu(g2), toCpu(p2.weight), toCpu(p2.bias)]);
  const o = { weight: wc, bias: bc, training: true };
  const want = batchNorm2d(xc, { ...o, runningMean: CpuTensor.zeros([C]), runningVar: CpuTensor.zeros([C]) });
  const relu = want.data.map((v) => Math.max(v, 0));
  validate(`forward ${shape}`, await y2.toArray(), relu, 64);
  const gm = CpuTensor.from(
    gc.data.map((v, i) => (want.data[i]! > 0 ? v : 0)),
    small,
  );
  validate(`input gradient ${shape}`, await x2.grad!.toArray(), batchNorm2dBackward(gm, xc, o).gx, 2 * shape[2]! * shape[3]!);
  // time forward + backward of the model's two uses: bn + relu, and bn + residual + relu
  const x = randTensor(device, shape, 6);
  x.requiresGrad = true;
  const res = randTensor(device, shape, 7);
  res.requiresGrad = true;
  const g = randTensor(device, shape, 8);
  const p = params();
  for (const t of [p.weight, p.bias]) t.requiresGrad = true;
  const clear = (): void => {
    for (const t of [x, res, p.weight, p.bias]) {
      t.grad?.dispose();
      t.grad = null;
    }
  };
  const variants: Array<[string, () => void]> = versions.flatMap(([v, op]): Array<[string, () => void]> => [
    [
      `${v}bn+relu`,
      () => {
        device.tidy(() => op(x, { ...p, training: true, relu: true }).backward(g));
        clear();
      },
    ],
    [
      `${v}bn+add+relu`,
      () => {
        device.tidy(() => op(x, { ...p, training: true, relu: true, residual: res }).backward(g));
        clear();
      },
    ],
  ]);
  const times = await timeVariants(device, variants, rounds);
  const bytes = shape.reduce((a, b) => a * b, 1) * 4;
  console.log(
    `${JSON.stringify(shape).padEnd(18)} ${variants.map(([n]) => `${n} ${times.get(n)!.cpuMs.toFixed(1)} ms (${gflops(5 * bytes, times.get(n)!.cpuMs).toFixed(2)} GB/s of 5 tensors)`).join('   ')}`,
  );
  for (const [v] of versions) totals.set(v, (totals.get(v) ?? 0) + times.get(`${v}bn+relu`)!.cpuMs + times.get(`${v}bn+add+relu`)!.cpuMs);
  for (const t of [x2, g2, x, res, g, ...Object.values(p), ...Object.values(p2)]) (t as Tensor).dispose();
}
console.log(`total ${versions.map(([v]) => `${v}${totals.get(v)!.toFixed(1)} ms`).join(', ')} per 2 CPU-s; ${loadNote()}`);
device.destroy();
