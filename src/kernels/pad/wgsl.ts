/** The pad kernel: one invocation per output element, zero where it falls outside the input. */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

export const PAD: Kernel = {
  name: 'pad',
  code: /* wgsl */ `
struct Params { total: u32, C: u32, H: u32, W: u32, OC: u32, OH: u32, OW: u32, c0: u32, h0: u32, w0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.total) { return; }
  let w = i32(i % p.OW) - i32(p.w0);
  let h = i32((i / p.OW) % p.OH) - i32(p.h0);
  let c = i32((i / (p.OW * p.OH)) % p.OC) - i32(p.c0);
  let n = i / (p.OW * p.OH * p.OC);
  var v = 0.0;
  if (w >= 0 && w < i32(p.W) && h >= 0 && h < i32(p.H) && c >= 0 && c < i32(p.C)) {
    v = x[((n * p.C + u32(c)) * p.H + u32(h)) * p.W + u32(w)];
  }
  y[i] = v;
}`,
};
