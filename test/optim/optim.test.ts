import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm, reference as ref, SGD, type Optimizer, type AdamWOptions, type SgdOptions } from '../../src/optim/index.js';
import { add, relu } from '../../src/kernels/elementwise/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import type { Device } from '../../src/gpu/device.js';
import type { Tensor } from '../../src/tensor.js';
import { expectClose, randn, toGpu, ownDevice, useDevice } from '../helpers.js';

const SIZES = [1, 7, 1000, 4097];
const STEPS = 3;
// f32 GPU against the f64 reference over a few steps: parameters are O(1), each step adds a few
// f32 roundings of O(lr) terms.
const REF_TOL = { atol: 2e-6, rtol: 2e-6 };
// Against PyTorch's own f32 results (the brief's 1e-6), allowing for fused multiply-adds.
const TORCH_TOL = { atol: 1e-6, rtol: 1e-6 };

/** Every valid combination of options, each a partial options object. */
function combos<T>(axes: { [K in keyof T]: readonly T[K][] }, valid: (o: T) => boolean): T[] {
  let out: Array<Partial<T>> = [{}];
  for (const key of Object.keys(axes) as Array<keyof T>) {
    out = out.flatMap((o) => axes[key].map((v) => ({ ...o, [key]: v })));
  }
  return (out as T[]).filter(valid);
}

/** Replaces p.grad with an upload of g (the old grad is disposed). */
function setGrad(d: Device, p: Tensor, g: CpuTensor | null): void {
  p.grad?.dispose();
  p.grad = g ? toGpu(d, g) : null;
}

describe('optim', () => {
  const device = useDevice();

  it('SGD matches the CPU reference for every option combination on odd sizes', async () => {
    const d = device();
    const all = combos<Omit<SgdOptions, 'lr'>>(
      { momentum: [0, 0.9], dampening: [0, 0.3], nesterov: [false, true], weightDecay: [0, 0.01], maximize: [false, true] },
      (o) => (o.momentum !== 0 || (o.dampening === 0 && !o.nesterov)) && !(o.nesterov && o.dampening !== 0),
    );
    expect(all.length).toBe(16);
    for (const [c, o] of all.entries()) {
      const options: SgdOptions = { lr: 0.1, ...o };
      const cpu = SIZES.map((n, k) => randn([n], 100 * c + k));
      const params = cpu.map((t) => toGpu(d, t, true));
      const opt = new SGD(params, options);
      const states = cpu.map(() => ({ momentumBuffer: null }) as ref.SgdReferenceState);
      for (let s = 0; s < STEPS; s++) {
        cpu.forEach((p, k) => {
          const g = randn([p.size], 1000 * c + 10 * s + k);
          setGrad(d, params[k]!, g);
          ref.sgdStep(p, g, states[k]!, options);
        });
        opt.step();
      }
      for (const [k, p] of params.entries()) {
        expectClose(await p.toArray(), cpu[k]!, { ...REF_TOL, what: `SGD ${JSON.stringify(o)} param of size ${SIZES[k]}` });
      }
      opt.dispose();
      params.forEach((p) => p.dispose());
    }
  });

  it('AdamW matches the CPU reference for every option combination on odd sizes', async () => {
    const d = device();
    const all = combos<Omit<AdamWOptions, 'lr'>>(
      {
        amsgrad: [false, true],
        weightDecay: [0, 0.01],
        maximize: [false, true],
        betas: [
          [0.9, 0.999],
          [0.8, 0.99],
        ],
        eps: [1e-8],
      },
      () => true,
    );
    for (const [c, o] of all.entries()) {
      const options: AdamWOptions = { lr: 0.01, ...o };
      const cpu = SIZES.map((n, k) => randn([n], 100 * c + k));
      const params = cpu.map((t) => toGpu(d, t, true));
      const opt = new AdamW(params, options);
      const states = cpu.map(() => ref.adamwState());
      for (let s = 0; s < STEPS; s++) {
        cpu.forEach((p, k) => {
          const g = randn([p.size], 1000 * c + 10 * s + k, [3, 0.1, 1][s]); // varying scale: amsgrad's max matters
          setGrad(d, params[k]!, g);
          ref.adamwStep(p, g, states[k]!, options);
        });
        opt.step();
      }
      for (const [k, p] of params.entries()) {
        expectClose(await p.toArray(), cpu[k]!, { ...REF_TOL, what: `AdamW ${JSON.stringify(o)} param of size ${SIZES[k]}` });
      }
      opt.dispose();
      params.forEach((p) => p.dispose());
    }
  });

  describe('against PyTorch (test/goldens/optim.json from scripts/goldens/optim.py)', () => {
    interface Case {
      options: Record<string, unknown> & { lr: number };
      lrs: number[];
      params: number[][];
      grads: Array<Array<number[] | null>>;
      expected: number[][];
    }
    const golden = JSON.parse(readFileSync(new URL('../goldens/optim.json', import.meta.url), 'utf8')) as {
      sgd: Case[];
      adamw: Case[];
      clip: Array<{ grads: number[][]; maxNorm: number; normType: number | 'Infinity'; total: number; clipped: number[][] }>;
    };

    for (const [name, cases, make] of [
      ['SGD', golden.sgd, (ps: Tensor[], o: Case['options']) => new SGD(ps, o)],
      ['AdamW', golden.adamw, (ps: Tensor[], o: Case['options']) => new AdamW(ps, o)],
    ] as const) {
      it(`${name}: 3 steps with a grad-less param and an lr change, for ${cases.length} configurations`, async () => {
        const d = device();
        for (const c of cases) {
          const params = c.params.map((v) => d.tensor(v, [v.length], { requiresGrad: true }));
          const opt = make(params, c.options);
          c.lrs.forEach((lr, s) => {
            opt.lr = lr;
            params.forEach((p, k) => setGrad(d, p, c.grads[s]![k] ? CpuTensor.from(c.grads[s]![k]!, [p.size]) : null));
            opt.step();
          });
          for (const [k, p] of params.entries()) {
            expectClose(await p.toArray(), c.expected[k]!, { ...TORCH_TOL, what: `${name} ${JSON.stringify(c.options)} param ${k}` });
          }
          opt.dispose();
          params.forEach((p) => p.dispose());
        }
      });
    }

    it(`clipGradNorm matches clip_grad_norm_ (norms 2, 1, inf, 3; clipping and not)`, async () => {
      const d = device();
      for (const c of golden.clip) {
        const normType = c.normType === 'Infinity' ? Infinity : c.normType;
        const params = c.grads.map((g) => d.zeros([g.length], { requiresGrad: true }));
        params.forEach((p, k) => setGrad(d, p, CpuTensor.from(c.grads[k]!, [p.size])));
        const submits = d.submits;
        const total = clipGradNorm(params, c.maxNorm, normType);
        expect(d.submits, 'clipGradNorm reads nothing back').toBe(submits);
        expect(total.shape).toEqual([]);
        const what = `clipGradNorm(maxNorm ${c.maxNorm}, normType ${normType})`;
        expectClose([await total.item()], [c.total], { atol: 0, rtol: 1e-5, what: `${what} total` });
        for (const [k, p] of params.entries()) {
          expectClose(await p.grad!.toArray(), c.clipped[k]!, { ...TORCH_TOL, what: `${what} grad ${k}` });
        }
        params.forEach((p) => p.dispose());
        total.dispose();
      }
    });
  });

  it('clipGradNorm matches the reference on odd sizes, skips params without grad, returns 0 for none', async () => {
    const d = device();
    for (const normType of [2, 1, Infinity, 1.5]) {
      const cpu = SIZES.map((n, k) => randn([n], 50 + k));
      const params = [...SIZES, 5].map((n) => d.zeros([n], { requiresGrad: true }));
      cpu.forEach((g, k) => setGrad(d, params[k]!, g)); // the last param has no grad
      const expectedTotal = ref.clipGradNorm(cpu, 3, normType);
      const total = clipGradNorm(params, 3, normType);
      expectClose([await total.item()], [expectedTotal], { atol: 0, rtol: 1e-5, what: `total norm ${normType}` });
      for (const [k, g] of cpu.entries()) {
        expectClose(await params[k]!.grad!.toArray(), g, { atol: 1e-6, rtol: 1e-5, what: `clipped grad ${k}, norm ${normType}` });
      }
      expect(params[SIZES.length]!.grad).toBeNull();
      params.forEach((p) => p.dispose());
    }
    const none = d.zeros([3], { requiresGrad: true });
    expect(await clipGradNorm([none], 1).item()).toBe(0);
    expect(() => clipGradNorm([none], 1, 0)).toThrow(/normType must be > 0/);
  });

  it('step() skips params without grad, reads nothing back, and zeroGrad sets grads to null', async () => {
    const d = device();
    const a = toGpu(d, randn([7], 1), true);
    const b = toGpu(d, randn([7], 2), true);
    const before = await b.toArray();
    const opt = new SGD([a, b], { lr: 0.1, momentum: 0.9 });
    setGrad(d, a, randn([7], 3));
    const submits = d.submits;
    opt.step();
    expect(d.submits).toBe(submits);
    expect(await b.toArray()).toEqual(before);
    expect(Object.keys((await opt.stateDict()).state)).toEqual(['0']); // no state for b, as PyTorch

    const inUse = d.memory().bytesInUse;
    const grad = a.grad!;
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
    expect(grad.isDisposed).toBe(true);
    expect(d.memory().bytesInUse).toBeLessThan(inUse);
    opt.step(); // nothing to do
    expect(await b.toArray()).toEqual(before);
    opt.dispose();
  });

  it('lr and paramGroups[0].lr are the same mutable value', () => {
    const d = device();
    const opt = new AdamW([d.zeros([2], { requiresGrad: true })]);
    expect(opt.lr).toBe(1e-3);
    opt.lr = 0.5;
    expect(opt.paramGroups[0].lr).toBe(0.5);
    opt.paramGroups[0].lr = 0.25;
    expect(opt.lr).toBe(0.25);
    expect(() => (opt.lr = -1)).toThrow(/invalid learning rate -1/);
  });

  it('rejects invalid options and grads, naming what is wrong', () => {
    const d = device();
    const p = d.zeros([2, 3], { requiresGrad: true });
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires a momentum and zero dampening/);
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/zero dampening/);
    expect(() => new SGD([p, p], { lr: 0.1 })).toThrow(/param 1 \[2, 3\] appears twice/);
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/non-empty array/);
    expect(() => new AdamW([p], { betas: [0.9, 1] })).toThrow(/invalid beta parameter at index 1: 1/);
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = d.zeros([3, 2]);
    expect(() => opt.step()).toThrow(/SGD.step: param 0 has shape \[2, 3\] but its grad \[3, 2\]/);
    p.dispose();
  });

  for (const kind of ['SGD', 'AdamW'] as const) {
    it(`${kind} state dict round trip resumes exactly`, async () => {
      const d = device();
      // Typed as the common base so that stateDict/loadStateDict line up for both kinds.
      const sgdOptions: SgdOptions = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: false, maximize: false };
      const adamwOptions: AdamWOptions = { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: true, maximize: false };
      const make = (ps: Tensor[]): Optimizer<{ lr: number }> => (kind === 'SGD' ? new SGD(ps, sgdOptions) : new AdamW(ps, adamwOptions));
      const cpu = [randn([7], 1), randn([33], 2)];
      const params = cpu.map((t) => toGpu(d, t, true));
      const opt = make(params);
      const grads = [0, 1, 2].map((s) => cpu.map((p, k) => randn([p.size], 10 * s + k)));
      for (const s of [0, 1]) {
        params.forEach((p, k) => setGrad(d, p, grads[s]![k]!));
        opt.step();
      }
      const dict = await opt.stateDict();
      expect(dict.state[0]!.step).toBe(2);
      // The state read back is the reference's state after two steps.
      if (kind === 'SGD') {
        const st = { momentumBuffer: null } as ref.SgdReferenceState;
        const p = CpuTensor.from(cpu[1]!.data, [33]);
        for (const s of [0, 1]) ref.sgdStep(p, grads[s]![1]!, st, sgdOptions);
        expectClose(dict.state[1]!.momentumBuffer as Float32Array, st.momentumBuffer!, { ...REF_TOL, what: 'momentumBuffer' });
      } else {
        const st = ref.adamwState();
        const p = CpuTensor.from(cpu[1]!.data, [33]);
        for (const s of [0, 1]) ref.adamwStep(p, grads[s]![1]!, st, adamwOptions);
        expectClose(dict.state[1]!.expAvgSq as Float32Array, st.expAvgSq!, { ...REF_TOL, what: 'expAvgSq' });
        expectClose(dict.state[1]!.maxExpAvgSq as Float32Array, st.maxExpAvgSq!, { ...REF_TOL, what: 'maxExpAvgSq' });
      }
      // A fresh optimizer over copies of the params, loaded from the dict, takes the same third step.
      const copies = await Promise.all(params.map(async (p) => d.tensor(await p.toArray(), p.shape, { requiresGrad: true })));
      const resumed = make(copies);
      resumed.lr = 123; // overwritten by the dict's hyper-parameters
      resumed.loadStateDict(dict);
      expect(resumed.lr).toBe(opt.lr);
      for (const [o, ps] of [
        [opt, params],
        [resumed, copies],
      ] as const) {
        ps.forEach((p, k) => setGrad(d, p, grads[2]![k]!));
        o.step();
      }
      for (const k of [0, 1]) expect(await copies[k]!.toArray()).toEqual(await params[k]!.toArray());
      // A dict for other shapes is refused.
      const other = make([d.zeros([7], { requiresGrad: true }), d.zeros([5], { requiresGrad: true })]);
      expect(() => other.loadStateDict(dict)).toThrow(/of param 1 must be a Float32Array of 5 values/);
      [...params, ...copies].forEach((p) => p.dispose());
      for (const o of [opt, resumed, other]) o.dispose();
    });
  }

  it('100 training steps inside tidy keep memory flat; optimizer state survives tidy', async () => {
    const d = await ownDevice();
    const x = toGpu(d, randn([1000], 7));
    const params = [toGpu(d, randn([1000], 8), true), toGpu(d, randn([1000], 9), true)];
    const sgd = new SGD([params[0]!], { lr: 0.01, momentum: 0.9 });
    const adamw = new AdamW([params[1]!], { lr: 0.01, amsgrad: true });
    const trainStep = () =>
      d.tidy(() => {
        const y = add(relu(add(params[0]!, x)), params[1]!);
        y.backward(d.full([1000], 1));
        const total = clipGradNorm(params, 1);
        sgd.step();
        adamw.step();
        sgd.zeroGrad();
        adamw.zeroGrad();
        void total; // disposed by tidy
      });
    trainStep();
    await d.sync();
    const after1 = d.memory().bytesInUse;
    for (let i = 0; i < 99; i++) trainStep();
    await d.sync();
    expect(d.memory().bytesInUse).toBe(after1);
    const dict = await adamw.stateDict();
    expect(dict.state[0]!.step).toBe(100);
    expect((dict.state[0]!.expAvg as Float32Array).every(Number.isFinite)).toBe(true);
    sgd.dispose();
    adamw.dispose();
    expect(d.memory().bytesInUse).toBe(after1 - 4 * 4096); // momentum + 3 AdamW buffers of 1000 f32 (4 KiB class)
  });
});
