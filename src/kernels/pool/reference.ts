/** CPU references of the pooling ops, in plain loops (f64). */
import { CpuTensor } from '../../reference/tensor.js';
import { poolGeometry, type PoolGeometry, type Pool2dOptions } from './shape.js';

/**
 * Calls fn(offset of the input plane, index of the output element, in-bounds indices of its
 * window within the input plane in row-major order) for every output element.
 */
function forEachWindow(g: PoolGeometry, fn: (inPlane: number, outIndex: number, window: number[]) => void): void {
  for (let nc = 0; nc < g.N * g.C; nc++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        const window: number[] = [];
        for (let i = 0; i < g.kh; i++) {
          const h = oh * g.sh - g.ph + i;
          if (h < 0 || h >= g.H) continue;
          for (let j = 0; j < g.kw; j++) {
            const w = ow * g.sw - g.pw + j;
            if (w >= 0 && w < g.W) window.push(h * g.W + w);
          }
        }
        fn(nc * g.H * g.W, (nc * g.OH + oh) * g.OW + ow, window);
      }
    }
  }
}

/** Index within the plane of the first maximum of the window (PyTorch's CPU tie rule). */
function argmax(x: CpuTensor, inPlane: number, window: number[]): number {
  let best = window[0]!;
  for (const k of window) if (x.data[inPlane + k]! > x.data[inPlane + best]!) best = k;
  return best;
}

/** Max pooling over [N, C, H, W]; padding counts as -inf. */
export function maxPool2d(x: CpuTensor, options: Pool2dOptions): CpuTensor {
  const g = poolGeometry('maxPool2d', x.shape, options);
  const y = CpuTensor.zeros([g.N, g.C, g.OH, g.OW]);
  forEachWindow(g, (inPlane, o, window) => {
    y.data[o] = x.data[inPlane + argmax(x, inPlane, window)]!;
  });
  return y;
}

/** Gradient of maxPool2d: each output's gradient goes to the first maximum of its window. */
export function maxPool2dBackward(gy: CpuTensor, x: CpuTensor, options: Pool2dOptions): CpuTensor {
  const g = poolGeometry('maxPool2dBackward', x.shape, options);
  const gx = CpuTensor.zeros(x.shape);
  forEachWindow(g, (inPlane, o, window) => {
    gx.data[inPlane + argmax(x, inPlane, window)]! += gy.data[o]!;
  });
  return gx;
}

/** Average pooling; padding counts as zeros in the average (count_include_pad=True). */
export function avgPool2d(x: CpuTensor, options: Pool2dOptions): CpuTensor {
  const g = poolGeometry('avgPool2d', x.shape, options);
  const y = CpuTensor.zeros([g.N, g.C, g.OH, g.OW]);
  forEachWindow(g, (inPlane, o, window) => {
    let s = 0;
    for (const k of window) s += x.data[inPlane + k]!;
    y.data[o] = s / (g.kh * g.kw);
  });
  return y;
}

/** Gradient of avgPool2d (x gives the input shape). */
export function avgPool2dBackward(gy: CpuTensor, x: CpuTensor, options: Pool2dOptions): CpuTensor {
  const g = poolGeometry('avgPool2dBackward', x.shape, options);
  const gx = CpuTensor.zeros(x.shape);
  forEachWindow(g, (inPlane, o, window) => {
    for (const k of window) gx.data[inPlane + k]! += gy.data[o]! / (g.kh * g.kw);
  });
  return gx;
}

/** Mean over H and W: [N, C, H, W] -> [N, C]. */
export function globalAvgPool2d(x: CpuTensor): CpuTensor {
  const [N, C, H, W] = checkRank4('globalAvgPool2d', x.shape);
  const y = CpuTensor.zeros([N, C]);
  for (let nc = 0; nc < N * C; nc++) {
    let s = 0;
    for (let k = 0; k < H * W; k++) s += x.data[nc * H * W + k]!;
    y.data[nc] = s / (H * W);
  }
  return y;
}

/** Gradient of globalAvgPool2d (x gives the input shape). */
export function globalAvgPool2dBackward(gy: CpuTensor, x: CpuTensor): CpuTensor {
  const [, , H, W] = checkRank4('globalAvgPool2dBackward', x.shape);
  return CpuTensor.zeros(x.shape).map((_, i) => gy.data[Math.floor(i / (H * W))]! / (H * W));
}

function checkRank4(op: string, shape: readonly number[]): [number, number, number, number] {
  if (shape.length !== 4) throw new Error(`${op}: input must be 4-D [N, C, H, W], got shape [${shape.join(', ')}]`);
  return shape as [number, number, number, number];
}
