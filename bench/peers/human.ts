/**
 * Peer: @vladmandic/human (TensorFlow.js, WebAssembly backend with XNNPACK, on the CPU) on the
 * faces rows of the infer suite: face detection and emotion of the same 640x480 frame
 * (src/bench/faces.ts benchFrame). Human's detector is its default BlazeFace (the 256x256
 * "back" model), its emotion model a mini-Xception at 64x64; mesh, iris, description,
 * anti-spoofing and every non-face module are off. Run by src/bench/peers.ts; prints one JSON
 * line (protocol in that file).
 *
 *   node --import tsx bench/peers/human.ts --ids infer.faces-full-640x480 [--warmup 3 --timed 10]
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { benchFrame } from '../../src/bench/faces.js';
import { summarize } from '../../src/bench/schema.js';

const require = createRequire(import.meta.url);
// the package's exports map has neither ./package.json nor ./dist/human.node-wasm: find it from its main entry
const humanDir = path.dirname(path.dirname(require.resolve('@vladmandic/human')));
const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
const { Human } = require(path.join(humanDir, 'dist', 'human.node-wasm.js')) as typeof import('@vladmandic/human');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const ids = (arg('--ids') ?? '').split(',').filter((id) => id.startsWith('infer.faces-'));
const plan = arg('--timed') ? { warmup: Number(arg('--warmup') ?? 0), timed: Number(arg('--timed')) } : { warmup: 3, timed: 10 };

// tfjs's graph loader fetches models by URL, and Node's fetch has no file: scheme: serve them on the loopback.
const models = path.join(humanDir, 'models');
const server = http.createServer((req, res) => {
  fs.readFile(path.join(models, path.basename(req.url ?? '')), (e, b) => {
    res.writeHead(e ? 404 : 200);
    res.end(e ? undefined : b);
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;

const human = new Human({
  backend: 'wasm',
  wasmPath: wasmDir,
  modelBasePath: `http://127.0.0.1:${port}/`,
  debug: false,
  face: {
    enabled: true,
    detector: { rotation: false, maxDetected: 20 },
    mesh: { enabled: false },
    iris: { enabled: false },
    description: { enabled: false },
    emotion: { enabled: true },
    antispoof: { enabled: false },
    liveness: { enabled: false },
  },
  body: { enabled: false },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
  filter: { enabled: false },
});
await human.load();
const { frame, source } = benchFrame();
const channels = frame.channels ?? 3;
const rgb = new Int32Array(frame.width * frame.height * 3);
for (let i = 0; i < frame.width * frame.height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = frame.data[i * channels + c]!;
const input = human.tf.tensor4d(rgb, [1, frame.height, frame.width, 3], 'int32');

const rows = [];
for (const id of ids) {
  const times: number[] = [];
  let faces = 0;
  for (let i = 0; i < plan.warmup + plan.timed; i++) {
    const t0 = performance.now();
    const r = await human.detect(input);
    const ms = performance.now() - t0;
    faces = r.face.length;
    if (i >= plan.warmup) times.push(ms);
  }
  rows.push({
    id,
    ...summarize(times), // the median as fer-gpu's own rows take it
    warmup: plan.warmup,
    timed: plan.timed,
    note: `${source}: ${faces} faces found (Human's BlazeFace 256 + emotion; the same for both ranges)`,
  });
}
server.close();
console.log(
  JSON.stringify({
    peer: 'human-wasm',
    version: human.version,
    details: `@vladmandic/human ${human.version}, tfjs ${human.tf.version_core} wasm backend`,
    rows,
  }),
);
