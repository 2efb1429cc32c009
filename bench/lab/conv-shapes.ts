/**
 * Per-shape time and GFLOP/s of every distinct fer-resnet18(w) convolution: forward at the
 * inference batch (256) and the training batch (64), and both backwards at 64. `count` is how
 * often the shape occurs in the network, so `total` is its share of one forward/backward.
 * Usage: flock /tmp/bench.lock env XDG_RUNTIME_DIR=/tmp npx tsx bench/lab/conv-shapes.ts [width=16] [filter] [op=tiling,...]
 * e.g. `16 layer4 conv2d=16x4/64/sg8` times layer4 only, with the forward's tiling overridden
 * (tiling syntax as in tilings.ts: bm x bn / wg [/ sg<lanes>] [/ s<splits>]). PASSES=forward256,bwdInput64
 * (env) keeps only those passes (default: forward256,forward64,bwdInput64,bwdWeight64).
 */
import { createDevice } from '../../src/gpu/dawn.js';
import type { Device } from '../../src/gpu/device.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../../src/kernels/conv2d/index.js';
import { chooseTiling, setTiling, type GemmOp, type Tiling } from '../../src/kernels/gemm/tiling.js';
import { Rng } from '../../src/random.js';
import type { Tensor } from '../../src/tensor.js';

export interface ConvShape {
  name: string;
  C: number;
  K: number;
  H: number;
  R: number;
  stride: number;
  count: number;
}

/** The distinct convolutions of fer-resnet18(w) on 48x48 inputs, with how often each occurs. */
export function ferShapes(w: number): ConvShape[] {
  return [
    { name: 'stem', C: 1, K: w, H: 48, R: 3, stride: 1, count: 1 },
    { name: 'layer1 3x3', C: w, K: w, H: 48, R: 3, stride: 1, count: 4 },
    { name: 'layer2 3x3 s2', C: w, K: 2 * w, H: 48, R: 3, stride: 2, count: 1 },
    { name: 'layer2 3x3', C: 2 * w, K: 2 * w, H: 24, R: 3, stride: 1, count: 3 },
    { name: 'layer2 1x1 s2', C: w, K: 2 * w, H: 48, R: 1, stride: 2, count: 1 },
    { name: 'layer3 3x3 s2', C: 2 * w, K: 4 * w, H: 24, R: 3, stride: 2, count: 1 },
    { name: 'layer3 3x3', C: 4 * w, K: 4 * w, H: 12, R: 3, stride: 1, count: 3 },
    { name: 'layer3 1x1 s2', C: 2 * w, K: 4 * w, H: 24, R: 1, stride: 2, count: 1 },
    { name: 'layer4 3x3 s2', C: 4 * w, K: 8 * w, H: 12, R: 3, stride: 2, count: 1 },
    { name: 'layer4 3x3', C: 8 * w, K: 8 * w, H: 6, R: 3, stride: 1, count: 3 },
    { name: 'layer4 1x1 s2', C: 4 * w, K: 8 * w, H: 12, R: 1, stride: 2, count: 1 },
  ];
}

function parseTiling(s: string): Partial<Tiling> {
  const [b, wg, ...rest] = s.split('/');
  const [bm, bn] = b!.split('x').map(Number);
  const sg = Number(rest.find((r) => r.startsWith('sg'))?.slice(2) ?? 0);
  const splits = Number(rest.find((r) => /^s\d/.test(r))?.slice(1) ?? 1);
  return { bm: bm!, bn: bn!, wg: Number(wg), sg, splits };
}

async function time(device: Device, fn: () => Tensor, runs: number): Promise<number> {
  fn().dispose();
  await device.sync();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn().dispose();
    await device.sync();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const width = Number(process.argv[2] ?? 16);
const filter = process.argv[3] && process.argv[3] !== 'all' ? process.argv[3] : '';
const runs = Number(process.env.RUNS ?? 2);
const device = await createDevice();
for (const spec of process.argv.slice(4)) {
  const [op, t] = spec.split('=');
  setTiling(device, op as GemmOp, parseTiling(t!));
}
const rng = new Rng(1);
const rand = (shape: number[]): Tensor => device.tensor(rng.normals(shape.reduce((a, b) => a * b, 1)), shape);
const tk = (t: Tiling): string => `${t.bm}x${t.bn}/${t.wg}${t.sg ? `/sg${t.sg}` : ''}${t.splits > 1 ? `/s${t.splits}` : ''}`;
const totals = new Map<string, number>();
console.log('shape'.padEnd(15), 'pass'.padEnd(12), 'N'.padStart(4), 'ms'.padStart(8), 'GFLOP/s'.padStart(8), 'x count'.padStart(8), ' tiling');
for (const s of ferShapes(width).filter((s) => s.name.includes(filter))) {
  const opts = { stride: s.stride, padding: s.R === 3 ? 1 : 0 };
  const P = Math.floor((s.H + 2 * opts.padding - s.R) / s.stride) + 1;
  const w = rand([s.K, s.C, s.R, s.R]);
  const passes = (process.env.PASSES ?? 'forward256,forward64,bwdInput64,bwdWeight64').split(',');
  for (const [pass, N] of ([['forward', 256], ['forward', 64], ['bwdInput', 64], ['bwdWeight', 64]] as const).filter(([p, n]) => passes.includes(`${p}${n}`))) {
    const x = rand([N, s.C, s.H, s.H]);
    const gy = rand([N, s.K, P, P]);
    const flops = 2 * N * s.K * P * P * s.C * s.R * s.R;
    const op: GemmOp = pass === 'forward' ? 'conv2d' : pass === 'bwdInput' ? 'conv2dBackwardInput' : 'conv2dBackwardWeight';
    const dims =
      pass === 'forward' ? { rows: s.K, cols: N * P * P, depth: s.C * s.R * s.R, rowLength: P }
      : pass === 'bwdInput' ? { rows: s.C, cols: N * s.H * s.H, depth: s.K * s.R * s.R }
      : { rows: s.K, cols: s.C * s.R * s.R, depth: N * P * P };
    const t = chooseTiling(device, op, dims);
    const fn =
      pass === 'forward' ? () => conv2d(x, w, opts)
      : pass === 'bwdInput' ? () => conv2dBackwardInput(gy, w, x.shape, opts)
      : () => conv2dBackwardWeight(gy, x, w.shape, opts);
    const ms = await time(device, fn, runs);
    const key = `${pass} b${N}`;
    totals.set(key, (totals.get(key) ?? 0) + ms * s.count);
    console.log(
      s.name.padEnd(15), pass.padEnd(12), String(N).padStart(4), ms.toFixed(1).padStart(8),
      (flops / ms / 1e6).toFixed(2).padStart(8), (ms * s.count).toFixed(0).padStart(8), ` ${tk(t)}`,
    );
    x.dispose();
    gy.dispose();
  }
  w.dispose();
}
for (const [k, v] of totals) console.log(`total ${k}: ${v.toFixed(0)} ms`);
device.destroy();
