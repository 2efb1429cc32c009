import type { Kernel } from '../../gpu/device.js';

/** Number of features per image written by {@link IMAGE_FEATURES_KERNEL} (see IMAGE_FEATURE_NAMES). */
export const FEATURES_PER_IMAGE = 6;

/**
 * One workgroup of 64 invocations per 48x48 uint8 image (pixels packed 4 per u32). Each invocation
 * accumulates 36 pixels and the 3x3 Laplacian of its interior pixels into integers and a shared
 * 256-bin histogram (workgroup atomics); invocation 0 then reduces the 64 partial sums. Three
 * barriers per image, all sums exact in 32-bit integers; variances are formed as
 * (S2 - S1^2/M)/M with S1 = qM + r, so no large f32 cancellation happens.
 * Output per image: mean, std, Laplacian variance, histogram entropy (bits), clipped share, blank flag.
 */
export const IMAGE_FEATURES_KERNEL: Kernel = {
  name: 'imageFeatures',
  code: /* wgsl */ `
struct Params { n: u32, blankStd: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;      // packed uint8, 576 words per image
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // [n, 6]

const S: u32 = 48u;
const N: u32 = 2304u;
const T: u32 = 64u;

var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> pSum: array<u32, 64>;
var<workgroup> pSq: array<u32, 64>;
var<workgroup> pLap: array<i32, 64>;
var<workgroup> pLapSq: array<u32, 64>;
var<workgroup> pClip: array<u32, 64>;

fn px(base: u32, x: u32, y: u32) -> i32 {
  let k = base + y * S + x;
  return i32((pixels[k / 4u] >> (8u * (k % 4u))) & 255u);
}

// (S2 - S1^2 / M) / M for integer sums, exact up to the final f32 roundings.
fn variance(s1abs: u32, s2: u32, m: u32) -> f32 {
  let q = s1abs / m;
  let r = s1abs % m;
  let d = s2 - q * q * m - 2u * q * r;
  return max((f32(d) - f32(r * r) / f32(m)) / f32(m), 0.0);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let img = wg.x + wg.y * nwg.x;   // uniform across the workgroup
  for (var b = t; b < 256u; b += T) { atomicStore(&hist[b], 0u); }
  workgroupBarrier();
  var sum = 0u; var sq = 0u; var lap = 0i; var lapSq = 0u; var clip = 0u;
  if (img < p.n) {
    let base = img * N;
    for (var i = t; i < N; i += T) {
      let x = i % S;
      let y = i / S;
      let v = px(base, x, y);
      sum += u32(v);
      sq += u32(v * v);
      if (v == 0 || v == 255) { clip += 1u; }
      atomicAdd(&hist[v], 1u);
      if (x > 0u && y > 0u && x < S - 1u && y < S - 1u) {
        let l = px(base, x - 1u, y) + px(base, x + 1u, y) + px(base, x, y - 1u) + px(base, x, y + 1u) - 4 * v;
        lap += l;
        lapSq += u32(l * l);
      }
    }
  }
  pSum[t] = sum; pSq[t] = sq; pLap[t] = lap; pLapSq[t] = lapSq; pClip[t] = clip;
  workgroupBarrier();
  if (t != 0u || img >= p.n) { return; }
  var s1 = 0u; var s2 = 0u; var l1 = 0i; var l2 = 0u; var c = 0u;
  for (var k = 0u; k < T; k++) { s1 += pSum[k]; s2 += pSq[k]; l1 += pLap[k]; l2 += pLapSq[k]; c += pClip[k]; }
  var entropy = 0.0;
  for (var b = 0u; b < 256u; b++) {
    let h = atomicLoad(&hist[b]);
    if (h > 0u) { let q = f32(h) / f32(N); entropy -= q * log2(q); }
  }
  let sd = sqrt(variance(s1, s2, N));
  let o = img * 6u;
  out[o] = f32(s1) / f32(N);
  out[o + 1u] = sd;
  out[o + 2u] = variance(u32(abs(l1)), l2, (S - 2u) * (S - 2u));
  out[o + 3u] = entropy;
  out[o + 4u] = f32(c) / f32(N);
  out[o + 5u] = select(0.0, 1.0, sd < p.blankStd);
}`,
};
