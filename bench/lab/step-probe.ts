/**
 * Train-step and inference speed of fer-resnet18(width) at one batch size, on this machine's
 * adapter: what decides which width a training run can afford. Wall-clock and CPU-normalised
 * rates (process CPU time / 2: lavapipe runs in this process, so this is what two idle cores
 * would give; compare that on a shared machine), dispatches and submits per step.
 *
 *   npx tsx bench/lab/step-probe.ts [width=16] [batch=64] [steps=3] [ema]   (steps 0: inference only)
 *
 * `ema` adds the EMA update of the weights after each step (train --ema), to see its cost.
 *
 * Which width fits the time: an epoch of FER2013 is 28,709 / (train images/s) seconds, plus a
 * validation pass over PublicTest (3,589 / (inference images/s), twice with --ema). For E epochs
 * in H hours you need train images/s >= 28,709 · E / (3,600 · H). Examples: 60 epochs in 48 h
 * need >= 10 images/s; 60 epochs in 24 h >= 20; 80 epochs in 24 h >= 27. Issue 18's rule: width
 * 24 if this probe measures >= 25 images/s at width 24, else width 16. Run it on an idle machine
 * (other processes on the same cores slow a software adapter down) and after kernel changes.
 */
import { ferResNet18, ops, optim } from '../../src/index.js';
import { Rng } from '../../src/random.js';
import { ModelEma } from '../../src/train/averaging.js';
import { labDevice, loadNote } from './common.js';

const device = await labDevice();
const withEma = process.argv.includes('ema');
const numbers = process.argv.slice(2).filter((a) => a !== 'ema');
const width = Number(numbers[0] ?? 16),
  N = Number(numbers[1] ?? 64),
  steps = Number(numbers[2] ?? 3);
const model = ferResNet18(device, { width });
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
const ema = withEma ? new ModelEma(model, ferResNet18(device, { width }), { decay: 0.999 }) : null;
const rng = new Rng(1);
const x = device.tensor(rng.normals(N * 48 * 48), [N, 1, 48, 48]);
const labels = Int32Array.from({ length: N }, () => rng.int(7));
const step = (): void =>
  device.tidy(() => {
    const l = ops.crossEntropy(model.forward(x), labels);
    l.backward();
    opt.step();
    opt.zeroGrad();
    ema?.update();
  });
let t = performance.now();
if (steps > 0) {
  step();
  await device.sync();
  console.log('first step ms', (performance.now() - t).toFixed(0));
  const d0 = device.dispatches,
    s0 = device.submits;
  let best = Infinity,
    bestCpu = Infinity;
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    t = performance.now();
    step();
    await device.sync();
    best = Math.min(best, performance.now() - t);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 2000);
  }
  const ips = (N / bestCpu) * 1000;
  console.log(
    `train w${width} b${N}${withEma ? ' +ema' : ''}: ${best.toFixed(0)} ms/step wall (${((N / best) * 1000).toFixed(1)} img/s), ${bestCpu.toFixed(0)} ms per 2 CPU-s (${ips.toFixed(1)} img/s); dispatches/step ${(device.dispatches - d0) / steps}, submits/step ${(device.submits - s0) / steps}; ${loadNote()}`,
  );
  console.log(
    `  an epoch of FER2013 Training (28,709 images): ${(28709 / ips / 60).toFixed(0)} min; 60 epochs: ${((60 * 28709) / ips / 3600).toFixed(1)} h (per 2 CPU-s)`,
  );
}
model.eval();
const xi = device.tensor(rng.normals(256 * 48 * 48), [256, 1, 48, 48]);
device.noGrad(() => model.forward(xi)).dispose();
await device.sync();
let bi = Infinity,
  biCpu = Infinity;
for (let i = 0; i < 4; i++) {
  const c0 = process.cpuUsage();
  t = performance.now();
  device.noGrad(() => model.forward(xi)).dispose();
  await device.sync();
  bi = Math.min(bi, performance.now() - t);
  const c = process.cpuUsage(c0);
  biCpu = Math.min(biCpu, (c.user + c.system) / 2000);
}
console.log(`infer w${width} b256: ${((256 / bi) * 1000).toFixed(1)} img/s wall, ${((256 / biCpu) * 1000).toFixed(1)} img/s per 2 CPU-s`);
ema?.dispose();
device.destroy();
