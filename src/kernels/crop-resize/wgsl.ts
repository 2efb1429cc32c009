/**
 * The crop-and-resize kernel: one invocation per output pixel of one crop, reading packed RGBA
 * pixels (one u32 each, R in the low byte) and writing 3 or 1 f32 planes. The taps are those of
 * cropTaps (shape.ts): two per axis for 'bilinear', a triangle window for 'antialias'.
 */
import type { Kernel } from '../../gpu/device.js';
import { BILINEAR_TAP } from '../resize-bilinear/wgsl.js';

export const CROP_RESIZE: Kernel = {
  name: 'cropResize',
  code: /* wgsl */ `
struct Params {
  imgW: u32, imgH: u32, OW: u32, OH: u32,
  bx: f32, by: f32, bw: f32, bh: f32,
  outBase: u32, gray: u32, antialias: u32, scale: f32,
  offset: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> img: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${BILINEAR_TAP}

fn pixel(px: i32, py: i32) -> vec3f {
  if (px < 0 || py < 0 || px >= i32(p.imgW) || py >= i32(p.imgH)) { return vec3f(0.0); }
  return unpack4x8unorm(img[u32(py) * p.imgW + u32(px)]).rgb * 255.0;
}

// Pillow's triangle window of output index i along an axis: first tap, tap count, centre, support.
fn window(i: u32, start: f32, len: f32, outSize: u32) -> vec4f {
  let scale = len / f32(outSize);
  let support = max(scale, 1.0);
  let center = start + (f32(i) + 0.5) * scale;
  let lo = floor(center - support + 0.5);
  let hi = floor(center + support + 0.5);
  return vec4f(lo, hi - lo, center, support);
}

fn tri(x: f32, w: vec4f) -> f32 { return max(0.0, 1.0 - abs(x + 0.5 - w.z) / w.w); }

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let i = gid.y;
  if (j >= p.OW || i >= p.OH) { return; }
  var rgb = vec3f(0.0);
  if (p.antialias == 0u) {
    let ox = i32(floor(p.bx));
    let oy = i32(floor(p.by));
    let tx = bilinearTap(j, max(1u, u32(ceil(p.bw))), p.OW, true);
    let ty = bilinearTap(i, max(1u, u32(ceil(p.bh))), p.OH, true);
    let top = mix(pixel(ox + i32(tx.x), oy + i32(ty.x)), pixel(ox + i32(tx.y), oy + i32(ty.x)), tx.z);
    let bottom = mix(pixel(ox + i32(tx.x), oy + i32(ty.y)), pixel(ox + i32(tx.y), oy + i32(ty.y)), tx.z);
    rgb = mix(top, bottom, ty.z);
  } else {
    let wx = window(j, p.bx, p.bw, p.OW);
    let wy = window(i, p.by, p.bh, p.OH);
    var sx = 0.0;
    for (var a = 0; a < i32(wx.y); a++) { sx += tri(wx.x + f32(a), wx); }
    var sy = 0.0;
    for (var b = 0; b < i32(wy.y); b++) {
      let yy = wy.x + f32(b);
      let wgt = tri(yy, wy);
      sy += wgt;
      if (wgt == 0.0) { continue; }
      var row = vec3f(0.0);
      for (var a = 0; a < i32(wx.y); a++) {
        let xx = wx.x + f32(a);
        row += tri(xx, wx) * pixel(i32(xx), i32(yy));
      }
      rgb += wgt * row;
    }
    if (sx > 0.0 && sy > 0.0) { rgb /= sx * sy; }
  }
  let plane = p.OW * p.OH;
  let at = p.outBase + i * p.OW + j;
  if (p.gray != 0u) {
    y[at] = dot(rgb, vec3f(${19595 / 65536}, ${38470 / 65536}, ${7471 / 65536})) * p.scale + p.offset;
  } else {
    y[at] = rgb.r * p.scale + p.offset;
    y[at + plane] = rgb.g * p.scale + p.offset;
    y[at + 2u * plane] = rgb.b * p.scale + p.offset;
  }
}`,
};
