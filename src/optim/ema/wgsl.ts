import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../../kernels/wgsl.js';

/**
 * One EMA update over `n` elements: shadow = param on the first update (first = 1), else
 * shadow + weight · (param − shadow) with weight = 1 − decay (torch.lerp's form).
 */
export const EMA_KERNEL: Kernel = {
  name: 'ema_update',
  code: /* wgsl */ `
struct Params { n: u32, first: u32, weight: f32, _pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> shadow: array<f32>;
@group(0) @binding(2) var<storage, read> param: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  let x = param[i];
  if (p.first == 1u) {
    shadow[i] = x;
  } else {
    let s = shadow[i];
    shadow[i] = s + p.weight * (x - s);
  }
}`,
};
