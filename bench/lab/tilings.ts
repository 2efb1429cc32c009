/**
 * Sweeps tilings of one op: flock /tmp/bench.lock env XDG_RUNTIME_DIR=/tmp npx tsx bench/lab/tilings.ts <op> <tilings>
 * where a tiling is bm x bn / wg [/ sg<lanes>] [/ s<splits>], e.g. `conv2dBackwardWeight 16x9/64/sg8/s2,8x4/64`.
 */
import { createDevice } from '../../src/gpu/dawn.js';
import type { Device } from '../../src/gpu/device.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../../src/kernels/conv2d/index.js';
import { matmul } from '../../src/kernels/matmul/index.js';
import { setTiling, type GemmOp } from '../../src/kernels/gemm/tiling.js';
import type { Tensor } from '../../src/tensor.js';

const device = await createDevice();
const rnd = (shape: number[]): Tensor => device.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => Math.random() - 0.5), shape);
async function time(flops: number, fn: () => Tensor, runs = 2): Promise<string> {
  fn().dispose();
  await device.sync();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) { fn().dispose(); await device.sync(); }
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000 / runs;
  // wall-clock rate, and the rate 2 unloaded cores would give (process CPU time / 2)
  return `${(flops / ((performance.now() - t0) / runs) / 1e6).toFixed(2)} wall, ${(flops / (cpuMs / 2) / 1e6).toFixed(2)} cpu-normalised`;
}
const which = process.argv[2] ?? 'matmul';
const tilings = (process.argv[3] ?? '4x4/64,2x4/64,4x2/64,8x1/64,1x8/64,4x4/32,4x4/128').split(',').map((s) => {
  const [b, wg, ...rest] = s.split('/');
  const [bm, bn] = b!.split('x').map(Number);
  const sg = Number(rest.find((r) => r.startsWith('sg'))?.slice(2) ?? 0);
  const splits = Number(rest.find((r) => /^s\d/.test(r))?.slice(1) ?? 1);
  return { bm: bm!, bn: bn!, wg: Number(wg), sg, splits };
});
const a = rnd([1024, 1024]), b = rnd([1024, 1024]);
const x = rnd([16, 64, 24, 24]), w = rnd([64, 64, 3, 3]), gy = rnd([16, 64, 24, 24]);
const cf = 2 * 16 * 64 * 64 * 576 * 9;
for (const t of tilings) {
  const op: GemmOp = which as GemmOp;
  setTiling(device, op, t);
  let r = '';
  if (which === 'matmul') r = await time(2 * 1024 ** 3, () => matmul(a, b));
  if (which === 'conv2d') r = await time(cf, () => conv2d(x, w, { padding: 1 }));
  if (which === 'conv2dBackwardInput') r = await time(cf, () => conv2dBackwardInput(gy, w, x.shape, { padding: 1 }));
  if (which === 'conv2dBackwardWeight') r = await time(cf, () => conv2dBackwardWeight(gy, x, w.shape, { padding: 1 }));
  console.log(which, JSON.stringify(t), r, 'GFLOP/s');
}
device.destroy();
