/** The bilinear resize kernel: one invocation per output element (taps as in shape.ts). */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

/** WGSL of bilinearTap (shape.ts): returns (lower, upper, weight of upper) as a vec3f. */
export const BILINEAR_TAP = /* wgsl */ `
fn bilinearTap(i: u32, inSize: u32, outSize: u32, halfPixel: bool) -> vec3f {
  let scale = f32(inSize) / f32(outSize);
  var src = f32(i) * scale;
  if (halfPixel) { src = (f32(i) + 0.5) * scale - 0.5; }
  let f = floor(src);
  return vec3f(max(f, 0.0), min(ceil(src), f32(inSize) - 1.0), src - f);
}`;

export const RESIZE_BILINEAR: Kernel = {
  name: 'resizeBilinear',
  code: /* wgsl */ `
struct Params { total: u32, H: u32, W: u32, OH: u32, OW: u32, halfPixel: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${BILINEAR_TAP}
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.total) { return; }
  let j = i % p.OW;
  let r = (i / p.OW) % p.OH;
  let nc = i / (p.OW * p.OH);
  let ty = bilinearTap(r, p.H, p.OH, p.halfPixel != 0u);
  let tx = bilinearTap(j, p.W, p.OW, p.halfPixel != 0u);
  let b = nc * p.H * p.W;
  let r0 = b + u32(ty.x) * p.W;
  let r1 = b + u32(ty.y) * p.W;
  let x0 = u32(tx.x);
  let x1 = u32(tx.y);
  let top = x[r0 + x0] + (x[r0 + x1] - x[r0 + x0]) * tx.z;
  let bottom = x[r1 + x0] + (x[r1 + x1] - x[r1 + x0]) * tx.z;
  y[i] = top + (bottom - top) * ty.z;
}`,
};
