import { describe, expect, it } from 'vitest';
import * as ref from '../../src/kernels/elementwise/reference.js';
import { add, addRelu, relu } from '../../src/kernels/elementwise/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import { expectClose, numericGrad, randn, toGpu, ownDevice, useDevice } from '../helpers.js';

const SHAPES = [[1], [7], [2, 3, 5, 5], [64, 16, 48, 48], [300, 257]];
// Tolerance: these ops are exact in f32 (one add), so only the f64->f32 rounding of inputs.
const TOL = { atol: 1e-6, rtol: 1e-6 };

describe('elementwise', () => {
  const device = useDevice();

  for (const shape of SHAPES) {
    it(`add/relu/addRelu forward and backward on [${shape}]`, async () => {
      const d = device();
      const a = randn(shape, 1);
      const b = randn(shape, 2);
      const gy = randn(shape, 3);
      const ga = toGpu(d, a, true);
      const gb = toGpu(d, b, true);
      const g = toGpu(d, gy);
      for (const [name, gpuOp, cpuOp] of [
        ['add', add, ref.add],
        ['addRelu', addRelu, ref.addRelu],
      ] as const) {
        ga.grad?.dispose();
        gb.grad?.dispose();
        ga.grad = gb.grad = null;
        const y = gpuOp(ga, gb);
        expectClose(await y.toArray(), cpuOp(a, b), { ...TOL, what: `${name} forward` });
        y.backward(g);
        const expected = name === 'add' ? gy : ref.reluBackward(gy, ref.addRelu(a, b));
        expectClose(await ga.grad!.toArray(), expected, { ...TOL, what: `${name} grad a` });
        expectClose(await gb.grad!.toArray(), expected, { ...TOL, what: `${name} grad b` });
      }
      const r = relu(ga);
      expectClose(await r.toArray(), ref.relu(a), { ...TOL, what: 'relu forward' });
    });
  }

  it('backward references agree with finite differences', () => {
    const a = randn([3, 4], 5);
    const b = randn([3, 4], 6);
    const gy = randn([3, 4], 7);
    const gNum = numericGrad((x) => ref.addRelu(x, b), a, gy);
    expectClose(ref.reluBackward(gy, ref.addRelu(a, b)).data, gNum, { atol: 1e-6, rtol: 1e-6 });
    expectClose(numericGrad((x) => ref.add(x, b), a, gy).data, gy, { atol: 1e-6, rtol: 1e-6 });
  });

  it('grads accumulate over two backward passes and through shared inputs', async () => {
    const d = device();
    const x = d.tensor([1, -2, 3], [3], { requiresGrad: true });
    const y = add(relu(x), x); // x used twice
    y.backward(d.tensor([1, 1, 1], [3]));
    expect(Array.from(await x.grad!.toArray())).toEqual([2, 1, 2]);
    add(x, x).backward(d.tensor([1, 2, 3], [3]));
    expect(Array.from(await x.grad!.toArray())).toEqual([4, 5, 8]);
  });

  it('rejects mismatched shapes, naming the op and the shapes', () => {
    const d = device();
    expect(() => add(d.zeros([2, 3]), d.zeros([3, 2]))).toThrow(/add: shapes \[2, 3\] and \[3, 2\]/);
    expect(() => d.tensor([1, 2, 3], [2, 2])).toThrow(/3 elements but shape \[2, 2\]/);
  });

  it('tidy keeps memory flat over many steps', async () => {
    const d = await ownDevice();
    const x = d.tensor(new Float32Array(1000).fill(1), [1000], { requiresGrad: true });
    const before = d.memory().bytesInUse;
    for (let i = 0; i < 50; i++) {
      d.tidy(() => {
        const y = addRelu(relu(x), x);
        y.backward(d.full([1000], 1));
      });
    }
    await d.sync();
    // x.grad was created by the first step and is kept; nothing else survives.
    expect(d.memory().bytesInUse).toBe(before + 4096);
    expect(x.grad).not.toBeNull();
    void CpuTensor;
  });
});
