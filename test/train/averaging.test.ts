import { describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { BatchNorm2d } from '../../src/nn/layers.js';
import { SGD, reference as ref } from '../../src/optim/index.js';
import { crossEntropy } from '../../src/kernels/cross-entropy/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import { Rng } from '../../src/random.js';
import { ModelEma, batchNorms, recalibrateBatchNorm } from '../../src/train/averaging.js';
import type { StateDict } from '../../src/nn/module.js';
import { expectClose, useDevice } from '../helpers.js';

const f32s = (e: StateDict[string]) => Float64Array.from(e.data as Float32Array);

describe('weight averaging', () => {
  const device = useDevice();

  /** Three SGD steps of fer-resnet18(4) on random batches, with an EMA updated after each. */
  async function trainWithEma(averageBuffers: boolean) {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 1 });
    const ema = new ModelEma(model, ferResNet18(d, { width: 4, seed: 99 }), { decay: 0.8, averageBuffers });
    const initial = await ema.model.stateDict();
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const rng = new Rng(3);
    const snapshots: StateDict[] = [];
    for (let step = 0; step < 3; step++) {
      const x = d.tensor(rng.normals(8 * 48 * 48), [8, 1, 48, 48]);
      const labels = Int32Array.from({ length: 8 }, () => rng.int(7));
      d.tidy(() => {
        crossEntropy(model.forward(x), labels).backward();
        opt.step();
        opt.zeroGrad();
        ema.update();
      });
      x.dispose();
      snapshots.push(await model.stateDict());
    }
    opt.dispose();
    return { d, model, ema, initial, snapshots };
  }

  it('ModelEma averages parameters and batch-norm statistics as the CPU reference does', async () => {
    const { model, ema, snapshots } = await trainWithEma(true);
    const averaged = await ema.model.stateDict();
    expect(ema.updates).toBe(3);
    let checked = 0;
    for (const [name, entry] of Object.entries(averaged)) {
      if (entry.dtype !== 'F32') {
        // num_batches_tracked follows the trained model's
        expect(entry.data).toEqual(snapshots[2]![name]!.data);
        continue;
      }
      const avg = new CpuTensor(new Float64Array(entry.data.length), entry.shape);
      snapshots.forEach((s, i) => ref.emaStep(avg, new CpuTensor(f32s(s[name]!), entry.shape), 0.8, i === 0));
      expectClose(entry.data as Float32Array, avg, { atol: 1e-6, rtol: 1e-5, what: name });
      checked++;
    }
    expect(checked).toBe(ema.names.length);
    expect(ema.names).toContain('bn1.running_mean');
    model.dispose();
    ema.dispose();
  });

  it('with averageBuffers false, leaves the running statistics alone', async () => {
    const { model, ema, initial, snapshots } = await trainWithEma(false);
    const averaged = await ema.model.stateDict();
    expect(ema.names.some((n) => n.includes('running'))).toBe(false);
    expect(Array.from(averaged['layer2.0.bn1.running_var']!.data as Float32Array)).toEqual(
      Array.from(initial['layer2.0.bn1.running_var']!.data as Float32Array),
    );
    // ...while the parameters move
    expect(Array.from(averaged['conv1.weight']!.data as Float32Array)).not.toEqual(
      Array.from(initial['conv1.weight']!.data as Float32Array),
    );
    expect(snapshots.length).toBe(3);
    model.dispose();
    ema.dispose();
  });

  it('saves and restores the average (its state dict and state()), and checks the decay', async () => {
    const { d, model, ema } = await trainWithEma(true);
    const tensors = await ema.model.stateDict();
    const again = new ModelEma(model, ferResNet18(d, { width: 4, seed: 5 }), { decay: 0.8 });
    again.load(tensors, ema.state());
    expect(again.updates).toBe(3);
    const a = await ema.model.stateDict();
    const b = await again.model.stateDict();
    for (const k of Object.keys(a)) expect(Array.from(b[k]!.data as Float32Array), k).toEqual(Array.from(a[k]!.data as Float32Array));
    const other = new ModelEma(model, ferResNet18(d, { width: 4 }), { decay: 0.99 });
    expect(() => other.load(tensors, ema.state(), 'run/checkpoint.safetensors')).toThrow(
      /run\/checkpoint\.safetensors: the EMA was made with decay 0\.8, not 0\.99/,
    );
    const { ['fc.bias']: _dropped, ...missing } = tensors;
    expect(() => again.load(missing, ema.state())).toThrow(/no EMA tensor 'fc\.bias'/);
    for (const m of [model]) m.dispose();
    for (const e of [ema, again, other]) e.dispose();
  });

  it('recalibrateBatchNorm: running statistics become the equal-weight average of the batch statistics', async () => {
    const d = device();
    const bn = new BatchNorm2d(d, 3).eval();
    const rng = new Rng(11);
    const [N, C, H, W] = [4, 3, 5, 6];
    const batches = [0, 1, 2, 3, 4].map((t) => Float32Array.from(rng.normals(N * C * H * W, t, 1 + t)));
    let served = 0;
    function* loader() {
      for (const x of batches) {
        served++;
        yield { images: d.tensor(x, [N, C, H, W]) };
      }
    }
    expect(recalibrateBatchNorm(bn, loader(), { batches: 3 })).toBe(3);
    expect(served).toBe(3); // no batch drawn past the limit
    const mean = new Float64Array(C);
    const variance = new Float64Array(C);
    for (const x of batches.slice(0, 3)) {
      for (let c = 0; c < C; c++) {
        const v: number[] = [];
        for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) v.push(x[(n * C + c) * H * W + i]!);
        const m = v.reduce((s, a) => s + a, 0) / v.length;
        mean[c]! += m / 3;
        variance[c]! += v.reduce((s, a) => s + (a - m) ** 2, 0) / (v.length - 1) / 3;
      }
    }
    expectClose(await bn.runningMean.toArray(), mean, { atol: 1e-5, rtol: 1e-5, what: 'running mean' });
    expectClose(await bn.runningVar.toArray(), variance, { atol: 1e-5, rtol: 1e-5, what: 'running var' });
    expect(bn.numBatchesTracked).toBe(3);
    expect(bn.training).toBe(false); // mode restored
    expect(bn.options.momentum).toBeUndefined(); // momentum restored
    bn.dispose();
  });

  it('recalibrateBatchNorm on fer-resnet18: the old statistics do not matter, and bn1 sees conv1 outputs', async () => {
    const d = device();
    const rng = new Rng(12);
    const xs = [0, 1].map(() => Float32Array.from(rng.normals(6 * 48 * 48)));
    const batches = () => xs.map((x) => ({ images: d.tensor(x, [6, 1, 48, 48]) }));
    const model = ferResNet18(d, { width: 4, seed: 2 });
    recalibrateBatchNorm(model, batches());
    const first = await model.stateDict();
    // scramble every running statistic, then recalibrate again on the same batches
    for (const bn of batchNorms(model)) {
      d.fill(bn.runningMean, 5);
      d.fill(bn.runningVar, 7);
    }
    expect(model.training).toBe(true);
    model.eval();
    recalibrateBatchNorm(model, batches());
    expect(model.training).toBe(false);
    const second = await model.stateDict();
    for (const k of Object.keys(first).filter((n) => /running_(mean|var)$/.test(n))) {
      expectClose(second[k]!.data as Float32Array, first[k]!.data as Float32Array, { atol: 1e-5, rtol: 1e-5, what: k });
    }
    // bn1's running mean: the mean over batches of conv1's per-channel output means
    const expected = new Float64Array(4);
    for (const x of xs) {
      const images = d.tensor(x, [6, 1, 48, 48]);
      const y = await d.noGrad(() => model.conv1.forward(images)).toArray();
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let n = 0; n < 6; n++) for (let i = 0; i < 48 * 48; i++) s += y[(n * 4 + c) * 48 * 48 + i]!;
        expected[c]! += s / (6 * 48 * 48) / xs.length;
      }
    }
    expectClose(second['bn1.running_mean']!.data as Float32Array, expected, { atol: 1e-5, rtol: 1e-4, what: 'bn1.running_mean' });
    expect(() => recalibrateBatchNorm(model, [])).toThrow(/no batches/);
    model.dispose();
  });
});
