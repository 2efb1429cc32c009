import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../../src/kernels/resize-bilinear/index.js';
import * as resizeRef from '../../src/kernels/resize-bilinear/reference.js';
import { pad } from '../../src/kernels/pad/index.js';
import * as padRef from '../../src/kernels/pad/reference.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import { expectClose, randn, toGpu, useDevice } from '../helpers.js';

describe('resizeBilinear', () => {
  const device = useDevice();

  const CASES: Array<{ x: number[]; size: [number, number]; half?: boolean; what: string }> = [
    { x: [1, 1, 3, 3], size: [6, 6], what: '2x up, batch 1' },
    { x: [2, 3, 5, 7], size: [9, 4], what: 'odd sizes, up in height, down in width' },
    { x: [1, 2, 8, 8], size: [3, 5], what: 'down-sampling' },
    { x: [1, 2, 5, 4], size: [7, 7], half: false, what: 'legacy corners (halfPixelCenters false)' },
    { x: [2, 96, 6, 6], size: [12, 12], what: 'BlazeFace FPN 6 -> 12 (96 channels)' },
    { x: [1, 48, 24, 24], size: [48, 48], what: 'BlazeFace FPN 24 -> 48' },
  ];
  for (const c of CASES) {
    it(`GPU equals the CPU reference: ${c.what}`, async () => {
      const d = device();
      const x = randn(c.x, 7);
      const y = d.noGrad(() => resizeBilinear(toGpu(d, x), c.size, { halfPixelCenters: c.half }));
      const yRef = resizeRef.resizeBilinear(x, c.size, { halfPixelCenters: c.half });
      expect(y.shape).toEqual(yRef.shape);
      expectClose(await y.toArray(), yRef, { atol: 1e-5, rtol: 1e-5, what: c.what });
    });
  }

  it("matches TensorFlow's resize_bilinear(half_pixel_centers=True) on a worked example", () => {
    // tf.image.resize([[1, 2], [3, 4]], [4, 4], 'bilinear') (TF2: half-pixel centres); rows:
    const want = [
      [1, 1.25, 1.75, 2],
      [1.5, 1.75, 2.25, 2.5],
      [2.5, 2.75, 3.25, 3.5],
      [3, 3.25, 3.75, 4],
    ].flat();
    expect(Array.from(resizeRef.resizeBilinear(CpuTensor.from([1, 2, 3, 4], [1, 1, 2, 2]), [4, 4]).data)).toEqual(want);
  });
});

describe('pad', () => {
  const device = useDevice();

  for (const [shape, opts] of [
    [[1, 1, 2, 2], { height: [1, 0], width: [0, 1] }],
    [[2, 3, 5, 7], { channels: [0, 5] }],
    [[1, 4, 3, 3], { channels: [2, 1], height: [1, 2], width: [3, 0] }],
    [[1, 3, 192, 192], { height: [0, 1], width: [0, 1] }],
    [[2, 32, 48, 48], { channels: [0, 16] }],
  ] as const) {
    it(`GPU equals the CPU reference: [${shape}] ${JSON.stringify(opts)}`, async () => {
      const d = device();
      const x = randn(shape, 8);
      const y = d.noGrad(() => pad(toGpu(d, x), opts));
      const yRef = padRef.pad(x, opts);
      expect(y.shape).toEqual(yRef.shape);
      expectClose(await y.toArray(), yRef, { atol: 0, rtol: 0, what: 'pad' });
    });
  }

  it('puts zeros where the padding goes', () => {
    expect(Array.from(padRef.pad(CpuTensor.from([1, 2, 3, 4], [1, 1, 2, 2]), { height: [1, 0], width: [0, 1] }).data)).toEqual([
      0, 0, 0, 1, 2, 0, 3, 4, 0,
    ]);
    expect(() => padRef.pad(CpuTensor.zeros([1, 1, 1, 1]), { channels: [-1, 0] })).toThrow(/non-negative/);
  });
});
