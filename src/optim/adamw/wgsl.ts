import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../../kernels/wgsl.js';

/**
 * One AdamW step over `n` elements starting at element `offset` (for a later fused version over
 * packed parameters), with PyTorch's rule; the scalar bias corrections come from the host:
 * g = ±grad; p *= 1 − lr·wd; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * (amsgrad: vmax = max(vmax, v), used instead of v); p −= stepSize · m / (sqrt(v)/bc2Sqrt + eps).
 */
export function adamwKernel(amsgrad: boolean): Kernel {
  return {
    name: amsgrad ? 'adamw_amsgrad' : 'adamw',
    code: /* wgsl */ `
struct Params {
  n: u32, offset: u32, sign: f32, decay: f32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  stepSize: f32, bc2Sqrt: f32, eps: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> expAvg: array<f32>;
@group(0) @binding(4) var<storage, read_write> expAvgSq: array<f32>;
${amsgrad ? '@group(0) @binding(5) var<storage, read_write> maxExpAvgSq: array<f32>;' : ''}
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  let k = p.offset + i;
  let g = p.sign * grad[k];
  let x = param[k] * p.decay;
  let m = p.beta1 * expAvg[k] + p.oneMinusBeta1 * g;
  var v = p.beta2 * expAvgSq[k] + p.oneMinusBeta2 * (g * g);
  expAvg[k] = m;
  expAvgSq[k] = v;
  ${amsgrad ? 'v = max(maxExpAvgSq[k], v);\n  maxExpAvgSq[k] = v;' : ''}
  let denom = sqrt(v) / p.bc2Sqrt + p.eps;
  param[k] = x - p.stepSize * (m / denom);
}`,
  };
}
