import { describe, expect, it } from 'vitest';
import { cropResize, GpuImage, cropTaps, type CropBox, type CropResizeOptions } from '../../src/kernels/crop-resize/index.js';
import * as ref from '../../src/kernels/crop-resize/reference.js';
import { resizeBilinear } from '../../src/kernels/resize-bilinear/reference.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import { Rng } from '../../src/random.js';
import { expectClose, useDevice } from '../helpers.js';

function randomImage(width: number, height: number, seed: number): ref.RgbaImage {
  const rng = new Rng(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 4 }, () => Math.floor(rng.next() * 256)) };
}

describe('cropResize', () => {
  const device = useDevice();

  const CASES: Array<{ w: number; h: number; boxes: CropBox[]; opts: CropResizeOptions; what: string }> = [
    {
      w: 7,
      h: 5,
      boxes: [{ x: 0, y: -1, width: 7, height: 7 }],
      opts: { size: [4, 4], channels: 'rgb', filter: 'bilinear' },
      what: 'letterbox of an odd image, shrink',
    },
    {
      w: 640,
      h: 480,
      boxes: [{ x: 0, y: -80, width: 640, height: 640 }],
      opts: { size: [192, 192], channels: 'rgb', filter: 'bilinear', scale: 1 / 127.5, offset: -1 },
      what: 'BlazeFace full-range input of a 640x480 frame',
    },
    {
      w: 90,
      h: 120,
      boxes: [{ x: -15, y: 0, width: 120, height: 120 }],
      opts: { size: [128, 128], channels: 'rgb', filter: 'bilinear' },
      what: 'short-range input, up-sampling',
    },
    {
      w: 640,
      h: 480,
      boxes: [
        { x: 100.3, y: 50.6, width: 161.2, height: 161.2 },
        { x: 590, y: -20, width: 90, height: 90 },
      ],
      opts: { size: [48, 48], channels: 'gray', filter: 'antialias', scale: 1 / 127.5, offset: -1 },
      what: '48x48 gray face crops, one over the image edge',
    },
    {
      w: 9,
      h: 9,
      boxes: [{ x: 2, y: 2, width: 3, height: 3 }],
      opts: { size: [7, 5], channels: 'rgb', filter: 'antialias' },
      what: 'antialias when enlarging (support 1)',
    },
  ];
  for (const c of CASES) {
    it(`GPU equals the CPU reference: ${c.what}`, async () => {
      const d = device();
      const img = randomImage(c.w, c.h, 11);
      const gpuImg = GpuImage.upload(d, img);
      const y = cropResize(
        d,
        c.boxes.map((box) => ({ image: gpuImg, box })),
        c.opts,
      );
      const yRef = ref.cropResize(
        c.boxes.map((box) => ({ image: img, box })),
        c.opts,
      );
      expect(y.shape).toEqual(yRef.shape);
      const tol = (c.opts.scale ?? 1) * 0.05; // f32 tap positions across a 640-pixel image: a few 1e-5 of a pixel, times 255
      expectClose(await y.toArray(), yRef, { atol: tol, rtol: 1e-5, what: c.what });
      gpuImg.dispose();
    });
  }

  it("the bilinear filter is TensorFlow's resizeBilinear of the zero-padded image", () => {
    const img = randomImage(5, 3, 2);
    const out = ref.cropResize([{ image: img, box: { x: 0, y: -1, width: 5, height: 5 } }], {
      size: [8, 8],
      channels: 'rgb',
      filter: 'bilinear',
    });
    const padded = CpuTensor.zeros([1, 3, 5, 5]);
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 5; x++) for (let c = 0; c < 3; c++) padded.data[(c * 5 + y + 1) * 5 + x] = img.data[(y * 5 + x) * 4 + c]!;
    expectClose(out.data, resizeBilinear(padded, [8, 8]), { atol: 1e-9, rtol: 0, what: 'letterbox' });
  });

  it("the antialias filter is Pillow's bilinear: a 2x shrink averages 4 pixels with weights 1/8, 3/8, 3/8, 1/8", () => {
    const t = cropTaps(0, 0, 8, 4, 'antialias');
    expect(t.index).toEqual([-1, 0, 1, 2]);
    expectClose(t.weight, [1 / 8, 3 / 8, 3 / 8, 1 / 8], { atol: 1e-12, rtol: 0 });
  });

  it('uploads gray, RGB and RGBA alike; rejects an empty or mis-sized image', async () => {
    const d = device();
    const opts: CropResizeOptions = { size: [2, 2], channels: 'rgb', filter: 'bilinear' };
    const box = { x: 0, y: 0, width: 2, height: 2 };
    const gray = GpuImage.upload(d, { width: 2, height: 2, data: Uint8Array.from([10, 20, 30, 40]) });
    const rgb = GpuImage.upload(d, { width: 2, height: 2, data: Uint8Array.from([10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]) });
    const a = await cropResize(
      d,
      [
        { image: gray, box },
        { image: rgb, box },
      ],
      opts,
    ).toArray();
    expectClose(a, [10, 20, 30, 40, 10, 20, 30, 40, 10, 20, 30, 40, 10, 20, 30, 40, 10, 20, 30, 40, 10, 20, 30, 40], {
      atol: 1e-3,
      rtol: 0,
    });
    expect(() => GpuImage.upload(d, { width: 0, height: 3, data: new Uint8Array(0) }, 'empty.png')).toThrow(
      /empty.png: image has no pixels/,
    );
    expect(() => GpuImage.upload(d, { width: 2, height: 2, data: new Uint8Array(5) })).toThrow(/5 bytes/);
    expect(() => cropResize(d, [{ image: gray, box: { x: 0, y: 0, width: 0, height: 1 } }], opts)).toThrow(/positive width/);
  });
});
