/**
 * What every kernel-lab probe shares (llm.c's dev/cuda/common.h): the device, seeded data, a
 * check against the CPU reference, and interleaved timing that reports both wall-clock time and
 * the process's CPU time (lavapipe runs in this process's threads, so CPU-ms / 2 is what two idle
 * cores would take: the figure to compare on a shared machine). See README.md.
 */
import { loadavg } from 'node:os';
import { createDevice } from '../../src/gpu/dawn.js';
import type { Device } from '../../src/gpu/device.js';
import { Rng } from '../../src/random.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import type { Tensor } from '../../src/tensor.js';
import type { Tiling } from '../../src/kernels/gemm/tiling.js';
import { ferConvLayers } from '../../src/bench/layers.js';

/** Creates the device and prints the adapter and the machine's load. */
export async function labDevice(): Promise<Device> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const device = await createDevice();
  console.log(`adapter: ${device.info.description || device.info.device} (${device.info.backend}); ${loadNote()}`);
  return device;
}

/** The 1/5/15-minute load averages, to print beside every figure measured on a shared machine. */
export function loadNote(): string {
  return `load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;
}

/** A seeded unit-normal tensor. */
export function randTensor(device: Device, shape: readonly number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return device.tensor(Float32Array.from(new Rng(seed).normals(n, 0, 1)), shape);
}

/** A tensor's values as a CPU tensor (for the f64 reference). */
export async function toCpu(t: Tensor): Promise<CpuTensor> {
  return CpuTensor.from(await t.toArray(), t.shape);
}

/**
 * Throws unless |got − want| <= atol + 1e-5·|want| everywhere (atol: 1e-6 per term of the
 * longest sum, as the op tests use). Returns the largest error.
 */
export function validate(what: string, got: ArrayLike<number>, want: CpuTensor | ArrayLike<number>, sumLength: number): number {
  const w = want instanceof CpuTensor ? want.data : want;
  if (got.length !== w.length) throw new Error(`${what}: ${got.length} values, the reference has ${w.length}`);
  const atol = 1e-6 * sumLength + 1e-6;
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs(got[i]! - w[i]!);
    if (!(err <= atol + 1e-5 * Math.abs(w[i]!))) throw new Error(`${what}: element ${i} is ${got[i]}, the reference ${w[i]}`);
    worst = Math.max(worst, err);
  }
  return worst;
}

/** Best wall-clock and CPU milliseconds of one variant. */
export interface Timing {
  wallMs: number;
  /** Process CPU time / 2: what two unloaded cores would take. */
  cpuMs: number;
}

/**
 * Times the variants interleaved (round i runs every variant once, so load on the machine hits
 * all alike), each to GPU completion, after one untimed (compiling) run; returns the best of
 * `rounds` per variant.
 */
export async function timeVariants(
  device: Device,
  variants: ReadonlyArray<readonly [string, () => Tensor | void]>,
  rounds: number,
): Promise<Map<string, Timing>> {
  const run = async (fn: () => Tensor | void): Promise<void> => {
    const out = fn();
    if (out) out.dispose();
    await device.sync();
  };
  for (const [, fn] of variants) await run(fn);
  const best = new Map<string, Timing>(variants.map(([name]) => [name, { wallMs: Infinity, cpuMs: Infinity }]));
  for (let i = 0; i < rounds; i++) {
    for (const [name, fn] of variants) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run(fn);
      const wallMs = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const b = best.get(name)!;
      best.set(name, { wallMs: Math.min(b.wallMs, wallMs), cpuMs: Math.min(b.cpuMs, (c.user + c.system) / 2000) });
    }
  }
  return best;
}

/** GFLOP/s of `flops` in `ms`. */
export function gflops(flops: number, ms: number): number {
  return flops / ms / 1e6;
}

/** The distinct convolutions of fer-resnet18(w) on 48x48 inputs (src/bench/layers.ts), with how often each occurs. */
export const ferShapes = ferConvLayers;

/**
 * A tiling from text: bm x bn / wg [/ sg<lanes>] [/ s<splits>] [/ v<vec>] [/ kr<rows>], e.g.
 * `32x8/32/sg8/s4/v4/kr3` (see src/kernels/gemm/tiling.ts for the fields).
 */
export function parseTiling(s: string): Partial<Tiling> {
  const [b, wg, ...rest] = s.split('/');
  const [bm, bn] = b!.split('x').map(Number);
  const t: Partial<Tiling> = { bm: bm!, bn: bn!, wg: Number(wg) };
  for (const [k, p] of [
    ['sg', 'sg'],
    ['splits', 's'],
    ['vec', 'v'],
    ['kr', 'kr'],
  ] as const) {
    const r = rest.find((x) => new RegExp(`^${p}\\d`).test(x));
    if (r !== undefined) t[k] = Number(r.slice(p.length));
  }
  return t;
}
