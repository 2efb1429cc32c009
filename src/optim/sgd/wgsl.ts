import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../../kernels/wgsl.js';

/** Structural choices baked into the SGD kernel (scalars are uniforms). */
export interface SgdVariant {
  momentum: boolean;
  nesterov: boolean;
  weightDecay: boolean;
}

/**
 * One SGD step over `n` elements starting at element `offset` of the param/grad/buffer arrays
 * (offset lets a later fused version update many parameters packed into one buffer), with
 * PyTorch's rule: d = ±g (+ wd·p); buf = d on the first step, else momentum·buf + (1−dampening)·d;
 * d = d + momentum·buf (Nesterov) or buf; p −= lr·d.
 */
export function sgdKernel(v: SgdVariant): Kernel {
  return {
    name: `sgd${v.momentum ? (v.nesterov ? '_nesterov' : '_momentum') : ''}${v.weightDecay ? '_wd' : ''}`,
    code: /* wgsl */ `
struct Params {
  n: u32, offset: u32, lr: f32, sign: f32,
  weightDecay: f32, momentum: f32, oneMinusDampening: f32, first: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
${v.momentum ? '@group(0) @binding(3) var<storage, read_write> buf: array<f32>;' : ''}
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  let k = p.offset + i;
  var d = p.sign * grad[k];
  ${v.weightDecay ? 'd = d + p.weightDecay * param[k];' : ''}
  ${
    v.momentum
      ? `var b = d;
  if (p.first == 0u) { b = p.momentum * buf[k] + p.oneMinusDampening * d; }
  buf[k] = b;
  ${v.nesterov ? 'd = d + p.momentum * b;' : 'd = b;'}`
      : ''
  }
  param[k] = param[k] - p.lr * d;
}`,
  };
}
