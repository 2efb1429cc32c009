/**
 * Per-kernel GPU time of one fer-resnet18 train step (and one inference batch), from
 * 'timestamp-query': each dispatch gets its own compute pass with timestampWrites.
 * Usage: XDG_RUNTIME_DIR=/tmp npx tsx bench/lab/kernel-profile.ts [width=16] [batch=64]
 */
import { createDevice, ferResNet18, ops, optim } from '../../src/index.js';
import type { Device, Kernel } from '../../src/gpu/device.js';
import { Rng } from '../../src/random.js';

const device = await createDevice();
if (!device.info.features.includes('timestamp-query')) throw new Error('no timestamp-query on this adapter');
const width = Number(process.argv[2] ?? 16), N = Number(process.argv[3] ?? 64);
const MAX = 2048;
const querySet = device.gpu.createQuerySet({ type: 'timestamp', count: MAX * 2 });
const resolve = device.gpu.createBuffer({ size: MAX * 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
const names: string[] = [];
// Patch the (private) pass handling: one pass per dispatch, each with timestamps.
const d = device as unknown as { dispatch: Device['dispatch']; endPass(): void; commandEncoder(): GPUCommandEncoder; pass: GPUComputePassEncoder | null };
const orig = d.dispatch.bind(device);
let profiling = false;
d.dispatch = (kernel: Kernel, args) => {
  if (profiling && names.length < MAX) {
    d.endPass();
    const k = names.length;
    d.pass = d.commandEncoder().beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 } });
    names.push(kernel.name);
  }
  orig(kernel, args);
};
async function collect(label: string): Promise<void> {
  const n = names.length;
  (d as any).endPass();
  d.commandEncoder().resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
  const staging = device.gpu.createBuffer({ size: n * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  d.commandEncoder().copyBufferToBuffer(resolve, 0, staging, 0, n * 16);
  await device.sync();
  await staging.mapAsync(GPUMapMode.READ);
  const t = new BigInt64Array(staging.getMappedRange().slice(0));
  staging.unmap();
  const per = new Map<string, { ms: number; count: number }>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const ms = Number(t[2 * i + 1]! - t[2 * i]!) / 1e6;
    total += ms;
    const e = per.get(names[i]!) ?? { ms: 0, count: 0 };
    e.ms += ms; e.count++;
    per.set(names[i]!, e);
  }
  const conv = [...per].filter(([k]) => /^conv2d|^gemm/.test(k)).reduce((a, [, v]) => a + v.ms, 0);
  console.log(`\n== ${label}: ${n} dispatches, GPU total ${total.toFixed(0)} ms (conv/gemm ${conv.toFixed(0)} ms, everything else ${(total - conv).toFixed(0)} ms)`);
  for (const [k, v] of [...per].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`${k.padEnd(36)} ${v.ms.toFixed(1).padStart(9)} ms ${String(v.count).padStart(4)}x ${(100 * v.ms / total).toFixed(1).padStart(5)}%`);
  }
  names.length = 0;
}

const model = ferResNet18(device, { width });
const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
const rng = new Rng(1);
const x = device.tensor(rng.normals(N * 48 * 48), [N, 1, 48, 48]);
const labels = Int32Array.from({ length: N }, () => rng.int(7));
const step = () => device.tidy(() => { const l = ops.crossEntropy(model.forward(x), labels); l.backward(); opt.step(); opt.zeroGrad(); });
step(); await device.sync();
profiling = true;
const t0 = performance.now(); step(); await collect(`train w${width} b${N}`); console.log('wall ms', (performance.now() - t0).toFixed(0));
if (process.argv[4] !== 'train') {
  model.eval();
  const NI = Number(process.argv[4] ?? 256);
  const xi = device.tensor(rng.normals(NI * 48 * 48), [NI, 1, 48, 48]);
  profiling = false; device.noGrad(() => model.forward(xi)).dispose(); await device.sync();
  profiling = true; device.noGrad(() => model.forward(xi)).dispose(); await collect(`infer b${NI}`);
}
device.destroy();
