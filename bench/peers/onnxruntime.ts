/**
 * Peer: fer-resnet18 exported by fer-gpu's exportOnnx and run by onnxruntime-node on its CPU
 * execution provider, on the inference rows of bench/README.md (batch 256, f32). The model is
 * built exactly as fer-gpu's own row builds it (seed 0, eval mode); the export runs on the Dawn
 * adapter (the batch-norm fold is a GPU kernel) and is not timed. Run by src/bench/peers.ts;
 * prints one JSON line (protocol in that file).
 *
 *   node --import tsx bench/peers/onnxruntime.ts --ids infer.fer-resnet18-16 [--quick] [--warmup 3 --timed 10]
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { createDevice } from '../../src/gpu/dawn.js';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { exportOnnx, DEFAULT_OPSET } from '../../src/onnx/index.js';
import { Rng } from '../../src/random.js';
import { INFER_BATCH } from '../../src/bench/e2e.js';
import { summarize } from '../../src/bench/schema.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const ids = (arg('--ids') ?? '').split(',').filter(Boolean);
const quick = process.argv.includes('--quick');
const plan = arg('--timed')
  ? { warmup: Number(arg('--warmup') ?? 0), timed: Number(arg('--timed')) }
  : quick
    ? { warmup: 1, timed: 3 }
    : { warmup: 3, timed: 10 };
const log = (m: string): void => void process.stderr.write(`onnxruntime peer: ${m}\n`);

const rows: Array<{ id: string; median: number; min: number; max: number; warmup: number; timed: number; note: string }> = [];
const skipped: Record<string, string> = {};
const device = await createDevice();
try {
  for (const width of [16, 64]) {
    const id = `infer.fer-resnet18-${width}`;
    if (!ids.includes(id)) continue;
    log(id);
    const model = ferResNet18(device, { width, seed: 0 }).eval();
    const bytes = await exportOnnx(model);
    model.dispose();
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    const input = new ort.Tensor('float32', new Rng(2).normals(INFER_BATCH * 48 * 48), [INFER_BATCH, 1, 48, 48]);
    const times: number[] = [];
    let first = 0;
    for (let i = 0; i < plan.warmup + plan.timed; i++) {
      const t0 = performance.now();
      await session.run({ input });
      const ms = performance.now() - t0;
      if (i === 0) first = ms;
      if (i >= plan.warmup) times.push(ms);
    }
    await session.release();
    const note = `exported file ${(bytes.length / 2 ** 20).toFixed(1)} MiB; first run ${(first / 1000).toFixed(2)} s`;
    rows.push({ id, ...summarize(times), ...plan, note });
  }
} finally {
  device.destroy();
}
for (const id of ids) {
  if (rows.some((r) => r.id === id)) continue;
  skipped[id] = id.startsWith('infer.')
    ? 'the exported file is f32: see the f32 row'
    : 'inference rows only (the exported graph has no training)';
}

console.log(
  JSON.stringify({
    peer: 'onnxruntime-cpu',
    version: `onnxruntime-node ${ort.env.versions.node ?? '?'}`,
    details: `CPU execution provider, default threads (${os.cpus().length} cores), opset ${DEFAULT_OPSET} file from exportOnnx`,
    rows,
    skipped,
  }),
);
