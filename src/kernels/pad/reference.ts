/** CPU reference of pad: zero padding of an NCHW tensor along channels, height and width. */
import { CpuTensor } from '../../reference/tensor.js';
import { padGeometry, type PadOptions } from './shape.js';

/** x [N, C, H, W] with zeros added before and after each axis. */
export function pad(x: CpuTensor, opts: PadOptions): CpuTensor {
  const g = padGeometry('pad', x.shape, opts);
  const y = CpuTensor.zeros([g.N, g.OC, g.OH, g.OW]);
  for (let n = 0; n < g.N; n++)
    for (let c = 0; c < g.C; c++)
      for (let h = 0; h < g.H; h++)
        for (let w = 0; w < g.W; w++) {
          y.data[((n * g.OC + c + g.c0) * g.OH + h + g.h0) * g.OW + w + g.w0] = x.data[((n * g.C + c) * g.H + h) * g.W + w]!;
        }
  return y;
}
