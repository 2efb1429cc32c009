/**
 * The conv2d kernel lab: GFLOP/s of the conv2d kernels and matmul on the benchmark workloads
 * (conv3x3 N=64, C=K=64, 24x24, pad 1: forward, backward-input, backward-weight; matmul 1024³),
 * then the numbered forward versions below on every distinct convolution of fer-resnet18(16)
 * inference at batch 256, each first checked against the CPU reference (src/reference, f64) on
 * 2 images, then timed (best of `repeats`, interleaved so load on the machine hits all alike).
 * Run: npx tsx bench/lab/conv2d.ts [repeats] [versions] [batch=256], e.g. `3 v11,v12 64`;
 * SKIP_KERNELS=1 skips the benchmark workloads. Rates are per 2 CPU-s (common.ts): half the
 * process's CPU time, as lavapipe runs in this process (the machine is shared).
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
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dFused, setConvUnrollLimit } from '../../src/kernels/conv2d/index.js';
import * as ref from '../../src/kernels/conv2d/reference.js';
import { matmul } from '../../src/kernels/matmul/index.js';
import { setTiling, type Tiling } from '../../src/kernels/gemm/tiling.js';
import type { Tensor } from '../../src/tensor.js';
import { ferShapes, gflops, labDevice, loadNote, randTensor, timeVariants, toCpu, validate } from './common.js';

/** The forward versions: a tiling override (null: chooseTiling's) and the kernel-row loop threshold. */
const VERSIONS: Record<string, { tiling: (K: number, Q: number) => Partial<Tiling> | null; unrollLimit: number }> = {
  v8: { tiling: (K, Q) => ({ bm: K <= 16 ? 16 : 32, bn: Q % 8 === 0 ? 8 : Math.min(6, Q), wg: 64, sg: 8, vec: 0 }), unrollLimit: Infinity },
  v9: { tiling: (K, Q) => ({ bm: K <= 16 ? 16 : 32, bn: Q % 8 === 0 ? 8 : Math.min(6, Q), wg: 64, sg: 8, vec: 4 }), unrollLimit: Infinity },
  v10: {
    tiling: (K, Q) => (K <= 16 ? { bm: 16, bn: Q, wg: 32, sg: 8, vec: 4 } : { bm: 32, bn: Math.min(24, Q), wg: 32, sg: 8, vec: 4 }),
    unrollLimit: Infinity,
  },
  v11: { tiling: () => null, unrollLimit: 1024 },
  v12: { tiling: () => null, unrollLimit: Infinity },
};

const runs = Number(process.argv[2] ?? 3);
const versions = (process.argv[3] ?? 'v11,v12').split(',');
const NB = Number(process.argv[4] ?? 256);
const device = await labDevice();
if (process.env.SKIP_KERNELS !== '1') {
  const [N, C, K, H, W, R] = [64, 64, 64, 24, 24, 3];
  const x = randTensor(device, [N, C, H, W], 1);
  const w = randTensor(device, [K, C, R, R], 2);
  const gy = randTensor(device, [N, K, H, W], 3);
  const a = randTensor(device, [1024, 1024], 4);
  const b = randTensor(device, [1024, 1024], 5);
  const opts = { stride: 1, padding: 1 };
  const convFlops = 2 * N * K * H * W * C * R * R;
  const cases: Array<[string, number, () => Tensor]> = [
    ['conv3x3 forward', convFlops, () => conv2d(x, w, opts)],
    ['conv3x3 backward input', convFlops, () => conv2dBackwardInput(gy, w, x.shape, opts)],
    ['conv3x3 backward weight', convFlops, () => conv2dBackwardWeight(gy, x, w.shape, opts)],
    ['matmul 1024^3', 2 * 1024 ** 3, () => matmul(a, b)],
  ];
  const times = await timeVariants(
    device,
    cases.map(([n, , fn]) => [n, fn] as const),
    runs,
  );
  for (const [name, flops] of cases) {
    const t = times.get(name)!;
    console.log(
      `${name.padEnd(26)} ${gflops(flops, t.cpuMs).toFixed(2).padStart(7)} GFLOP/s per 2 CPU-s (${gflops(flops, t.wallMs).toFixed(2)} wall)`,
    );
  }
}

// the forward versions on fer-resnet18(16)'s convolutions (batch NB, bias + ReLU)
const use = (v: string, K2: number, Q: number): void => {
  setTiling(device, 'conv2d', VERSIONS[v]!.tiling(K2, Q));
  setConvUnrollLimit(VERSIONS[v]!.unrollLimit);
};
const totals = new Map<string, number>();
for (const s of ferShapes(16)) {
  const o = { stride: s.stride, padding: s.R === 3 ? 1 : 0 };
  const P = Math.floor((s.H + 2 * o.padding - s.R) / s.stride) + 1;
  const xs = randTensor(device, [NB, s.C, s.H, s.H], 6);
  const ws = randTensor(device, [s.K, s.C, s.R, s.R], 7);
  const bs = randTensor(device, [s.K], 8);
  // check each version against the reference on 2 images
  const x2 = randTensor(device, [2, s.C, s.H, s.H], 9);
  const [xc, wc, bc] = await Promise.all([toCpu(x2), toCpu(ws), toCpu(bs)]);
  const want = ref.conv2d(xc, wc, { ...o, bias: bc }).data.map((v) => Math.max(v, 0));
  const fns: Array<[string, () => Tensor]> = [];
  for (const v of versions) {
    use(v, s.K, P);
    validate(
      `${v} ${s.name}`,
      await device.noGrad(() => conv2dFused(x2, ws, { ...o, bias: bs, relu: true })).toArray(),
      want,
      s.C * s.R * s.R,
    );
    fns.push([v, () => (use(v, s.K, P), device.noGrad(() => conv2dFused(xs, ws, { ...o, bias: bs, relu: true })))]);
  }
  const best = await timeVariants(device, fns, runs);
  const flops = 2 * NB * s.K * P * P * s.C * s.R * s.R;
  console.log(
    `${s.name.padEnd(15)} ${versions.map((v) => `${v} ${best.get(v)!.cpuMs.toFixed(1).padStart(7)} ms ${gflops(flops, best.get(v)!.cpuMs).toFixed(1).padStart(5)} GFLOP/s`).join('   ')}`,
  );
  for (const v of versions) totals.set(v, (totals.get(v) ?? 0) + best.get(v)!.cpuMs * s.count);
  for (const t of [xs, ws, bs, x2]) t.dispose();
}
console.log(
  `fer-resnet18(16) convolutions, batch ${NB}, ms per 2 CPU-s: ${versions.map((v) => `${v} ${totals.get(v)!.toFixed(0)}`).join(', ')}; ${loadNote()}`,
);
setTiling(device, 'conv2d', null);
setConvUnrollLimit(1024);
device.destroy();
