import type { Kernel } from '../../gpu/device.js';

/**
 * One invocation per output pixel: bilinear sample of the colour-jittered source through the
 * inverse affine map (zero outside), random erasing, normalisation. Pixels arrive as packed
 * uint8 (4 per u32) so a batch upload is 2,304 bytes per image.
 */
export const AUGMENT_KERNEL: Kernel = {
  name: 'augmentNormalize',
  code: /* wgsl */ `
struct Params { n: u32, mean: f32, stdev: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;     // packed uint8, 576 words per image
@group(0) @binding(2) var<storage, read> sources: array<u32>;    // source image of each output
@group(0) @binding(3) var<storage, read> aug: array<f32>;        // 16 per output image
@group(0) @binding(4) var<storage, read_write> out: array<f32>;  // [n, 1, 48, 48]

const S: i32 = 48;

fn fetch(img: u32, x: i32, y: i32, o: u32) -> f32 {
  if (x < 0 || y < 0 || x >= S || y >= S) { return 0.0; }
  let k = img * 2304u + u32(y * S + x);
  let v = f32((pixels[k / 4u] >> (8u * (k % 4u))) & 255u) / 255.0;
  let m = aug[o + 8u] * aug[o + 6u];
  return clamp((v * aug[o + 6u] - m) * aug[o + 7u] + m, 0.0, 1.0);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n * 2304u) { return; }
  let img = i / 2304u;
  let x = i32(i % 48u);
  let y = i32((i / 48u) % 48u);
  let o = img * 16u;
  let fx = f32(x);
  let fy = f32(y);
  if (fx >= aug[o + 9u] && fx < aug[o + 11u] && fy >= aug[o + 10u] && fy < aug[o + 12u]) {
    out[i] = 0.0;
    return;
  }
  let sx = aug[o] * fx + aug[o + 1u] * fy + aug[o + 4u];
  let sy = aug[o + 2u] * fx + aug[o + 3u] * fy + aug[o + 5u];
  let x0 = i32(floor(sx));
  let y0 = i32(floor(sy));
  let ax = sx - f32(x0);
  let ay = sy - f32(y0);
  let src = sources[img];
  let g = (1.0 - ay) * ((1.0 - ax) * fetch(src, x0, y0, o) + ax * fetch(src, x0 + 1, y0, o)) +
          ay * ((1.0 - ax) * fetch(src, x0, y0 + 1, o) + ax * fetch(src, x0 + 1, y0 + 1, o));
  out[i] = (g - p.mean) / p.stdev;
}`,
};
