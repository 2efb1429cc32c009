import { createDevice } from '../../src/gpu/device.js';
const device = await createDevice();
const n = 1024;
const a = device.tensor(new Float32Array(n * n).fill(1), [n, n]);
const b = device.tensor(new Float32Array(n * n).fill(1), [n, n]);
const c = device.empty([n, n]);
const variants: Record<string, { code: string; wg: number[] }> = {
  vec4_4x4_lanecontig: {
    wg: [n / 4 / 16, n / 4 / 4],
    code: `
struct Params { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
@compute @workgroup_size(16, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x; // vec4 column
  let row = gid.y * 4u;
  let K4 = p.K / 4u; let N4 = p.N / 4u;
  var acc0 = vec4f(); var acc1 = vec4f(); var acc2 = vec4f(); var acc3 = vec4f();
  for (var k = 0u; k < K4; k++) {
    let a0 = a[(row + 0u) * K4 + k]; let a1 = a[(row + 1u) * K4 + k]; let a2 = a[(row + 2u) * K4 + k]; let a3 = a[(row + 3u) * K4 + k];
    let b0 = b[(k * 4u + 0u) * N4 + col]; let b1 = b[(k * 4u + 1u) * N4 + col]; let b2 = b[(k * 4u + 2u) * N4 + col]; let b3 = b[(k * 4u + 3u) * N4 + col];
    acc0 = fma(vec4f(a0.x), b0, fma(vec4f(a0.y), b1, fma(vec4f(a0.z), b2, fma(vec4f(a0.w), b3, acc0))));
    acc1 = fma(vec4f(a1.x), b0, fma(vec4f(a1.y), b1, fma(vec4f(a1.z), b2, fma(vec4f(a1.w), b3, acc1))));
    acc2 = fma(vec4f(a2.x), b0, fma(vec4f(a2.y), b1, fma(vec4f(a2.z), b2, fma(vec4f(a2.w), b3, acc2))));
    acc3 = fma(vec4f(a3.x), b0, fma(vec4f(a3.y), b1, fma(vec4f(a3.z), b2, fma(vec4f(a3.w), b3, acc3))));
  }
  c[(row + 0u) * N4 + col] = acc0; c[(row + 1u) * N4 + col] = acc1; c[(row + 2u) * N4 + col] = acc2; c[(row + 3u) * N4 + col] = acc3;
}`,
  },
  scalar_4x4_uniformrows: {
    wg: [n / 256, n / 4],
    code: `
struct Params { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.y * 4u;
  let col = wid.x * 256u + lid.x;
  var acc: array<f32, 16>;
  for (var k = 0u; k < p.K; k++) {
    let a0 = a[(row + 0u) * p.K + k]; let a1 = a[(row + 1u) * p.K + k]; let a2 = a[(row + 2u) * p.K + k]; let a3 = a[(row + 3u) * p.K + k];
    let b0 = b[k * p.N + col]; let b1 = b[k * p.N + col + 64u]; let b2 = b[k * p.N + col + 128u]; let b3 = b[k * p.N + col + 192u];
    acc[0] += a0 * b0; acc[1] += a0 * b1; acc[2] += a0 * b2; acc[3] += a0 * b3;
    acc[4] += a1 * b0; acc[5] += a1 * b1; acc[6] += a1 * b2; acc[7] += a1 * b3;
    acc[8] += a2 * b0; acc[9] += a2 * b1; acc[10] += a2 * b2; acc[11] += a2 * b3;
    acc[12] += a3 * b0; acc[13] += a3 * b1; acc[14] += a3 * b2; acc[15] += a3 * b3;
  }
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { c[(row + i) * p.N + col + j * 64u] = acc[i * 4u + j]; } }
}`,
  },
};
for (const [name, v] of Object.entries(variants)) {
  const k = { name, code: v.code };
  const run = () => device.dispatch(k, { params: [n, n, n], buffers: [a.buffer, b.buffer, c.buffer], workgroups: v.wg });
  run(); await device.sync();
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) { run(); await device.sync(); }
  const ms = (performance.now() - t0) / 3;
  const out = await c.toArray();
  console.log(name, ms.toFixed(1), 'ms', (2 * n ** 3 / ms / 1e6).toFixed(2), 'GFLOP/s', out[0], out[n * n - 1]);
}
device.destroy();
