/**
 * Pooling kernels. One invocation per output element in the forward passes; the backward
 * passes gather (one invocation per input element, summing over the windows that contain it),
 * so overlapping windows need no atomics and the result is deterministic.
 */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

/** Uniform block of the windowed kernels (see `windowParams` in index.ts). */
const WINDOW_PARAMS = /* wgsl */ `
struct Params { n: u32, H: u32, W: u32, OH: u32, OW: u32, kh: u32, kw: u32, sh: u32, sw: u32, ph: u32, pw: u32 }
@group(0) @binding(0) var<uniform> p: Params;`;

/** Output element i -> its plane and the in-bounds part [hs, he) x [ws, we) of its window. */
const OUTPUT_WINDOW = /* wgsl */ `
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  let ow = i % p.OW;
  let oh = (i / p.OW) % p.OH;
  let plane = i / (p.OW * p.OH);
  let h0 = i32(oh * p.sh) - i32(p.ph);
  let w0 = i32(ow * p.sw) - i32(p.pw);
  let hs = max(h0, 0);
  let he = min(h0 + i32(p.kh), i32(p.H));
  let ws = max(w0, 0);
  let we = min(w0 + i32(p.kw), i32(p.W));
  let base = plane * p.H * p.W;`;

/** Input element i -> its plane and the output windows [oh0, oh1) x [ow0, ow1) containing it. */
const INPUT_WINDOWS = /* wgsl */ `
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  let iw = i % p.W;
  let ih = (i / p.W) % p.H;
  let plane = i / (p.W * p.H);
  let a = ih + p.ph;
  let b = iw + p.pw;
  let oh0 = select(0u, (a - p.kh) / p.sh + 1u, a >= p.kh);
  let oh1 = min(a / p.sh + 1u, p.OH);
  let ow0 = select(0u, (b - p.kw) / p.sw + 1u, b >= p.kw);
  let ow1 = min(b / p.sw + 1u, p.OW);`;

export const MAX_POOL: Kernel = {
  name: 'maxPool2d',
  code: /* wgsl */ `${WINDOW_PARAMS}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<i32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${OUTPUT_WINDOW}
  // Start from the first in-bounds element and replace only on a strictly larger value:
  // ties go to the first maximum in row-major order, as PyTorch's CPU kernel.
  var best = u32(hs) * p.W + u32(ws);
  var m = x[base + best];
  for (var h = hs; h < he; h++) {
    for (var w = ws; w < we; w++) {
      let k = u32(h) * p.W + u32(w);
      let v = x[base + k];
      if (v > m) { m = v; best = k; }
    }
  }
  y[i] = m;
  argmax[i] = i32(best);
}`,
};

export const MAX_POOL_BACKWARD: Kernel = {
  name: 'maxPool2dBackward',
  code: /* wgsl */ `${WINDOW_PARAMS}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<i32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${INPUT_WINDOWS}
  let me = i32(ih * p.W + iw);
  var acc = 0.0;
  for (var oh = oh0; oh < oh1; oh++) {
    for (var ow = ow0; ow < ow1; ow++) {
      let o = (plane * p.OH + oh) * p.OW + ow;
      if (argmax[o] == me) { acc += g[o]; }
    }
  }
  gx[i] = acc;
}`,
};

export const AVG_POOL: Kernel = {
  name: 'avgPool2d',
  code: /* wgsl */ `${WINDOW_PARAMS}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${OUTPUT_WINDOW}
  var s = 0.0;
  for (var h = hs; h < he; h++) {
    for (var w = ws; w < we; w++) { s += x[base + u32(h) * p.W + u32(w)]; }
  }
  y[i] = s / f32(p.kh * p.kw); // padding counts in the divisor (count_include_pad=True)
}`,
};

export const AVG_POOL_BACKWARD: Kernel = {
  name: 'avgPool2dBackward',
  code: /* wgsl */ `${WINDOW_PARAMS}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${INPUT_WINDOWS}
  var acc = 0.0;
  for (var oh = oh0; oh < oh1; oh++) {
    for (var ow = ow0; ow < ow1; ow++) { acc += g[(plane * p.OH + oh) * p.OW + ow]; }
  }
  gx[i] = acc / f32(p.kh * p.kw);
}`,
};

/**
 * One invocation per (n, c) plane: the mean of its HW values, summed in f32. The f16 variant
 * (f16 inference) reads half-precision input and writes f32.
 */
function globalAvgPoolKernel(input: 'f32' | 'f16'): Kernel {
  return {
    name: 'globalAvgPool2d',
    code: /* wgsl */ `${input === 'f16' ? 'enable f16;' : ''}
struct Params { n: u32, HW: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<${input}>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.HW; k++) { s += f32(x[i * p.HW + k]); }
  y[i] = s / f32(p.HW);
}`,
  };
}

export const GLOBAL_AVG_POOL: Kernel = globalAvgPoolKernel('f32');
export const GLOBAL_AVG_POOL_F16: Kernel = globalAvgPoolKernel('f16');

export const GLOBAL_AVG_POOL_BACKWARD: Kernel = {
  name: 'globalAvgPool2dBackward',
  code: /* wgsl */ `
struct Params { n: u32, HW: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.n) { return; }
  gx[i] = g[i / p.HW] / f32(p.HW);
}`,
};
