/**
 * `--profile`: one training step's GPU time by kernel class (conv forward and backwards,
 * batchnorm, element-wise, pooling, linear, loss, optimizer), with dispatch and submit counts,
 * from gpu/profile.ts (timestamp queries where the adapter has them, else kernels timed alone).
 */
import type { Device } from '../gpu/device.js';
import { profileWork } from '../gpu/profile.js';

/** A class of kernels and the kernel names (WGSL entry names, see each op's wgsl.ts) in it. */
const CLASSES: ReadonlyArray<readonly [string, RegExp]> = [
  ['conv forward', /^conv2d$|^conv2dPackWeight/],
  ['conv backward-input', /^conv2dBackwardInput|^conv2dPhaseWeight/],
  ['conv backward-weight', /^conv2dBackwardWeight|^splitSum/],
  ['batchnorm', /^batchNorm/],
  ['element-wise', /^(add|relu|copy|fill|scaleBy)/],
  ['pooling', /Pool2d/],
  ['linear', /^gemm|^channelSum/],
  ['loss', /^crossEntropy/],
  ['optimizer', /^(sgd|adamw|gradNorm)/],
];

/** The class of a kernel name ('other' when none matches). */
export function kernelClass(kernel: string): string {
  return CLASSES.find(([, re]) => re.test(kernel))?.[0] ?? 'other';
}

/** A step's profile, as stored in a bench row (`BenchRow.profile`). */
export interface StepProfile {
  method: 'timestamp-query' | 'isolation';
  /** Sum of the dispatches' GPU times (ms). */
  gpuMs: number;
  /** Wall-clock time of the profiled step (with one compute pass per dispatch). */
  wallMs: number;
  dispatches: number;
  submits: number;
  /** Per class, most time first. */
  classes: Array<{ name: string; ms: number; dispatches: number }>;
  /** Per kernel name, most time first. */
  kernels: Array<{ name: string; ms: number; dispatches: number }>;
}

function group(items: Array<{ key: string; ms: number }>): Array<{ name: string; ms: number; dispatches: number }> {
  const m = new Map<string, { name: string; ms: number; dispatches: number }>();
  for (const { key, ms } of items) {
    const e = m.get(key) ?? { name: key, ms: 0, dispatches: 0 };
    e.ms += ms;
    e.dispatches++;
    m.set(key, e);
  }
  return [...m.values()].sort((a, b) => b.ms - a.ms);
}

/** Profiles one run of `step` (after the caller's warm-up) on `device`. */
export async function profileStep(device: Device, step: () => void): Promise<StepProfile> {
  const p = await profileWork(device, step);
  const gpuMs = p.dispatches.reduce((a, d) => a + d.ms, 0);
  return {
    method: p.method,
    gpuMs,
    wallMs: p.wallMs,
    dispatches: p.dispatchCount,
    submits: p.submits,
    classes: group(p.dispatches.map((d) => ({ key: kernelClass(d.kernel), ms: d.ms }))),
    kernels: group(p.dispatches.map((d) => ({ key: d.kernel, ms: d.ms }))),
  };
}

/** The profile as a Markdown table: class, ms, share, dispatches; then the top kernels. */
export function formatProfile(title: string, p: StepProfile, topKernels = 8): string {
  const pct = (ms: number): string => `${((100 * ms) / p.gpuMs).toFixed(1)}%`;
  const lines = [
    `${title}: ${p.dispatches} dispatches, ${p.submits} submit${p.submits === 1 ? '' : 's'}; GPU ${p.gpuMs.toFixed(0)} ms by ${p.method === 'timestamp-query' ? 'timestamp queries' : 'kernels timed alone'} (wall ${p.wallMs.toFixed(0)} ms with one pass per dispatch)`,
    '',
    '| kernel class | ms | share | dispatches |',
    '| --- | --- | --- | --- |',
    ...p.classes.map((c) => `| ${c.name} | ${c.ms.toFixed(1)} | ${pct(c.ms)} | ${c.dispatches} |`),
    '',
    `top kernels: ${p.kernels
      .slice(0, topKernels)
      .map((k) => `${k.name} ${k.ms.toFixed(1)} ms (${k.dispatches}x)`)
      .join(', ')}`,
  ];
  return lines.join('\n');
}
