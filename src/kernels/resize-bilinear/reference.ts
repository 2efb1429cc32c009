/** CPU reference of resizeBilinear (TensorFlow's resize_bilinear, align_corners=false), in f64. */
import { CpuTensor } from '../../reference/tensor.js';
import { bilinearTap, resizeGeometry, type ResizeBilinearOptions } from './shape.js';

/** x [N, C, H, W] resized to [N, C, size[0], size[1]]. */
export function resizeBilinear(x: CpuTensor, size: readonly [number, number], opts: ResizeBilinearOptions = {}): CpuTensor {
  const g = resizeGeometry('resizeBilinear', x.shape, size);
  const half = opts.halfPixelCenters ?? true;
  const y = CpuTensor.zeros([g.N, g.C, g.OH, g.OW]);
  for (let nc = 0; nc < g.N * g.C; nc++)
    for (let i = 0; i < g.OH; i++) {
      const [y0, y1, fy] = bilinearTap(i, g.H, g.OH, half);
      for (let j = 0; j < g.OW; j++) {
        const [x0, x1, fx] = bilinearTap(j, g.W, g.OW, half);
        const at = (r: number, c: number) => x.data[(nc * g.H + r) * g.W + c]!;
        const top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
        const bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
        y.data[(nc * g.OH + i) * g.OW + j] = top + (bottom - top) * fy;
      }
    }
  return y;
}
