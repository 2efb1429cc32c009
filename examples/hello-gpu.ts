/**
 * Hello GPU: prints the adapter, runs a conv2d forward and backward on the GPU and checks both
 * against the CPU reference.
 *
 *   npx tsx examples/hello-gpu.ts
 */
import { createDevice, ops, reference } from '../src/index.js';
import { Rng } from '../src/random.js';

const device = await createDevice();
const i = device.info;
console.log(`adapter: ${i.description} (${i.vendor || '-'} ${i.architecture || ''}, ${i.backend}, ${i.featureLevel} feature level)`);

// x [2, 3, 9, 7], weight [5, 3, 3, 3], stride 2, padding 1: odd sizes on purpose.
const rng = new Rng(1);
const xData = rng.normals(2 * 3 * 9 * 7);
const wData = rng.normals(5 * 3 * 3 * 3, 0, 0.3);
const x = device.tensor(xData, [2, 3, 9, 7], { requiresGrad: true });
const w = device.tensor(wData, [5, 3, 3, 3], { requiresGrad: true });
const opts = { stride: 2, padding: 1 };
const y = ops.conv2d(x, w, opts);
const gy = device.tensor(rng.normals(y.size), y.shape);
y.backward(gy);

const cx = reference.CpuTensor.from(xData, x.shape);
const cw = reference.CpuTensor.from(wData, w.shape);
const cgy = reference.CpuTensor.from(await gy.toArray(), gy.shape);
const checks: Array<[string, Float32Array, ArrayLike<number>]> = [
  ['forward', await y.toArray(), reference.conv2d(cx, cw, opts).data],
  ['grad input', await x.grad!.toArray(), reference.conv2dBackwardInput(cgy, cw, x.shape, opts).data],
  ['grad weight', await w.grad!.toArray(), reference.conv2dBackwardWeight(cgy, cx, w.shape, opts).data],
];
let ok = true;
for (const [name, gpu, cpu] of checks) {
  let maxErr = 0;
  for (let k = 0; k < gpu.length; k++) maxErr = Math.max(maxErr, Math.abs(gpu[k]! - cpu[k]!));
  const pass = maxErr < 1e-4;
  ok &&= pass;
  console.log(
    `conv2d ${name.padEnd(11)} [${name === 'forward' ? y.shape : name === 'grad input' ? x.shape : w.shape}]  max |GPU - CPU| = ${maxErr.toExponential(2)}  ${pass ? 'ok' : 'MISMATCH'}`,
  );
}
device.destroy();
process.exitCode = ok ? 0 : 1;
