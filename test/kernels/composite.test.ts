/**
 * A composite chain conv → BN → addRelu → maxPool → globalAvgPool → linear → crossEntropy,
 * on the GPU with autograd against the same chain of CPU references (forward, backward by hand),
 * the CPU chain against finite differences, and a long run of steps with flat GPU memory.
 */
import { describe, expect, it } from 'vitest';
import * as ops from '../../src/ops.js';
import * as R from '../../src/reference/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import { expectClose, randn, toGpu, ownDevice, useDevice } from '../helpers.js';

const N = 3,
  C = 5,
  H = 9,
  W = 7,
  K = 4; // odd sizes, channels not a multiple of 4
const targets = [1, 3, 0];
const convOpts = { stride: 1, padding: 1 };
const pool = { kernelSize: 2, stride: 2 };

function cpuChain(p: Record<string, CpuTensor>) {
  const y1 = R.conv2d(p.x!, p.w!, convOpts);
  const bn = { weight: p.gamma!, bias: p.beta!, training: true };
  const y2 = R.batchNorm2d(y1, bn);
  const y3 = R.addRelu(y2, p.x!); // residual join (C in = C out)
  const y4 = R.maxPool2d(y3, pool);
  const y5 = R.globalAvgPool2d(y4);
  const logits = R.linear(y5, p.fcW!, p.fcB!);
  const loss = R.crossEntropy(logits, targets);
  return { y1, y2, y3, y4, y5, logits, loss, bn };
}

function cpuGrads(p: Record<string, CpuTensor>) {
  const f = cpuChain(p);
  const gLogits = R.crossEntropyBackward(CpuTensor.from([1], []), f.logits, targets);
  const lin = R.linearBackward(gLogits, f.y5, p.fcW!);
  const g4 = R.globalAvgPool2dBackward(lin.gx, f.y4);
  const g3 = R.maxPool2dBackward(g4, f.y3, pool);
  const gSum = R.reluBackward(g3, f.y3); // flows to y2 and to the skip (x)
  const bn = R.batchNorm2dBackward(gSum, f.y1, f.bn);
  const gx = R.conv2dBackwardInput(bn.gx, p.w!, p.x!.shape, convOpts);
  return {
    loss: f.loss.data[0]!,
    x: gx.map((v, i) => v + gSum.data[i]!),
    w: R.conv2dBackwardWeight(bn.gx, p.x!, p.w!.shape, convOpts),
    gamma: bn.gWeight,
    beta: bn.gBias,
    fcW: lin.gweight,
    fcB: lin.gbias,
  };
}

function params(): Record<string, CpuTensor> {
  return {
    x: randn([N, C, H, W], 1),
    w: randn([C, C, 3, 3], 2, 0.3),
    gamma: randn([C], 3, 0.2).map((v) => 1 + v),
    beta: randn([C], 4, 0.2),
    fcW: randn([K, C], 5, 0.5),
    fcB: randn([K], 6, 0.1),
  };
}

describe('composite chain', () => {
  const device = useDevice();

  it('GPU autograd equals the CPU reference chain (loss and every gradient)', async () => {
    const d = device();
    const p = params();
    const g = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, toGpu(d, v, true)]));
    const y = ops.conv2d(g.x!, g.w!, convOpts);
    const z = ops.batchNorm2d(y, { weight: g.gamma!, bias: g.beta!, training: true });
    const r = ops.addRelu(z, g.x!);
    const logits = ops.linear(ops.globalAvgPool2d(ops.maxPool2d(r, pool)), g.fcW!, g.fcB!);
    const loss = ops.crossEntropy(logits, targets);
    loss.backward();
    const expected = cpuGrads(p);
    expect(await loss.item()).toBeCloseTo(expected.loss, 5);
    for (const k of Object.keys(p)) {
      expectClose(await g[k]!.grad!.toArray(), (expected as unknown as Record<string, CpuTensor>)[k]!, {
        atol: 2e-5,
        rtol: 1e-3,
        what: `grad ${k}`,
      });
    }
  });

  it('the CPU chain backward agrees with central finite differences in f64', () => {
    const p = params();
    const grads = cpuGrads(p) as unknown as Record<string, CpuTensor>;
    const eps = 1e-6;
    for (const k of ['x', 'w', 'gamma', 'fcW']) {
      const t = p[k]!;
      for (const i of [0, Math.floor(t.size / 2), t.size - 1]) {
        const v = t.data[i]!;
        t.data[i] = v + eps;
        const lp = cpuChain(p).loss.data[0]!;
        t.data[i] = v - eps;
        const lm = cpuChain(p).loss.data[0]!;
        t.data[i] = v;
        expect(grads[k]!.data[i]!, `${k}[${i}]`).toBeCloseTo((lp - lm) / (2 * eps), 6);
      }
    }
  });

  it('1,000 forward/backward steps leave bytesInUse flat and create no buffers after the first', async () => {
    const d = await ownDevice();
    const p = params();
    const g = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, toGpu(d, v, true)]));
    const step = () =>
      d.tidy(() => {
        const r = ops.addRelu(ops.batchNorm2d(ops.conv2d(g.x!, g.w!, convOpts), { weight: g.gamma!, bias: g.beta!, training: true }), g.x!);
        ops.crossEntropy(ops.linear(ops.globalAvgPool2d(ops.maxPool2d(r, pool)), g.fcW!, g.fcB!), targets).backward();
        for (const t of Object.values(g)) {
          t.grad?.dispose();
          t.grad = null;
        }
        d.flush();
      });
    step();
    await d.sync();
    const before = d.memory();
    for (let i = 0; i < 1000; i++) step();
    await d.sync();
    const after = d.memory();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.buffersCreated).toBe(before.buffersCreated);
  });
});
