/**
 * Images on the GPU and cropResize: many crops of many images resized into one batch tensor,
 * one dispatch per crop, no read-back (BlazeFace's letterboxed input; the 48x48 gray face crops
 * for the expression model). Sampling rules in shape.ts.
 */
import type { Device } from '../../gpu/device.js';
import { f32 } from '../../gpu/device.js';
import { InputError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { PixelImage } from '../../data/pixels.js';
import { checkCrop, type CropBox, type CropResizeOptions } from './shape.js';
import { CROP_RESIZE } from './wgsl.js';

export { LUMA, cropTaps, type CropBox, type CropResizeOptions } from './shape.js';

export type { PixelImage };

/** An RGBA image uploaded to the GPU: one u32 per pixel (R in the low byte). Dispose when done. */
export class GpuImage {
  /** @internal the pixels, an i32 tensor of width·height elements */
  readonly pixels: Tensor;

  private constructor(
    readonly width: number,
    readonly height: number,
    pixels: Tensor,
  ) {
    this.pixels = pixels;
  }

  /**
   * Uploads an 8-bit gray, RGB or RGBA image (alpha is dropped: it is neither a colour nor a face).
   * @throws InputError for an empty image, a size that does not match its data, or one too large for a GPU buffer.
   */
  static upload(device: Device, image: PixelImage, name = 'image'): GpuImage {
    const { width, height, data } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new InputError(`${name}: image has no pixels (${width}x${height})`);
    }
    const n = width * height;
    const channels = image.channels ?? data.length / n;
    if (![1, 3, 4].includes(channels) || data.length !== n * channels) {
      throw new InputError(`${name}: ${data.length} bytes do not make a ${width}x${height} gray, RGB or RGBA image`);
    }
    if (n * 4 > device.maxTensorBytes) {
      throw new InputError(
        `${name}: a ${width}x${height} image needs ${n * 4} bytes on the GPU, more than this adapter's ${device.maxTensorBytes} per buffer; downscale it first`,
      );
    }
    const packed = new Uint32Array(n);
    if (channels === 4) {
      packed.set(new Uint32Array(data.buffer.slice(data.byteOffset, data.byteOffset + n * 4) as ArrayBuffer));
    } else {
      for (let i = 0, j = 0; i < n; i++, j += channels) {
        const r = data[j]!;
        const g = channels === 3 ? data[j + 1]! : r;
        const b = channels === 3 ? data[j + 2]! : r;
        packed[i] = (r | (g << 8) | (b << 16) | 0xff000000) >>> 0;
      }
    }
    const pixels = device.empty([n], { dtype: 'i32' }, true);
    device.write(pixels.buffer, packed);
    return new GpuImage(width, height, pixels);
  }

  dispose(): void {
    this.pixels.dispose();
  }
}

/**
 * Crops each box out of its image and resizes it to `opts.size`: [crops.length, 3 or 1, h, w].
 * @example cropResize(device, [{ image, box: { x: -80, y: 0, width: 640, height: 640 } }], { size: [192, 192], channels: 'rgb', filter: 'bilinear', scale: 1 / 127.5, offset: -1 })
 */
export function cropResize(device: Device, crops: ReadonlyArray<{ image: GpuImage; box: CropBox }>, opts: CropResizeOptions): Tensor {
  const C = opts.channels === 'rgb' ? 3 : 1;
  const [OH, OW] = opts.size;
  for (const { box } of crops) checkCrop('cropResize', box, opts);
  const out = device.empty([crops.length, C, OH, OW]);
  crops.forEach(({ image, box }, n) => {
    device.dispatch(CROP_RESIZE, {
      params: [
        image.width,
        image.height,
        OW,
        OH,
        f32(box.x),
        f32(box.y),
        f32(box.width),
        f32(box.height),
        n * C * OH * OW,
        C === 1 ? 1 : 0,
        opts.filter === 'antialias' ? 1 : 0,
        f32(opts.scale ?? 1),
        f32(opts.offset ?? 0),
      ],
      buffers: [image.pixels.buffer, out.buffer],
      workgroups: [Math.ceil(OW / 8), Math.ceil(OH / 8)],
    });
  });
  return out;
}
