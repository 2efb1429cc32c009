/** CPU reference of cropResize (see shape.ts for the sampling rules), in f64. */
import { CpuTensor } from '../../reference/tensor.js';
import { checkCrop, cropTaps, LUMA, type CropBox, type CropResizeOptions } from './shape.js';

/** An 8-bit image: RGBA, row-major, 4 bytes per pixel. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** Each (image, box) cropped and resized: [crops.length, 3 or 1, size[0], size[1]]. */
export function cropResize(crops: ReadonlyArray<{ image: RgbaImage; box: CropBox }>, opts: CropResizeOptions): CpuTensor {
  const [OH, OW] = opts.size;
  const C = crops.length ? checkCrop('cropResize', crops[0]!.box, opts) : opts.channels === 'rgb' ? 3 : 1;
  const scale = opts.scale ?? 1;
  const offset = opts.offset ?? 0;
  const out = CpuTensor.zeros([crops.length, C, OH, OW]);
  crops.forEach(({ image, box }, n) => {
    checkCrop('cropResize', box, opts);
    const pixel = (px: number, py: number, ch: number) =>
      px < 0 || py < 0 || px >= image.width || py >= image.height ? 0 : image.data[(py * image.width + px) * 4 + ch]!;
    for (let i = 0; i < OH; i++) {
      const ty = cropTaps(i, box.y, box.height, OH, opts.filter);
      for (let j = 0; j < OW; j++) {
        const tx = cropTaps(j, box.x, box.width, OW, opts.filter);
        const rgb = [0, 0, 0];
        ty.index.forEach((py, a) => {
          tx.index.forEach((px, b) => {
            const w = ty.weight[a]! * tx.weight[b]!;
            for (let ch = 0; ch < 3; ch++) rgb[ch]! += w * pixel(px, py, ch);
          });
        });
        const values = C === 3 ? rgb : [LUMA[0] * rgb[0]! + LUMA[1] * rgb[1]! + LUMA[2] * rgb[2]!];
        values.forEach((v, ch) => {
          out.data[((n * C + ch) * OH + i) * OW + j] = v * scale + offset;
        });
      }
    }
  });
  return out;
}
