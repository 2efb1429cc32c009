/**
 * What Dawn's robustness (a bounds check on every buffer access of every kernel) costs on this
 * adapter: two devices in one process, `createDevice()` and `createDevice({ robustness: false })`,
 * each running a fer-resnet18(width) train step, interleaved round by round (best wall time), the
 * losses printed so that equal numbers are seen.
 *   npx tsx bench/lab/robustness.ts [width=8] [batch=64] [rounds=5]     (REVERSE=1: the other order)
 *
 * Figures (lavapipe, 2 shared cores, load 7-10, 2026-11-29): width 8, batch 64, 10 rounds:
 * 991 -> 893 ms/step (1.11x), reversed order 1725 -> 1423 ms/step (1.21x); 6 rounds 1942 -> 1462
 * (1.33x); identical losses in every run. Width 16 at load 8-10 (4 rounds): 4683 vs 4705 ms, within
 * the noise of that load.
 */
import { createDevice, ferResNet18, ops, optim } from '../../src/index.js';
import { Rng } from '../../src/random.js';
import { loadNote } from './common.js';

const width = Number(process.argv[2] ?? 8),
  N = Number(process.argv[3] ?? 64),
  rounds = Number(process.argv[4] ?? 5);
const variants = [
  { name: 'robustness (default)', robustness: true },
  { name: 'robustness: false', robustness: false },
];
if (process.env.REVERSE) variants.reverse();
const runs = [];
for (const v of variants) {
  const device = await createDevice({ robustness: v.robustness });
  const model = ferResNet18(device, { width, seed: 3 });
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const rng = new Rng(1);
  const x = device.tensor(rng.normals(N * 48 * 48), [N, 1, 48, 48]);
  const labels = Int32Array.from({ length: N }, () => rng.int(7));
  const step = async (): Promise<number> => {
    const loss = device.tidy(() => {
      const l = ops.crossEntropy(model.forward(x), labels);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l;
    });
    const value = (await loss.toArray())[0]!;
    loss.dispose();
    return value;
  };
  runs.push({ ...v, step, best: Infinity, losses: [] as number[] });
}
for (const r of runs) r.losses.push(await r.step()); // compile
for (let i = 0; i < rounds; i++) {
  for (const r of runs) {
    const t = performance.now();
    r.losses.push(await r.step());
    r.best = Math.min(r.best, performance.now() - t);
  }
}
for (const r of runs)
  console.log(
    `${r.name.padEnd(20)} best ${r.best.toFixed(0)} ms/step (${((N * 1000) / r.best).toFixed(1)} img/s); losses ${r.losses.map((l) => l.toFixed(4)).join(' ')}`,
  );
console.log(loadNote());
