import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

/** A kernel `out[i] = expr` over n elements with inputs a (and b). */
function elementwise(name: string, inputs: string[], expr: string): Kernel {
  const bindings = inputs
    .map((v, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${v}: array<f32>;`)
    .join('\n');
  return {
    name,
    code: /* wgsl */ `
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
${bindings}
@group(0) @binding(${inputs.length + 1}) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  out[i] = ${expr};
}`,
  };
}

export const ADD = elementwise('add', ['a', 'b'], 'a[i] + b[i]');
export const RELU = elementwise('relu', ['a'], 'max(a[i], 0.0)');
export const ADD_RELU = elementwise('addRelu', ['a', 'b'], 'max(a[i] + b[i], 0.0)');
/** Gradient of relu given its output y: g where y > 0. */
export const RELU_BACKWARD = elementwise('reluBackward', ['g', 'y'], 'select(0.0, g[i], y[i] > 0.0)');
export const COPY = elementwise('copy', ['a'], 'a[i]');
/** out += a (out is read_write, so read it before writing). */
export const ADD_INTO = elementwise('addInto', ['a'], 'out[i] + a[i]');
