/**
 * Peer: TensorFlow.js's WebGPU backend on the same Dawn adapter as fer-gpu, on the workloads of
 * bench/README.md (conv3x3 forward / backward-input / backward-weight, fer-resnet18 train step
 * and inference). Run by src/bench/peers.ts; prints one JSON line (protocol in that file).
 *
 *   node --import tsx bench/peers/tfjs.ts --ids conv3x3.forward,train.fer-resnet18-16 [--quick] [--warmup 3 --timed 10]
 *
 * Layout is NHWC (TensorFlow's), with explicit padding so shapes match PyTorch's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { create, globals } from 'webgpu';

// dawn.node as navigator.gpu; the object create() returns must stay referenced for the whole run
Object.assign(globalThis, globals);
const gpu = create([]);
(globalThis as unknown as { navigator: { gpu: GPU } }).navigator = { gpu };

const tf = await import('@tensorflow/tfjs-core');
await registerGradients();
await import('@tensorflow/tfjs-backend-webgpu');

/**
 * tfjs-core registers no gradients itself (the @tensorflow/tfjs bundle does), and its
 * register_all_gradients.js is ESM with extensionless imports that Node cannot load: bundle it
 * with esbuild (tsup's) and import the bundle. Its registry and engine are tfjs globals, so the
 * bundled copy registers into the same ones.
 */
async function registerGradients(): Promise<void> {
  const esbuild = await import('esbuild');
  const req = createRequire(import.meta.url);
  const entry = path.join(path.dirname(req.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'register_all_gradients.js');
  const out = esbuild.buildSync({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent' });
  await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.text).toString('base64')}`);
}

interface Plan {
  warmup: number;
  timed: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const ids = (arg('--ids') ?? '').split(',').filter(Boolean);
const quick = process.argv.includes('--quick');
const override: Plan | null = arg('--timed') ? { warmup: Number(arg('--warmup') ?? 0), timed: Number(arg('--timed')) } : null;
/** Quick mode: 1 warm-up + 3 timed, 1 + 2 for slow rows, 1 + 1 for the very slow ones (~40 s a run on llvmpipe). */
const planFor = (speed: 'fast' | 'slow' | 'very slow'): Plan =>
  override ?? (quick ? { warmup: 1, timed: speed === 'fast' ? 3 : speed === 'slow' ? 2 : 1 } : { warmup: 3, timed: 10 });

function log(m: string): void {
  process.stderr.write(`tfjs peer: ${m}\n`);
}

if (!(await tf.setBackend('webgpu'))) {
  console.log(JSON.stringify({ peer: 'tfjs-webgpu', version: null, rows: [], error: 'setBackend(webgpu) failed' }));
  process.exit(1);
}
const backend = tf.backend() as unknown as {
  device: GPUDevice;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  adapterInfo?: { vendor?: string; architecture?: string };
};

/** Waits for every command tfjs has recorded to finish on the GPU. */
async function sync(): Promise<void> {
  backend.ensureCommandEncoderReady(); // (an empty encoder when nothing is pending)
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  id: string;
  median: number;
  min: number;
  max: number;
  warmup: number;
  timed: number;
  note: string;
}
const rows: Row[] = [];
const skipped: Record<string, string> = {};

async function time(id: string, fn: () => void, plan: Plan, note = ''): Promise<void> {
  log(id);
  const times: number[] = [];
  let first = 0;
  for (let i = 0; i < plan.warmup + plan.timed; i++) {
    const t0 = performance.now();
    tf.tidy(fn);
    await sync();
    const ms = performance.now() - t0;
    if (i === 0) first = ms;
    if (i >= plan.warmup) times.push(ms);
  }
  const notes = [note, id.startsWith('train') || id.startsWith('infer') ? `first run ${(first / 1000).toFixed(2)} s` : ''].filter(Boolean);
  rows.push({ id, median: median(times), min: Math.min(...times), max: Math.max(...times), ...plan, note: notes.join('; ') });
}

type T4 = import('@tensorflow/tfjs-core').Tensor4D;
type Var = import('@tensorflow/tfjs-core').Variable;

// ---- conv kernels: N=64, C=K=64, 24x24, 3x3, pad 1, stride 1
const conv = { x: [64, 24, 24, 64] as [number, number, number, number], w: [3, 3, 64, 64] as [number, number, number, number] };
const convIds = ['conv3x3.forward', 'conv3x3.backward-input', 'conv3x3.backward-weight'];
if (ids.some((id) => convIds.includes(id))) {
  const x = tf.randomNormal(conv.x, 0, 1, 'float32', 1) as T4;
  const w = tf.randomNormal(conv.w, 0, 1, 'float32', 2) as T4;
  const dy = tf.randomNormal(conv.x, 0, 1, 'float32', 3) as T4;
  const attrs = { strides: 1, pad: 1, dataFormat: 'NHWC' as const };
  const kernels: Record<string, () => void> = {
    'conv3x3.forward': () => void tf.conv2d(x, w, 1, 1),
    'conv3x3.backward-input': () => void tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: conv.x }),
    'conv3x3.backward-weight': () => void tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: conv.w }),
  };
  for (const id of convIds)
    if (ids.includes(id)) await time(id, kernels[id]!, planFor(id === 'conv3x3.backward-weight' ? 'very slow' : 'fast'), 'NHWC');
}

// ---- fer-resnet18(w) with tf ops (NHWC), the definition of bench/README.md
class ResNet {
  readonly vars: Var[] = [];
  private readonly convs = new Map<string, Var>();
  private readonly bns = new Map<string, { gamma: Var; beta: Var; mean: Var; variance: Var }>();
  private seed = 10;

  constructor(readonly width: number) {
    this.conv('conv1', 1, width, 3);
    this.bn('bn1', width);
    let cin = width;
    [1, 2, 4, 8].forEach((mult, i) => {
      const cout = width * mult;
      for (let b = 0; b < 2; b++) {
        const p = `layer${i + 1}.${b}`;
        const c = b === 0 ? cin : cout;
        this.conv(`${p}.conv1`, c, cout, 3);
        this.bn(`${p}.bn1`, cout);
        this.conv(`${p}.conv2`, cout, cout, 3);
        this.bn(`${p}.bn2`, cout);
        if (b === 0 && (i > 0 || cin !== cout)) {
          this.conv(`${p}.downsample.0`, c, cout, 1);
          this.bn(`${p}.downsample.1`, cout);
        }
      }
      cin = cout;
    });
    const bound = 1 / Math.sqrt(8 * width);
    this.fcW = tf.variable(tf.randomUniform([8 * width, 7], -bound, bound, 'float32', this.seed++));
    this.fcB = tf.variable(tf.randomUniform([7], -bound, bound, 'float32', this.seed++));
    this.vars.push(this.fcW, this.fcB);
  }
  readonly fcW: Var;
  readonly fcB: Var;

  private conv(name: string, cin: number, cout: number, k: number): void {
    // Kaiming normal, fan_out, ReLU
    const v = tf.variable(tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (cout * k * k)), 'float32', this.seed++));
    this.convs.set(name, v);
    this.vars.push(v);
  }

  private bn(name: string, c: number): void {
    const b = {
      gamma: tf.variable(tf.ones([c])),
      beta: tf.variable(tf.zeros([c])),
      mean: tf.variable(tf.zeros([c]), false),
      variance: tf.variable(tf.ones([c]), false),
    };
    this.bns.set(name, b);
    this.vars.push(b.gamma, b.beta);
  }

  private c(name: string, x: T4, stride: number): T4 {
    const w = this.convs.get(name)!;
    return tf.conv2d(x, w as unknown as T4, stride, w.shape[0] === 3 ? 1 : 0);
  }

  /** BatchNorm: batch statistics in training (running ones are not updated: a negligible cost), running ones in eval. */
  private b(name: string, x: T4, training: boolean): T4 {
    const p = this.bns.get(name)!;
    if (!training) return tf.batchNorm(x, p.mean, p.variance, p.beta, p.gamma, 1e-5) as T4;
    const m = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, m.mean, m.variance, p.beta, p.gamma, 1e-5) as T4;
  }

  forward(x: T4, training: boolean): import('@tensorflow/tfjs-core').Tensor2D {
    let y = tf.relu(this.b('bn1', this.c('conv1', x, 1), training));
    for (let i = 0; i < 4; i++) {
      for (let b = 0; b < 2; b++) {
        const p = `layer${i + 1}.${b}`;
        const stride = i > 0 && b === 0 ? 2 : 1;
        const shortcut = this.convs.has(`${p}.downsample.0`)
          ? this.b(`${p}.downsample.1`, this.c(`${p}.downsample.0`, y, stride), training)
          : y;
        const h = tf.relu(this.b(`${p}.bn1`, this.c(`${p}.conv1`, y, stride), training));
        y = tf.relu(tf.add(this.b(`${p}.bn2`, this.c(`${p}.conv2`, h, 1), training), shortcut)) as T4;
      }
    }
    return tf.add(tf.matMul(tf.mean(y, [1, 2]), this.fcW), this.fcB);
  }
}

for (const width of [8, 16, 64]) {
  const trainId = `train.fer-resnet18-${width}`;
  const inferId = `infer.fer-resnet18-${width}`;
  const want = [trainId, inferId].filter((id) => ids.includes(id));
  if (want.length === 0) continue;
  if (width === 64 && quick && !override) {
    for (const id of want)
      skipped[id] = 'skipped in quick mode (fer-resnet18(64) on tfjs-webgpu takes minutes per step on software adapters)';
    continue;
  }
  const model = new ResNet(width);
  if (ids.includes(trainId)) {
    const x = tf.randomNormal([64, 48, 48, 1], 0, 1, 'float32', 4) as T4;
    const labels = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => (i * 5) % 7),
        'int32',
      ),
      7,
    );
    const momentum = model.vars.map((v) => tf.variable(tf.zerosLike(v), false));
    const [lr, mu, wd] = [0.01, 0.9, 5e-4];
    const step = (): void => {
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(labels, model.forward(x, true)) as import('@tensorflow/tfjs-core').Scalar,
        model.vars,
      );
      model.vars.forEach((v, i) => {
        // PyTorch's SGD: g += wd·p; buf = μ·buf + g; p -= lr·buf
        const g = tf.add(grads[v.name]!, tf.mul(v, wd));
        const buf = tf.add(tf.mul(momentum[i]!, mu), g);
        momentum[i]!.assign(buf);
        v.assign(tf.sub(v, tf.mul(buf, lr)));
      });
    };
    await time(trainId, step, planFor('slow'), 'SGD momentum 0.9 wd 5e-4 as tf ops; BN running stats not updated');
  }
  if (ids.includes(inferId)) {
    const x = tf.randomNormal([256, 48, 48, 1], 0, 1, 'float32', 5) as T4;
    await time(inferId, () => void model.forward(x, false), planFor('slow'));
  }
}

for (const id of ids) if (!rows.some((r) => r.id === id) && !skipped[id]) skipped[id] = 'not implemented in the tfjs-webgpu peer';

const req = createRequire(import.meta.url);
const version = (pkg: string): string =>
  (JSON.parse(fs.readFileSync(req.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
const info = backend.adapterInfo;
console.log(
  JSON.stringify({
    peer: 'tfjs-webgpu',
    version: `tfjs-core ${version('@tensorflow/tfjs-core')}, tfjs-backend-webgpu ${version('@tensorflow/tfjs-backend-webgpu')}`,
    details: `adapter ${info?.vendor ?? '?'} ${info?.architecture ?? ''}`.trim(),
    rows,
    skipped,
  }),
);
void gpu;
