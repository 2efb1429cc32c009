/**
 * One fer-resnet18(width) train step of this worktree against the same step of another
 * worktree's src (BASE=<path>), interleaved step by step in one process on one device, so a
 * shared machine's changing load hits both alike: best ms per 2 CPU-s and images/s of each.
 *   BASE=/tmp/base npx tsx bench/lab/step-ab.ts [width=16] [batch=64] [rounds=6]
 */
import * as here from '../../src/index.js';
import { Rng } from '../../src/random.js';
import type { Device } from '../../src/gpu/device.js';
import { labDevice, loadNote } from './common.js';

if (!process.env.BASE) throw new Error('step-ab: set BASE to the other worktree');
const base = (await import(`${process.env.BASE}/src/index.js`)) as typeof here;
const width = Number(process.argv[2] ?? 16),
  N = Number(process.argv[3] ?? 64),
  rounds = Number(process.argv[4] ?? 6);
const device = await labDevice();
const rng = new Rng(1);
const x = device.tensor(rng.normals(N * 48 * 48), [N, 1, 48, 48]);
const labels = Int32Array.from({ length: N }, () => rng.int(7));

function stepper(lib: typeof here, d: Device): () => void {
  const model = lib.ferResNet18(d, { width });
  const opt = new lib.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  return () =>
    d.tidy(() => {
      lib.ops.crossEntropy(model.forward(x), labels).backward();
      opt.step();
      opt.zeroGrad();
    });
}
const variants: Array<[string, () => void]> = [
  ['base', stepper(base, device)],
  ['this', stepper(here, device)],
];
const best = new Map<string, { wall: number; cpu: number }>();
const ratios: number[] = []; // base / this per round (neighbouring steps)
for (let r = -1; r < rounds; r++) {
  const cpu = new Map<string, number>();
  for (const [name, step] of r % 2 === 0 ? variants : [...variants].reverse()) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step();
    await device.sync();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (r < 0) continue; // the first step compiles
    cpu.set(name, c.user + c.system);
    const b = best.get(name) ?? { wall: Infinity, cpu: Infinity };
    best.set(name, { wall: Math.min(b.wall, wall), cpu: Math.min(b.cpu, (c.user + c.system) / 2000) });
  }
  if (r >= 0) ratios.push(cpu.get('base')! / cpu.get('this')!);
}
ratios.sort((a, b) => a - b);
for (const [name, b] of best) {
  console.log(
    `${name} w${width} b${N}: ${b.cpu.toFixed(0)} ms per 2 CPU-s (${((N / b.cpu) * 1000).toFixed(1)} img/s), best wall ${b.wall.toFixed(0)} ms (${((N / b.wall) * 1000).toFixed(1)} img/s)`,
  );
}
console.log(
  `speed this / base per 2 CPU-s: best ${(best.get('base')!.cpu / best.get('this')!.cpu).toFixed(3)}x, median of ${rounds} rounds ${ratios[Math.floor(rounds / 2)]!.toFixed(3)}x (quartiles ${ratios[Math.floor(rounds / 4)]!.toFixed(3)}-${ratios[Math.floor((3 * rounds) / 4)]!.toFixed(3)}); ${loadNote()}`,
);
device.destroy();
