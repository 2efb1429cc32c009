import { describe, expect, it } from 'vitest';
import * as ref from '../../src/kernels/depthwise-conv2d/reference.js';
import { depthwiseConv2d, samePadding, type DepthwiseConv2dOptions } from '../../src/kernels/depthwise-conv2d/index.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import { conv2d } from '../../src/kernels/conv2d/reference.js';
import { expectClose, randn, toGpu, useDevice } from '../helpers.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };

const CASES: Array<{ x: number[]; k: number[]; opts: DepthwiseConv2dOptions; bias?: boolean; relu?: boolean; what: string }> = [
  { x: [1, 1, 5, 5], k: [3, 3], opts: {}, what: 'batch 1, one channel, no padding' },
  { x: [2, 3, 7, 5], k: [3, 3], opts: { padding: 1 }, bias: true, what: 'odd sizes, padding 1, bias' },
  { x: [2, 5, 9, 8], k: [3, 3], opts: { stride: 2, padding: 'same' }, relu: true, what: "stride 2, TF 'same' (pads bottom/right), ReLU" },
  {
    x: [1, 4, 8, 11],
    k: [5, 5],
    opts: { stride: [1, 2], padding: [1, 2, 0, 3] },
    bias: true,
    relu: true,
    what: '5x5, asymmetric padding and stride',
  },
  { x: [1, 7, 6, 6], k: [1, 3], opts: { padding: [0, 1] }, what: 'non-square kernel' },
  { x: [2, 32, 96, 96], k: [3, 3], opts: { padding: 'same' }, bias: true, what: 'BlazeFace full-range stage 1 (96x96x32)' },
  { x: [1, 128, 24, 24], k: [3, 3], opts: { stride: 2, padding: 'same' }, bias: true, what: 'BlazeFace stride-2 block (24x24x128)' },
];

describe('depthwiseConv2d', () => {
  const device = useDevice();

  for (const c of CASES) {
    it(`GPU equals the CPU reference: ${c.what}`, async () => {
      const d = device();
      const C = c.x[1]!;
      const x = randn(c.x, 1);
      const w = randn([C, 1, ...c.k], 2);
      const b = c.bias ? randn([C], 3) : null;
      const y = d.noGrad(() => depthwiseConv2d(toGpu(d, x), toGpu(d, w), { ...c.opts, bias: b ? toGpu(d, b) : null, relu: c.relu }));
      const yRef = ref.depthwiseConv2d(x, w, { ...c.opts, bias: b, relu: c.relu });
      expect(y.shape).toEqual(yRef.shape);
      expectClose(await y.toArray(), yRef, { ...TOL, what: c.what });
    });
  }

  it('the reference equals conv2d with one input channel per filter (groups = C)', () => {
    const x = randn([2, 3, 6, 7], 4);
    const w = randn([3, 1, 3, 3], 5);
    const y = ref.depthwiseConv2d(x, w, { padding: 1, stride: 2 });
    for (let c = 0; c < 3; c++) {
      const xc = CpuTensor.zeros([2, 1, 6, 7]);
      for (let n = 0; n < 2; n++) xc.data.set(x.data.subarray((n * 3 + c) * 42, (n * 3 + c + 1) * 42), n * 42);
      const yc = conv2d(xc, CpuTensor.from(w.data.subarray(c * 9, c * 9 + 9), [1, 1, 3, 3]), { padding: 1, stride: 2 });
      const [, , P, Q] = y.shape as number[];
      for (let n = 0; n < 2; n++) {
        expectClose(y.data.subarray((n * 3 + c) * P! * Q!, (n * 3 + c + 1) * P! * Q!), yc.data.subarray(n * P! * Q!, (n + 1) * P! * Q!), {
          what: `channel ${c}`,
        });
      }
    }
  });

  it("'same' padding is TensorFlow's: the odd pixel goes at the end", () => {
    expect(samePadding(192, 3, 2)).toEqual([0, 1]);
    expect(samePadding(128, 5, 2)).toEqual([1, 2]);
    expect(samePadding(48, 3, 1)).toEqual([1, 1]);
  });

  it('rejects bad shapes with the shapes in the message', () => {
    const d = device();
    const x = d.zeros([1, 3, 4, 4]);
    expect(() => depthwiseConv2d(x, d.zeros([4, 1, 3, 3]))).toThrow(/3 channels but weight \[4, 1, 3, 3\]/);
    expect(() => depthwiseConv2d(x, d.zeros([3, 2, 3, 3]))).toThrow(/\[C, 1, R, S\]/);
    expect(() => depthwiseConv2d(x, d.zeros([3, 1, 3, 3]), { bias: d.zeros([2]) })).toThrow(/bias must have shape \[3\]/);
    expect(() => depthwiseConv2d(x, d.zeros([3, 1, 5, 5]))).toThrow(/larger than the padded input/);
  });
});
