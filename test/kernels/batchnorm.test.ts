import { describe, expect, it } from 'vitest';
import goldens from '../goldens/bn-pool-ce.json';
import * as ref from '../../src/kernels/batchnorm/reference.js';
import { batchNorm2d, foldBatchNormIntoConv } from '../../src/kernels/batchnorm/index.js';
import * as ew from '../../src/kernels/elementwise/reference.js';
import * as convRef from '../../src/kernels/conv2d/reference.js';
import { conv2d } from '../../src/kernels/conv2d/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import type { DispatchArgs, Kernel } from '../../src/gpu/kernel.js';
import type { Device } from '../../src/gpu/device.js';
import { expectClose, numericGrad, randn, toGpu, ownDevice, useDevice } from '../helpers.js';

// f32 GPU against the f64 reference. Outputs and gx are O(1) values built from sums over a
// channel (M = N·H·W up to 9,216 terms): 1e-4 covers f32 rounding of those sums. gWeight and
// gBias are themselves sums of M terms of size O(1), so their atol scales with sqrt(M).
const TOL = { atol: 1e-4, rtol: 1e-4 };
const sumTol = (m: number) => ({ atol: 2e-5 * Math.sqrt(m), rtol: 1e-4 });

const SHAPES = [
  [1, 3, 5, 7], // batch 1, odd spatial size, channels not a multiple of 4
  [4, 5, 3, 3],
  [3, 2, 1, 1], // 1x1 maps: statistics over the batch only
  [16, 64, 24, 24], // a ResNet-18 layer1 shape on 48x48 faces with a stride-2 stem
  [20, 3, 24, 24], // the partial sums over 3 groups of images (7, 7, 6)
];

/** Per-channel affine parameters and running estimates, seeded. */
function channelParams(C: number, seed: number) {
  return {
    weight: randn([C], seed, 0.5).map((v) => 1 + v),
    bias: randn([C], seed + 1, 0.5),
    runningMean: randn([C], seed + 2, 0.3),
    runningVar: randn([C], seed + 3).map((v) => 0.5 + v * v),
  };
}

/** Shifted, scaled data so that |mean| > std: catches one-pass variance formulas. */
const data = (shape: number[], seed: number) => randn(shape, seed, 2).map((v) => v + 3);

/**
 * relu?(batchNorm2d(x) + r?) fused in one op against the unfused reference composition, forward
 * and every gradient (x, weight, bias, residual).
 */
async function checkFused(d: Device, shape: number[], fuse: { relu?: boolean; residual?: boolean }): Promise<void> {
  const C = shape[1]!;
  const m = shape[0]! * shape[2]! * shape[3]!;
  const p = channelParams(C, 80);
  const xCpu = data(shape, 81);
  const rCpu = randn(shape, 82, 2);
  const gy = randn(shape, 83);
  const [x, r] = [toGpu(d, xCpu, true), toGpu(d, rCpu, true)];
  const [weight, bias] = [toGpu(d, p.weight, true), toGpu(d, p.bias, true)];
  const opts = { training: true, momentum: 0.2 };
  const y = batchNorm2d(x, {
    weight,
    bias,
    runningMean: toGpu(d, p.runningMean),
    runningVar: toGpu(d, p.runningVar),
    ...opts,
    relu: fuse.relu,
    residual: fuse.residual ? r : null,
  });
  // Reference: the unfused composition relu?(bn(x) + r?).
  const bn = ref.batchNorm2d(xCpu, { ...p, ...opts });
  const pre = fuse.residual ? ew.add(bn, rCpu) : bn;
  const yRef = fuse.relu ? ew.relu(pre) : pre;
  expectClose(await y.toArray(), yRef, { ...TOL, what: 'forward' });
  y.backward(toGpu(d, gy));
  const gPre = fuse.relu ? ew.reluBackward(gy, yRef) : gy;
  const gRef = ref.batchNorm2dBackward(gPre, xCpu, { ...p, ...opts });
  expectClose(await x.grad!.toArray(), gRef.gx, { ...TOL, what: 'gx' });
  expectClose(await weight.grad!.toArray(), gRef.gWeight, { ...sumTol(m), what: 'gWeight' });
  expectClose(await bias.grad!.toArray(), gRef.gBias, { ...sumTol(m), what: 'gBias' });
  if (fuse.residual) expectClose(await r.grad!.toArray(), gPre, { ...TOL, what: 'gResidual' });
  else expect(r.grad).toBeNull();
}

describe('batchNorm2d', () => {
  const device = useDevice();

  for (const shape of SHAPES) {
    it(`training: 2 steps of forward, backward and running stats on [${shape}]`, async () => {
      const d = device();
      const C = shape[1]!;
      const m = shape[0]! * shape[2]! * shape[3]!;
      const p = channelParams(C, 10);
      const weight = toGpu(d, p.weight, true);
      const bias = toGpu(d, p.bias, true);
      const runningMean = toGpu(d, p.runningMean);
      const runningVar = toGpu(d, p.runningVar);
      for (const step of [1, 2]) {
        const xCpu = data(shape, 20 + step);
        const x = toGpu(d, xCpu, true);
        weight.grad?.dispose();
        bias.grad?.dispose();
        weight.grad = bias.grad = null;
        const opts = { training: true, momentum: 0.2 };
        const y = batchNorm2d(x, { weight, bias, runningMean, runningVar, ...opts });
        // The reference updates p.runningMean/p.runningVar in place, as the GPU op does.
        const yRef = ref.batchNorm2d(xCpu, { ...p, ...opts });
        expectClose(await y.toArray(), yRef, { ...TOL, what: `step ${step} forward` });
        expectClose(await runningMean.toArray(), p.runningMean, { ...TOL, what: `step ${step} runningMean` });
        expectClose(await runningVar.toArray(), p.runningVar, { ...TOL, what: `step ${step} runningVar` });
        const gy = randn(shape, 30 + step);
        y.backward(toGpu(d, gy));
        const gRef = ref.batchNorm2dBackward(gy, xCpu, { ...p, ...opts });
        expectClose(await x.grad!.toArray(), gRef.gx, { ...TOL, what: `step ${step} gx` });
        expectClose(await weight.grad!.toArray(), gRef.gWeight, { ...sumTol(m), what: `step ${step} gWeight` });
        expectClose(await bias.grad!.toArray(), gRef.gBias, { ...sumTol(m), what: `step ${step} gBias` });
      }
    });
  }

  it('eval mode uses the running statistics and leaves them unchanged', async () => {
    const d = device();
    const shape = [2, 5, 3, 4];
    const p = channelParams(5, 40);
    const xCpu = data(shape, 41);
    const x = toGpu(d, xCpu, true);
    const weight = toGpu(d, p.weight, true);
    const bias = toGpu(d, p.bias, true);
    const runningMean = toGpu(d, p.runningMean);
    const runningVar = toGpu(d, p.runningVar);
    const y = batchNorm2d(x, { weight, bias, runningMean, runningVar, eps: 1e-3 });
    expectClose(await y.toArray(), ref.batchNorm2d(xCpu, { ...p, eps: 1e-3 }), { ...TOL, what: 'eval forward' });
    expectClose(await runningMean.toArray(), p.runningMean, { atol: 0, rtol: 0, what: 'runningMean unchanged' });
    const gy = randn(shape, 42);
    y.backward(toGpu(d, gy));
    const gRef = ref.batchNorm2dBackward(gy, xCpu, { ...p, eps: 1e-3 });
    // In eval mode gx is just g·weight/sqrt(runningVar + eps).
    const direct = gy.map((g, i) => {
      const c = Math.floor(i / 12) % 5;
      return (g * p.weight.data[c]!) / Math.sqrt(p.runningVar.data[c]! + 1e-3);
    });
    expectClose(gRef.gx.data, direct, { atol: 1e-12, rtol: 1e-12, what: 'eval gx reference' });
    expectClose(await x.grad!.toArray(), gRef.gx, { ...TOL, what: 'eval gx' });
    expectClose(await weight.grad!.toArray(), gRef.gWeight, { ...sumTol(24), what: 'eval gWeight' });
    expectClose(await bias.grad!.toArray(), gRef.gBias, { ...sumTol(24), what: 'eval gBias' });
  });

  it('affine=false and no running statistics (training)', async () => {
    const d = device();
    const shape = [3, 6, 2, 5];
    const xCpu = data(shape, 50);
    const x = toGpu(d, xCpu, true);
    const y = batchNorm2d(x, { training: true });
    expectClose(await y.toArray(), ref.batchNorm2d(xCpu, { training: true }), { ...TOL, what: 'forward' });
    const gy = randn(shape, 51);
    y.backward(toGpu(d, gy));
    expectClose(await x.grad!.toArray(), ref.batchNorm2dBackward(gy, xCpu, { training: true }).gx, { ...TOL, what: 'gx' });
  });

  it('training output has per-channel mean 0 and variance 1', async () => {
    const d = device();
    const y = await batchNorm2d(toGpu(d, data([4, 3, 5, 5], 60)), { training: true, eps: 1e-12 }).toArray();
    for (let c = 0; c < 3; c++) {
      let s = 0;
      let q = 0;
      for (let n = 0; n < 4; n++) for (let k = 0; k < 25; k++) s += y[(n * 3 + c) * 25 + k]!;
      for (let n = 0; n < 4; n++) for (let k = 0; k < 25; k++) q += (y[(n * 3 + c) * 25 + k]! - s / 100) ** 2;
      expect(Math.abs(s / 100)).toBeLessThan(1e-5);
      expect(q / 100).toBeCloseTo(1, 4);
    }
  });

  it('matches PyTorch (F.batch_norm goldens: 2 training steps, then eval)', async () => {
    const d = device();
    const golden = goldens.batchNorm2d as any; // read loosely, as JSON.parse gave it
    const shape: number[] = golden.shape;
    const C = shape[1]!;
    const cpu = (a: number[], s: number[] = [C]) => CpuTensor.from(a, s);
    const p = {
      weight: cpu(golden.weight),
      bias: cpu(golden.bias),
      runningMean: cpu(golden.runningMean),
      runningVar: cpu(golden.runningVar),
    };
    const gpu = {
      weight: toGpu(d, p.weight, true),
      bias: toGpu(d, p.bias, true),
      runningMean: toGpu(d, p.runningMean),
      runningVar: toGpu(d, p.runningVar),
    };
    const EXACT = { atol: 1e-10, rtol: 1e-10 };
    const steps = [...golden.steps.map((s: object) => ({ ...s, training: true })), { ...golden.eval, training: false }];
    for (const [k, step] of steps.entries()) {
      const opts = { training: step.training, momentum: golden.momentum, eps: golden.eps };
      const x = cpu(step.x, shape);
      const gy = cpu(step.gy, shape);
      const what = `step ${k} (training=${step.training})`;
      expectClose(ref.batchNorm2d(x, { ...p, ...opts }).data, step.y, { ...EXACT, what: `${what} reference y` });
      const gRef = ref.batchNorm2dBackward(gy, x, { ...p, ...opts });
      expectClose(gRef.gx.data, step.gx, { ...EXACT, what: `${what} reference gx` });
      expectClose(gRef.gWeight.data, step.gWeight, { ...EXACT, what: `${what} reference gWeight` });
      const xg = toGpu(d, x, true);
      for (const t of [gpu.weight, gpu.bias]) {
        t.grad?.dispose();
        t.grad = null;
      }
      const y = batchNorm2d(xg, { ...gpu, ...opts });
      expectClose(await y.toArray(), step.y, { ...TOL, what: `${what} y` });
      y.backward(toGpu(d, gy));
      expectClose(await xg.grad!.toArray(), step.gx, { ...TOL, what: `${what} gx` });
      expectClose(await gpu.weight.grad!.toArray(), step.gWeight, { ...TOL, what: `${what} gWeight` });
      expectClose(await gpu.bias.grad!.toArray(), step.gBias, { ...TOL, what: `${what} gBias` });
      if (step.training) {
        expectClose(p.runningVar.data, step.runningVar, { ...EXACT, what: `${what} reference runningVar` });
        expectClose(await gpu.runningMean.toArray(), step.runningMean, { ...TOL, what: `${what} runningMean` });
        expectClose(await gpu.runningVar.toArray(), step.runningVar, { ...TOL, what: `${what} runningVar` });
      }
    }
  });

  it('frees its saved statistics after backward, or at once without grad', async () => {
    const d = await ownDevice();
    const x = d.zeros([2, 3, 4, 4], { requiresGrad: true });
    const [weight, bias] = [d.zeros([3], { requiresGrad: true }), d.zeros([3], { requiresGrad: true })];
    const before = d.memory().bytesInUse;
    d.noGrad(() => batchNorm2d(x, { training: true })).dispose();
    expect(d.memory().bytesInUse).toBe(before);
    const y = batchNorm2d(x, { weight, bias, training: true });
    const gy = d.zeros(y.shape);
    y.backward(gy);
    for (const t of [y, gy, x.grad!, weight.grad!, bias.grad!]) t.dispose();
    expect(d.memory().bytesInUse).toBe(before);
  });

  // [2, 5, 3, 3]: H·W = 9, the scalar kernels; [3, 4, 6, 6]: the vec4 kernels.
  for (const shape of [
    [2, 5, 3, 3],
    [3, 4, 6, 6],
  ]) {
    for (const fuse of [{ relu: true }, { residual: true }, { relu: true, residual: true }]) {
      it(`fused ${JSON.stringify(fuse)} equals batchNorm2d then add/relu, forward and backward, on [${shape}]`, () =>
        checkFused(device(), shape, fuse));
    }
  }

  for (const convBias of [false, true]) {
    it(`foldBatchNormIntoConv: conv with folded weights equals conv then eval batch norm (conv bias ${convBias})`, async () => {
      const d = device();
      const [K, C] = [6, 3];
      const p = channelParams(K, 90);
      const xCpu = randn([2, C, 7, 7], 91);
      const wCpu = randn([K, C, 3, 3], 92, 0.3);
      const bCpu = randn([K], 93);
      const yRef = ref.batchNorm2d(convRef.conv2d(xCpu, wCpu, { padding: 1, stride: 2, bias: convBias ? bCpu : undefined }), {
        ...p,
        eps: 1e-3,
      });
      const f = foldBatchNormIntoConv(toGpu(d, wCpu), convBias ? toGpu(d, bCpu) : null, {
        weight: toGpu(d, p.weight),
        bias: toGpu(d, p.bias),
        runningMean: toGpu(d, p.runningMean),
        runningVar: toGpu(d, p.runningVar),
        eps: 1e-3,
      });
      const y = conv2d(toGpu(d, xCpu), f.weight, { bias: f.bias, padding: 1, stride: 2 });
      expectClose(await y.toArray(), yRef, { ...TOL, what: 'folded conv' });
    });
  }

  // CPU adapters reduce in workgroups of 8 invocations, GPUs in 64 (reduceLanes): run the GPU
  // kinds' kernels here too, by making the device look like a GPU for the op.
  it("the GPU adapters' reductions (64 invocations per workgroup) equal the reference, fused forward and backward", async () => {
    const d = device();
    const info = d.info;
    const partials: string[] = []; // the partial-sum kernels' workgroup sizes
    const dispatch = d.dispatch;
    Object.assign(d, {
      info: { ...info, device: 'gpu', description: 'a GPU', architecture: 'gpu' },
      dispatch: (k: Kernel, args: DispatchArgs) => {
        if (k.name.includes('Partials')) partials.push(/@workgroup_size\((\d+)\)/.exec(k.code)![1]!);
        dispatch.call(d, k, args);
      },
    });
    try {
      await checkFused(d, [20, 3, 24, 24], { relu: true, residual: true });
      expect(partials).toEqual(['64', '64']);
    } finally {
      Object.assign(d, { info });
      Reflect.deleteProperty(d, 'dispatch');
    }
  });

  it('backward references agree with finite differences', () => {
    const shape = [2, 3, 2, 3];
    const p = channelParams(3, 70);
    const x = data(shape, 71);
    const gy = randn(shape, 72);
    const tol = { atol: 1e-6, rtol: 1e-5 };
    for (const training of [true, false]) {
      // Without running stats in training mode, so that the finite differences do not update them.
      const opts = training ? { weight: p.weight, bias: p.bias, training } : { ...p, training };
      const g = ref.batchNorm2dBackward(gy, x, opts);
      expectClose(
        g.gx.data,
        numericGrad((t) => ref.batchNorm2d(t, opts), x, gy),
        { ...tol, what: `gx training=${training}` },
      );
      expectClose(
        g.gWeight.data,
        numericGrad((w) => ref.batchNorm2d(x, { ...opts, weight: w }), p.weight, gy),
        { ...tol, what: 'gWeight' },
      );
      expectClose(
        g.gBias.data,
        numericGrad((b) => ref.batchNorm2d(x, { ...opts, bias: b }), p.bias, gy),
        { ...tol, what: 'gBias' },
      );
    }
  });

  it('rejects bad inputs, naming the argument and the shapes', () => {
    const d = device();
    const x = d.zeros([2, 3, 4, 4]);
    const c3 = d.zeros([3]);
    expect(() => batchNorm2d(d.zeros([2, 3, 4]), { training: true })).toThrow(/batchNorm2d: input must be 4-D .*\[2, 3, 4\]/);
    expect(() => batchNorm2d(x, { weight: d.zeros([4]), bias: c3, training: true })).toThrow(
      /weight must have shape \[3\] for input \[2, 3, 4, 4\], got \[4\]/,
    );
    expect(() => batchNorm2d(x, { weight: c3, training: true })).toThrow(/both weight and bias/);
    expect(() => batchNorm2d(x, { runningMean: c3, training: true })).toThrow(/both runningMean and runningVar/);
    expect(() => batchNorm2d(x)).toThrow(/eval mode .* needs runningMean/);
    expect(() => batchNorm2d(d.zeros([1, 3, 1, 1]), { training: true })).toThrow(/more than 1 value per channel/);
    expect(() => batchNorm2d(x, { training: true, momentum: 2 })).toThrow(/momentum/);
    expect(() => batchNorm2d(x, { training: true, residual: d.zeros([2, 3, 4, 5]) })).toThrow(
      /residual must have the input's shape \[2, 3, 4, 4\], got \[2, 3, 4, 5\]/,
    );
    expect(() => foldBatchNormIntoConv(d.zeros([4, 3, 3, 3]), null, { weight: c3, bias: c3, runningMean: c3, runningVar: c3 })).toThrow(
      /weight must have shape \[4\] for conv weight \[4, 3, 3, 3\], got \[3\]/,
    );
  });
});
