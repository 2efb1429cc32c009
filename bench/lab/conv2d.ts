/**
 * GFLOP/s of the conv2d kernels and matmul on the benchmark workloads:
 * conv3x3 N=64, C=K=64, 24x24, pad 1 (forward, backward-input, backward-weight) and matmul 1024³.
 * Run: flock /tmp/bench.lock env XDG_RUNTIME_DIR=/tmp npx tsx bench/lab/conv2d.ts [repeats]
 * Each op runs first with the tiling shipped before the kernel lab (8x4/64, no subgroup
 * broadcasts: "before") and then with chooseTiling's current choice ("after"), in one process.
 * Wall-clock rates suffer when other processes share the CPU; the second column divides by half
 * the process's CPU time instead (lavapipe runs in this process's threads).
 */
import { createDevice, type Device } from '../../src/gpu/device.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../../src/kernels/conv2d/index.js';
import { matmul } from '../../src/kernels/matmul/index.js';
import { chooseTiling, setTiling, type GemmOp } from '../../src/kernels/matmul/tiling.js';
import type { Tensor } from '../../src/tensor.js';
import { Rng } from '../../src/random.js';

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

const runs = Number(process.argv[2] ?? 10);
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
for (const [op, name, flops, fn] of cases) {
  setTiling(device, op, { bm: 8, bn: 4, wg: 64, sg: 0, splits: 1 });
  await time(device, `${name} before`, flops, fn, runs);
  setTiling(device, op, null);
  const t = chooseTiling(device, op, op === 'conv2dBackwardWeight' ? { rows: K, cols: C * R * R, depth: N * H * W } : { rows: 64, cols: 1 << 16, depth: 576 });
  await time(device, `${name} after ${t.bm}x${t.bn}/${t.wg}${t.sg ? ` sg${t.sg}` : ''}`, flops, fn, runs);
}
device.destroy();
