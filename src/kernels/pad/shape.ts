/** Argument checks and output shape of pad, shared by the GPU op and the CPU reference. */
import { fmtShape } from '../../tensor.js';

/** Zero padding of an NCHW tensor: [before, after] per axis (channels, height, width); absent = none. */
export interface PadOptions {
  channels?: readonly [number, number];
  height?: readonly [number, number];
  width?: readonly [number, number];
}

/** The input and output sizes and the leading pads. */
export function padGeometry(
  op: string,
  xShape: readonly number[],
  opts: PadOptions,
): { N: number; C: number; H: number; W: number; OC: number; OH: number; OW: number; c0: number; h0: number; w0: number } {
  if (xShape.length !== 4) throw new Error(`${op}: input must be 4-D [N, C, H, W], got ${fmtShape(xShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const pair = (name: string, v: readonly [number, number] | undefined): [number, number] => {
    const [a, b] = v ?? [0, 0];
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0)
      throw new Error(`${op}: ${name} padding must be [before, after] non-negative integers, got ${JSON.stringify(v)}`);
    return [a, b];
  };
  const [c0, c1] = pair('channels', opts.channels);
  const [h0, h1] = pair('height', opts.height);
  const [w0, w1] = pair('width', opts.width);
  return { N, C, H, W, OC: C + c0 + c1, OH: H + h0 + h1, OW: W + w0 + w1, c0, h0, w0 };
}
