/**
 * The conv2d kernel lab: GFLOP/s of the conv2d kernels and matmul on the benchmark workloads
 * (conv3x3 N=64, C=K=64, 24x24, pad 1: forward, backward-input, backward-weight; matmul 1024³),
 * then the numbered forward versions below on every distinct convolution of fer-resnet18(16)
 * inference at batch 256, each first checked against the CPU reference (src/reference, f64) on
 * 2 images, then timed (best of `repeats`, interleaved so load on the machine hits all alike).
 * Run: flock /tmp/bench.lock env XDG_RUNTIME_DIR=/tmp npx tsx bench/lab/conv2d.ts [repeats] [versions]
 * e.g. `3 v8,v11`. Wall-clock rates suffer when other processes share the CPU; the
 * "per 2 CPU-s" column divides by half the process's CPU time (lavapipe runs in this process).
 *
 * Forward versions (lavapipe, Mesa 25.0.7, 2 shared cores; ms per fer-resnet18(16) layer at
 * batch 256, from bench/lab/conv-shapes.ts (since folded into conv-backward.ts) and /tmp lab runs of the same kernels; inference
 * img/s from bench/lab/step-probe.ts):
 * - v8 (shipped before): implicit GEMM, 32 output channels (16 for K = 16) x 8 pixels of one
 *   row per invocation (x 6 on 12/6-pixel rows), weight rows shared by subgroup broadcasts (one
 *   scalar load per 8 rows), input window in registers, all 9 taps unrolled: 225-240 ms on
 *   layer2 3x3 (N256 C32 K32 24x24), 53-56 img/s. The x86 (GALLIVM_DEBUG=asm) shows ~17k
 *   instructions per channel step: 66 loads x ~160 instructions (llvmpipe loads every lane
 *   through a bounds-checked scalar loop) against 2304 mul+add pairs (ffma is not fused).
 * - v9: weights packed [C·R·S][K] (packConv2dWeight) and read as vec4 (4 output channels per
 *   load, one loop over the lanes for 4 values); input rows read as aligned vec4s where rows and
 *   blocks are 4-aligned. Same 32 x 8 blocks: 1.0-1.3x (noisy), the vec4 input alone ~1.1x.
 * - v10: v9 with wide blocks (32 x 24, 16 x 48, 64 x 12: whole output rows, 768 accumulators):
 *   1.3-1.7x per layer, but llvmpipe compiles each such kernel in 135-170 s (compile time grows
 *   with the square of the accumulators: 256 -> 15-20 s, 384 -> 33 s, 768 -> 135 s). Rejected.
 * - v11 (shipped): v9 with the kernel rows in a loop outside the channel loop (only S taps
 *   unrolled: a third of the code, which also runs faster: 32 x 12 107 ms vs 161 ms unrolled),
 *   and smaller blocks: 32 x 6 (K > 16) and 16 x 8 (K <= 16), 32 invocations per workgroup.
 *   Per layer vs v8 in one run: layer1 3x3 122-145 vs 224 ms, layer2 3x3 115 vs 226, layer3 3x3
 *   122 vs 224, layer4 3x3 99 vs 216, stride-2 3x3 70-77 vs 135-146; compile 5-10 s per kernel.
 *   fer-resnet18(16) inference: 87-120 img/s (92.6 in the bench row, tfjs-webgpu 9.2 in the
 *   same run); the training step's forward gains too (10.5 -> 12.7-15.5 img/s).
 */
import { createDevice } from '../../src/gpu/dawn.js';
import type { Device } from '../../src/gpu/device.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dFused, setConvUnrollLimit } from '../../src/kernels/conv2d/index.js';
import * as ref from '../../src/kernels/conv2d/reference.js';
import { matmul } from '../../src/kernels/matmul/index.js';
import { chooseTiling, setTiling, type GemmOp, type Tiling } from '../../src/kernels/gemm/tiling.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import type { Tensor } from '../../src/tensor.js';
import { Rng } from '../../src/random.js';
import { ferShapes } from './common.js';

function rand(device: Device, shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return device.tensor(Float32Array.from(new Rng(seed).normals(n, 0, 1)), shape);
}

async function time(device: Device, name: string, flops: number, fn: () => Tensor, runs: number): Promise<void> {
  for (let i = 0; i < 3; i++) fn().dispose();
  await device.sync();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    fn().dispose();
    await device.sync();
  }
  const ms = (performance.now() - t0) / runs;
  const cpu = process.cpuUsage(cpu0);
  // lavapipe runs in this process's threads: its CPU time / 2 is what 2 idle cores would take
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  console.log(
    `${name.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms ${(flops / ms / 1e6).toFixed(2).padStart(7)} GFLOP/s wall  ` +
      `${(flops / (cpuMs / 2) / 1e6).toFixed(2).padStart(7)} GFLOP/s per 2 CPU-s`,
  );
}

/** The forward versions: a tiling override (null: chooseTiling's) and the kernel-row loop threshold. */
const VERSIONS: Record<string, { tiling: (K: number, Q: number) => Partial<Tiling> | null; unrollLimit: number }> = {
  v8: { tiling: (K, Q) => ({ bm: K <= 16 ? 16 : 32, bn: Q % 8 === 0 ? 8 : Math.min(6, Q), wg: 64, sg: 8, vec: 0 }), unrollLimit: Infinity },
  v9: { tiling: (K, Q) => ({ bm: K <= 16 ? 16 : 32, bn: Q % 8 === 0 ? 8 : Math.min(6, Q), wg: 64, sg: 8, vec: 4 }), unrollLimit: Infinity },
  v10: { tiling: (K, Q) => (K <= 16 ? { bm: 16, bn: Q, wg: 32, sg: 8, vec: 4 } : { bm: 32, bn: Math.min(24, Q), wg: 32, sg: 8, vec: 4 }), unrollLimit: Infinity },
  v11: { tiling: () => null, unrollLimit: 1024 },
};

const runs = Number(process.argv[2] ?? 10);
const versions = (process.argv[3] ?? 'v8,v11').split(',');
const device = await createDevice();
console.log(`adapter: ${device.info.description || device.info.device} (${device.info.backend})`);
const [N, C, K, H, W, R] = [64, 64, 64, 24, 24, 3];
const x = rand(device, [N, C, H, W], 1);
const w = rand(device, [K, C, R, R], 2);
const gy = rand(device, [N, K, H, W], 3);
const opts = { stride: 1, padding: 1 };
const convFlops = 2 * N * K * H * W * C * R * R;
const a = rand(device, [1024, 1024], 4);
const b = rand(device, [1024, 1024], 5);
const cases: Array<[GemmOp, string, number, () => Tensor]> = [
  ['conv2d', 'conv3x3 forward', convFlops, () => conv2d(x, w, opts)],
  ['conv2dBackwardInput', 'conv3x3 backward input', convFlops, () => conv2dBackwardInput(gy, w, x.shape, opts)],
  ['conv2dBackwardWeight', 'conv3x3 backward weight', convFlops, () => conv2dBackwardWeight(gy, x, w.shape, opts)],
  ['matmul', 'matmul 1024^3', 2 * 1024 ** 3, () => matmul(a, b)],
];
if (process.env.SKIP_KERNELS !== '1') {
  for (const [op, name, flops, fn] of cases) {
    setTiling(device, op, { bm: 8, bn: 4, wg: 64, sg: 0, splits: 1, vec: 0 });
    await time(device, `${name} before`, flops, fn, runs);
    setTiling(device, op, null);
    const t = chooseTiling(device, op, op === 'conv2dBackwardWeight' ? { rows: K, cols: C * R * R, depth: N * H * W } : { rows: 64, cols: 1 << 16, depth: 576, rowLength: 24 });
    await time(device, `${name} after ${t.bm}x${t.bn}/${t.wg}${t.sg ? ` sg${t.sg}` : ''}${t.vec ? ' vec4' : ''}`, flops, fn, runs);
  }
}

// the forward versions on fer-resnet18(16)'s inference convolutions (batch 256, bias + ReLU)
const use = (v: string, K2: number, Q: number): void => {
  setTiling(device, 'conv2d', VERSIONS[v]!.tiling(K2, Q));
  setConvUnrollLimit(VERSIONS[v]!.unrollLimit);
};
const NB = 256;
const totals = new Map<string, number>();
for (const s of ferShapes(16)) {
  const o = { stride: s.stride, padding: s.R === 3 ? 1 : 0 };
  const P = Math.floor((s.H + 2 * o.padding - s.R) / s.stride) + 1;
  const xs = rand(device, [NB, s.C, s.H, s.H], 6);
  const ws = rand(device, [s.K, s.C, s.R, s.R], 7);
  const bs = rand(device, [s.K], 8);
  // check each version against the reference on the first 2 images
  const x2 = rand(device, [2, s.C, s.H, s.H], 9);
  const [xc, wc, bc] = await Promise.all([x2, ws, bs].map(async (t) => CpuTensor.from(await t.toArray(), t.shape)));
  const want = ref.conv2d(xc!, wc!, { ...o, bias: bc! }).data.map((v) => Math.max(v, 0));
  const fns: Array<[string, () => Tensor]> = [];
  for (const v of versions) {
    use(v, s.K, P);
    const got = await device.noGrad(() => conv2dFused(x2, ws, { ...o, bias: bs, relu: true })).toArray();
    let err = 0;
    for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
    if (err > 1e-6 * s.C * s.R * s.R + 1e-5) throw new Error(`${v} ${s.name}: max error ${err} against the reference`);
    fns.push([v, () => (use(v, s.K, P), device.noGrad(() => conv2dFused(xs, ws, { ...o, bias: bs, relu: true })))]);
  }
  const best = new Map<string, number>();
  for (const [v, fn] of fns) {
    fn().dispose(); // compile
    await device.sync();
  }
  for (let i = 0; i < Math.max(1, Math.min(runs, 4)); i++) {
    for (const [v, fn] of fns) {
      const t0 = performance.now();
      fn().dispose();
      await device.sync();
      best.set(v, Math.min(best.get(v) ?? Infinity, performance.now() - t0));
    }
  }
  const flops = 2 * NB * s.K * P * P * s.C * s.R * s.R;
  console.log(`${s.name.padEnd(15)} ${versions.map((v) => `${v} ${best.get(v)!.toFixed(1).padStart(7)} ms ${(flops / best.get(v)! / 1e6).toFixed(1).padStart(5)} GFLOP/s`).join('   ')}`);
  for (const v of versions) totals.set(v, (totals.get(v) ?? 0) + best.get(v)! * s.count);
  for (const t of [xs, ws, bs, x2]) t.dispose();
}
console.log(`fer-resnet18(16) inference convolutions, batch ${NB}: ${versions.map((v) => `${v} ${totals.get(v)!.toFixed(0)} ms`).join(', ')}`);
setTiling(device, 'conv2d', null);
setConvUnrollLimit(1024);
device.destroy();
