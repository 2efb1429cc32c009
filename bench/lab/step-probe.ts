/**
 * Train-step and inference speed of fer-resnet18(width) at one batch size, on this machine's
 * adapter: what decides which width a training run can afford.
 *
 *   npx tsx bench/lab/step-probe.ts [width=16] [batch=64] [ema]
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
import { createDevice, ferResNet18, ops, optim } from '../../src/index.js';
import { Rng } from '../../src/random.js';
import { ModelEma } from '../../src/train/averaging.js';
const device = await createDevice();
const width = Number(process.argv[2] ?? 16), N = Number(process.argv[3] ?? 64), withEma = process.argv[4] === 'ema';
const model = ferResNet18(device, { width });
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
const ema = withEma ? new ModelEma(model, ferResNet18(device, { width }), { decay: 0.999 }) : null;
const rng = new Rng(1);
const x = device.tensor(rng.normals(N * 48 * 48), [N, 1, 48, 48]);
const labels = Int32Array.from({ length: N }, () => rng.int(7));
const step = () => device.tidy(() => { const l = ops.crossEntropy(model.forward(x), labels); l.backward(); opt.step(); opt.zeroGrad(); ema?.update(); });
let t = performance.now(); step(); await device.sync(); console.log('first step ms', (performance.now() - t).toFixed(0));
const d0 = device.dispatches, s0 = device.submits;
t = performance.now(); for (let i = 0; i < 3; i++) { step(); await device.sync(); } const ms = (performance.now() - t) / 3;
const ips = (N / ms) * 1000;
console.log(`train w${width} b${N}${withEma ? ' +ema' : ''}: ${ms.toFixed(0)} ms/step, ${ips.toFixed(1)} img/s, dispatches/step ${(device.dispatches - d0) / 3}, submits/step ${(device.submits - s0) / 3}`);
console.log(`  an epoch of FER2013 Training (28,709 images): ${(28709 / ips / 60).toFixed(0)} min; 60 epochs: ${((60 * 28709) / ips / 3600).toFixed(1)} h`);
model.eval();
const xi = device.tensor(rng.normals(256 * 48 * 48), [256, 1, 48, 48]);
device.noGrad(() => model.forward(xi)).dispose(); await device.sync();
t = performance.now(); device.noGrad(() => model.forward(xi)).dispose(); await device.sync();
const ims = performance.now() - t; console.log(`infer w${width} b256: ${(256 / ims * 1000).toFixed(1)} img/s`);
ema?.dispose();
device.destroy();
