/**
 * Tensor creation (PyTorch's creation ops): from data, uninitialised, or filled with a value.
 * `device.tensor()`, `device.empty()`, `device.full()`, `device.zeros()` and `device.fill()` are
 * façades over these; the device itself only allocates buffers and records dispatches.
 */
import type { Device } from './gpu/device.js';
import { f32, grid1d, i32, type Kernel } from './gpu/kernel.js';
import { toHalfArray, toHalfBits } from './gpu/half.js';
import { checkShape } from './shape.js';
import { bytesPerElement, Tensor, type DType, type TensorOptions } from './tensor.js';

/** A tensor holding `data` (f32 unless `options.dtype` or an Int32Array says otherwise). */
export function tensorFromData(
  device: Device,
  data: Float32Array | Int32Array | ArrayLike<number>,
  shape: readonly number[],
  options: TensorOptions = {},
): Tensor {
  const dtype: DType = options.dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
  const size = checkShape(shape, 'device.tensor');
  if (data.length !== size) {
    throw new Error(`device.tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
  }
  if (dtype === 'f16') device.requireF16('device.tensor');
  const typed =
    dtype === 'i32'
      ? Int32Array.from(data as ArrayLike<number>)
      : dtype === 'f16'
        ? toHalfArray(data)
        : data instanceof Float32Array
          ? data
          : Float32Array.from(data);
  if (dtype === 'i32' && !(data instanceof Int32Array)) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isInteger(data[i])) throw new Error(`device.tensor: i32 data has a non-integer ${data[i]} at index ${i}`);
    }
  }
  const t = emptyTensor(device, shape, { ...options, dtype }, true);
  device.write(t.buffer, typed);
  return t;
}

/** An uninitialised tensor (its contents are whatever the pooled buffer held). */
export function emptyTensor(device: Device, shape: readonly number[], options: TensorOptions = {}, forUpload = false): Tensor {
  const size = checkShape(shape, 'device.empty');
  const dtype = options.dtype ?? 'f32';
  const buffer = device.pool.acquire(Math.max(size, 1) * bytesPerElement(dtype), forUpload);
  return new Tensor(device, buffer, shape, dtype, options.requiresGrad ?? false);
}

/** Writes `value` into every element of t (recorded on the GPU, no upload). */
export function fillTensor(t: Tensor, value: number): void {
  if (t.dtype === 'f16') {
    // two halves per 32-bit word (the buffer is a whole number of words)
    const h = toHalfBits(value);
    const words = Math.ceil(t.size / 2);
    t.device.dispatch(FILL_KERNEL, { params: [words, (h | (h << 16)) >>> 0], buffers: [t.buffer], workgroups: grid1d(words, 256) });
    return;
  }
  t.device.dispatch(FILL_KERNEL, {
    params: [t.size, t.dtype === 'i32' ? i32(value) : f32(value)],
    buffers: [t.buffer],
    workgroups: grid1d(t.size, 256),
  });
}

const FILL_KERNEL: Kernel = {
  name: 'fill',
  code: /* wgsl */ `
struct Params { n: u32, value: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < p.n) { out[i] = p.value; }
}`,
};
