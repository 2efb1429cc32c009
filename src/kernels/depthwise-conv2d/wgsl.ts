/**
 * The depthwise convolution kernel: one invocation per output element, the R x S taps unrolled
 * (R and S are baked into the source, so each kernel size gets its own pipeline). Bias and ReLU
 * are optional epilogues.
 */
import type { Kernel } from '../../gpu/device.js';
import { GRID_ARGS, LINEAR_INDEX } from '../wgsl.js';

const cache = new Map<string, Kernel>();

/** The kernel for an R x S filter, with or without bias and a fused ReLU. */
export function depthwiseKernel(R: number, S: number, bias: boolean, relu: boolean): Kernel {
  const key = `${R}x${S}${bias ? 'b' : ''}${relu ? 'r' : ''}`;
  let k = cache.get(key);
  if (k) return k;
  const taps: string[] = [];
  for (let r = 0; r < R; r++) {
    taps.push(`  { let h = h0 + ${r}; if (h >= 0 && h < i32(p.H)) {`);
    for (let s = 0; s < S; s++) {
      taps.push(
        `    { let w = w0 + ${s}; if (w >= 0 && w < i32(p.W)) { sum += wt[wb + ${r * S + s}u] * x[xb + u32(h) * p.W + u32(w)]; } }`,
      );
    }
    taps.push('  } }');
  }
  k = {
    name: `depthwiseConv2d${key}`,
    code: /* wgsl */ `
struct Params { total: u32, C: u32, H: u32, W: u32, P: u32, Q: u32, strideH: u32, strideW: u32, padTop: u32, padLeft: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
${bias ? '@group(0) @binding(3) var<storage, read> b: array<f32>;\n@group(0) @binding(4) var<storage, read_write> y: array<f32>;' : '@group(0) @binding(3) var<storage, read_write> y: array<f32>;'}
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= p.total) { return; }
  let q = i % p.Q;
  let pq = i / p.Q;
  let pp = pq % p.P;
  let nc = pq / p.P;
  let c = nc % p.C;
  let h0 = i32(pp * p.strideH) - i32(p.padTop);
  let w0 = i32(q * p.strideW) - i32(p.padLeft);
  let xb = nc * p.H * p.W;
  let wb = c * ${R * S}u;
  var sum = ${bias ? 'b[c]' : '0.0'};
${taps.join('\n')}
  y[i] = ${relu ? 'max(sum, 0.0)' : 'sum'};
}`,
  };
  cache.set(key, k);
  return k;
}
