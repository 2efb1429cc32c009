import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS } from '../wgsl.js';

/** Items per invocation: 4 beat 1 by ~1.4x on lavapipe (bench/lab/batchnorm.ts, element-wise passes). */
export const ITEMS_PER_INVOCATION = 4;

/**
 * A kernel `out[i] = expr` over n items with inputs a (and b), ITEMS_PER_INVOCATION consecutive
 * items per invocation (dispatch grid1d(⌈n / ITEMS_PER_INVOCATION⌉, 256)). Expressions are
 * written over the alias `T`, which is `f32` in the scalar kernel and `vec4f` in the vec4 one
 * (each item is then 4 elements: ~2.5x faster on lavapipe, whose per-invocation cost dominates).
 */
function elementwise(name: string, inputs: string[], expr: string): { scalar: Kernel; vec4: Kernel } {
  const make = (T: 'f32' | 'vec4f'): Kernel => ({
    name: T === 'f32' ? name : `${name}Vec4`,
    code: /* wgsl */ `
alias T = ${T};
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
${inputs.map((v, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${v}: array<T>;`).join('\n')}
@group(0) @binding(${inputs.length + 1}) var<storage, read_write> out: array<T>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  let i0 = (gid.x + gid.y * nwg.x * 256u) * ${ITEMS_PER_INVOCATION}u;
  ${Array.from({ length: ITEMS_PER_INVOCATION }, (_, u) => `if (i0 + ${u}u < p.n) { let i = i0 + ${u}u; out[i] = ${expr}; }`).join('\n  ')}
}`,
  });
  return { scalar: make('f32'), vec4: make('vec4f') };
}

export const ADD = elementwise('add', ['a', 'b'], 'a[i] + b[i]');
export const RELU = elementwise('relu', ['a'], 'max(a[i], T(0.0))');
export const ADD_RELU = elementwise('addRelu', ['a', 'b'], 'max(a[i] + b[i], T(0.0))');
/** Gradient of relu given its output y: g where y > 0. */
export const RELU_BACKWARD = elementwise('reluBackward', ['g', 'y'], 'select(T(0.0), g[i], y[i] > T(0.0))');
export const COPY = elementwise('copy', ['a'], 'a[i]');
/** out += a (out is read_write, so read it before writing). */
export const ADD_INTO = elementwise('addInto', ['a'], 'out[i] + a[i]');
