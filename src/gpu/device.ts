/**
 * The WebGPU device: fer-gpu's runtime on any `GPUDevice` (command recording with one open
 * compute pass per submit, a uniform ring, pipeline cache, buffer pool and read-back). Adapter
 * discovery lives elsewhere: `dawn.ts` in Node, `navigator.ts` in the browser; this module is
 * platform-free.
 */
import { BufferPool } from './pool.js';
import { BufferUsage, MapMode } from './constants.js';
import { bytesPerElement, Tensor, type TensorOptions, type DType } from '../tensor.js';
import { toHalfArray, toHalfBits } from './half.js';
import { GradMode } from '../autograd.js';
import { InputError } from '../errors.js';

/** Backends dawn.node can be forced to. */
export type Backend = 'vulkan' | 'metal' | 'd3d12' | 'opengl' | 'opengles';

/** Options of every way to make a {@link Device} (Node's createDevice adds the Dawn backend). */
export interface CommonDeviceOptions {
  /** Passed to requestAdapter. */
  powerPreference?: GPUPowerPreference;
  /**
   * Caps the bytes of one tensor below the adapter's limit (min of maxStorageBufferBindingSize and
   * maxBufferSize): for tests of the paths that split work to fit it, without gigabyte tensors.
   */
  maxTensorBytes?: number;
  /**
   * Features not to request even where the adapter offers them (e.g. ['shader-f16'] to check
   * the f32-only paths and their errors on an adapter that has it).
   */
  disableFeatures?: string[];
}

/** What `device.info` tells about the adapter in use. */
export interface DeviceInfo {
  /** Dawn's backend in Node; 'browser' for a browser's WebGPU; 'default' where unknown. */
  backend: Backend | 'default' | 'browser';
  featureLevel: 'core' | 'compatibility';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software (fallback) adapter such as SwiftShader, where the browser says so. */
  isFallbackAdapter?: boolean;
  /** Features enabled on the device (e.g. 'shader-f16', 'timestamp-query', 'subgroups'). */
  features: string[];
  limits: Record<string, number>;
}

/** A compute kernel: WGSL source with one entry point. */
export interface Kernel {
  /** Short name for error messages and profiling. */
  name: string;
  /** WGSL source. Binding 0 is the uniform `params` when `params` are passed, then storage buffers in order. */
  code: string;
  /** Entry point (default `main`). */
  entry?: string;
}

/** A view of some words of a typed uniform block: numbers are u32 unless wrapped with f32(). */
export type Param = number | { f32: number } | { i32: number };
/** Wraps a number so it is written into the uniform block as an f32. */
export const f32 = (x: number): Param => ({ f32: x });
/** Wraps a number so it is written into the uniform block as an i32. */
export const i32 = (x: number): Param => ({ i32: x });

const UNIFORM_RING_BYTES = 1 << 18; // 256 KiB per submit

/** Features fer-gpu uses where the adapter has them. */
const WANTED_FEATURES = ['shader-f16', 'timestamp-query', 'subgroups', 'core-features-and-limits'];

/** How a Device came to be: set by the module that found the adapter. */
export interface DeviceOrigin {
  backend?: DeviceInfo['backend'];
  featureLevel?: DeviceInfo['featureLevel'];
  /** Kept referenced as long as the device lives (dawn.node's instance and adapter). */
  keepAlive?: unknown;
}

/**
 * Requests a device from an adapter with every limit the adapter offers (kernels choose tile
 * sizes from them) and the features fer-gpu uses that it has, and wraps it in a {@link Device}.
 */
export async function deviceFromAdapter(adapter: GPUAdapter, options: CommonDeviceOptions = {}, origin: DeviceOrigin = {}): Promise<Device> {
  checkMaxTensorBytes(options.maxTensorBytes);
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, number>)[key];
    // Dawn clamps the dynamic-offset limits itself (and warns when asked for more).
    if (typeof v === 'number' && !key.startsWith('maxDynamic')) requiredLimits[key] = v;
  }
  // request each feature only where the adapter has it
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f) && !options.disableFeatures?.includes(f)) as GPUFeatureName[];
  const gpuDevice = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const featureLevel = origin.featureLevel ?? (adapter.features.has('core-features-and-limits') ? 'core' : 'compatibility');
  const info = describe(adapter.info, gpuDevice, origin.backend ?? 'default', featureLevel);
  return new Device(gpuDevice, info, { maxTensorBytes: options.maxTensorBytes, keepAlive: [origin.keepAlive, adapter], ownsDevice: true });
}

/**
 * Wraps a WebGPU device or adapter the application already has (for example one shared with its
 * renderer) as a fer-gpu {@link Device}. From an adapter, it requests a device as `createDevice`
 * does. A `GPUDevice` is used as it is: fer-gpu's kernels respect its limits, and the f16 paths
 * need it to have been requested with 'shader-f16'; `destroy()` then frees fer-gpu's buffers but
 * leaves the `GPUDevice` to its owner.
 *
 * @example
 * const adapter = await navigator.gpu.requestAdapter();
 * const gpuDevice = await adapter.requestDevice();
 * const device = await createDeviceFromGPU(gpuDevice);
 */
export async function createDeviceFromGPU(source: GPUDevice | GPUAdapter, options: Pick<CommonDeviceOptions, 'maxTensorBytes' | 'disableFeatures'> = {}): Promise<Device> {
  if (isAdapter(source)) return deviceFromAdapter(source, options);
  if (!source || typeof (source as GPUDevice).createComputePipeline !== 'function') {
    throw new InputError('createDeviceFromGPU: expected a GPUDevice or a GPUAdapter');
  }
  checkMaxTensorBytes(options.maxTensorBytes);
  const gpuDevice = source as GPUDevice;
  const adapterInfo = (gpuDevice as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const featureLevel = gpuDevice.features.has('core-features-and-limits') ? 'core' : 'compatibility';
  const info = describe(adapterInfo, gpuDevice, typeof navigator !== 'undefined' && 'gpu' in navigator ? 'browser' : 'default', featureLevel);
  return new Device(gpuDevice, info, { maxTensorBytes: options.maxTensorBytes, ownsDevice: false });
}

/** Invocations in the 1-D workgroups of the fixed-size kernels (elementwise, reductions, optimizers). */
const FIXED_WORKGROUP = 256;

/** fer-gpu's kernels need what every core WebGPU device has by default; a clear error otherwise. */
function checkLimits(limits: GPUSupportedLimits): void {
  const wg = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  if (wg < FIXED_WORKGROUP) {
    throw new InputError(
      `fer-gpu: this GPUDevice allows workgroups of ${wg} invocations (maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}, ` +
        `maxComputeWorkgroupSizeX ${limits.maxComputeWorkgroupSizeX}); fer-gpu's kernels need ${FIXED_WORKGROUP}: request the device with the adapter's limits, or pass the adapter to createDeviceFromGPU`,
    );
  }
}

function isAdapter(x: unknown): x is GPUAdapter {
  return !!x && typeof (x as GPUAdapter).requestDevice === 'function';
}

function checkMaxTensorBytes(v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 256)) {
    throw new InputError(`createDevice: maxTensorBytes must be an integer >= 256, got ${v}`);
  }
}

/** DeviceInfo from what the adapter says and what the device got. */
function describe(
  adapterInfo: GPUAdapterInfo | undefined,
  gpuDevice: GPUDevice,
  backend: DeviceInfo['backend'],
  featureLevel: DeviceInfo['featureLevel'],
): DeviceInfo {
  const limits: Record<string, number> = {};
  for (const key in gpuDevice.limits) {
    const v = (gpuDevice.limits as unknown as Record<string, number>)[key];
    if (typeof v === 'number') limits[key] = v;
  }
  const fallback = (adapterInfo as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter;
  return {
    backend,
    featureLevel,
    vendor: adapterInfo?.vendor ?? '',
    architecture: adapterInfo?.architecture ?? '',
    device: adapterInfo?.device ?? '',
    description: adapterInfo?.description ?? '',
    ...(fallback !== undefined ? { isFallbackAdapter: fallback } : {}),
    features: [...gpuDevice.features].sort(),
    limits,
  };
}

/** A pending read-back or error check that resolves after a submit. */
interface ScopeFrame {
  tensors: Tensor[];
}

/**
 * A WebGPU device with fer-gpu's runtime: tensors, the buffer pool, and command recording.
 * Work is recorded into one command encoder and submitted when results are read back (or
 * `flush()` is called), so a training step is one submit.
 */
export class Device {
  readonly info: DeviceInfo;
  /** The underlying GPUDevice, for advanced use. */
  readonly gpu: GPUDevice;
  /** @internal */ readonly pool: BufferPool;
  /** @internal */ readonly grad = new GradMode();

  /** What must stay referenced while the device lives (dawn.node crashes if its instance is collected). */
  private keepAlive: unknown;
  /** False for a GPUDevice the application lent us (createDeviceFromGPU): destroy() leaves it alive. */
  private readonly ownsDevice: boolean;
  private readonly onUncapturedError: (ev: Event) => void;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly uniformRing: GPUBuffer;
  private readonly uniformData = new ArrayBuffer(UNIFORM_RING_BYTES);
  private uniformUsed = 0;
  private readonly uniformAlign: number;
  private readonly stagingFree: GPUBuffer[] = [];
  private readonly scopes: ScopeFrame[] = [];
  private error: Error | null = null;
  private lost = false;
  private destroyed = false;
  /** Number of queue submits so far. */
  submits = 0;
  /** Number of kernel dispatches so far. */
  dispatches = 0;

  /**
   * The most bytes one tensor may hold: the adapter's maxStorageBufferBindingSize (and
   * maxBufferSize), or createDevice's smaller maxTensorBytes. Eval-mode inference without
   * gradients splits larger batches (FerResNet18.forward).
   */
  readonly maxTensorBytes: number;

  /** @internal use createDevice() or createDeviceFromGPU() */
  constructor(device: GPUDevice, info: DeviceInfo, options: { maxTensorBytes?: number; keepAlive?: unknown; ownsDevice?: boolean } = {}) {
    checkLimits(device.limits);
    this.keepAlive = options.keepAlive;
    this.ownsDevice = options.ownsDevice ?? true;
    this.gpu = device;
    this.info = info;
    this.maxTensorBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize, options.maxTensorBytes ?? Infinity);
    this.pool = new BufferPool(device, this.maxTensorBytes);
    this.uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    this.uniformRing = device.createBuffer({
      size: UNIFORM_RING_BYTES,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    this.onUncapturedError = (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.error ??= new Error(`fer-gpu: WebGPU error: ${e.message}`);
    };
    device.addEventListener('uncapturederror', this.onUncapturedError);
    void device.lost.then((l) => {
      this.lost = true;
      if (!this.destroyed) this.error ??= new Error(`fer-gpu: GPU device lost (${l.reason}): ${l.message}`);
    });
  }

  /** Throws the first validation/uncaptured error or device loss seen so far. */
  checkErrors(): void {
    if (this.destroyed) throw new Error('fer-gpu: the device was destroyed');
    if (this.error) {
      const e = this.error;
      this.error = null;
      throw e;
    }
    if (this.lost) throw new Error('fer-gpu: GPU device lost');
  }

  // ---------------------------------------------------------------- tensors

  /**
   * Creates a tensor from data (f32, NCHW, contiguous).
   * @example device.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true })
   */
  tensor(data: Float32Array | Int32Array | ArrayLike<number>, shape: readonly number[], options: TensorOptions = {}): Tensor {
    const dtype: DType = options.dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
    const size = checkShape(shape, 'device.tensor');
    if (data.length !== size) {
      throw new Error(`device.tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    }
    if (dtype === 'f16') this.requireF16('device.tensor');
    const typed =
      dtype === 'i32' ? Int32Array.from(data as ArrayLike<number>)
      : dtype === 'f16' ? toHalfArray(data)
      : data instanceof Float32Array ? data : Float32Array.from(data);
    if (dtype === 'i32' && !(data instanceof Int32Array)) {
      for (let i = 0; i < data.length; i++) {
        if (!Number.isInteger(data[i])) throw new Error(`device.tensor: i32 data has a non-integer ${data[i]} at index ${i}`);
      }
    }
    const t = this.empty(shape, { ...options, dtype }, true);
    this.write(t.buffer, typed);
    return t;
  }

  /** @internal throws unless the device has 'shader-f16' (f16 tensors and kernels need it). */
  requireF16(what: string): void {
    if (!this.info.features.includes('shader-f16')) {
      throw new Error(
        `${what}: f16 needs the WebGPU feature 'shader-f16', which this adapter (${this.info.description || this.info.device}) does not offer; use f32`,
      );
    }
  }

  /** An uninitialised tensor (its contents are whatever the pooled buffer held). */
  empty(shape: readonly number[], options: TensorOptions = {}, forUpload = false): Tensor {
    const size = checkShape(shape, 'device.empty');
    const dtype = options.dtype ?? 'f32';
    const buffer = this.pool.acquire(Math.max(size, 1) * bytesPerElement(dtype), forUpload);
    return new Tensor(this, buffer, shape, dtype, options.requiresGrad ?? false);
  }

  /** A tensor filled with `value`. */
  full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
    const t = this.empty(shape, options);
    this.fill(t, value);
    return t;
  }

  /** A tensor of zeros. */
  zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
    return this.full(shape, 0, options);
  }

  /** Writes `value` into every element of t (recorded on the GPU, no upload). */
  fill(t: Tensor, value: number): void {
    if (t.dtype === 'f16') {
      // two halves per 32-bit word (the buffer is a whole number of words)
      const h = toHalfBits(value);
      const words = Math.ceil(t.size / 2);
      this.dispatch(FILL_KERNEL, { params: [words, (h | (h << 16)) >>> 0], buffers: [t.buffer], workgroups: grid1d(words, 256) });
      return;
    }
    this.dispatch(FILL_KERNEL, {
      params: [t.size, t.dtype === 'i32' ? i32(value) : f32(value)],
      buffers: [t.buffer],
      workgroups: grid1d(t.size, 256),
    });
  }

  /**
   * Runs fn with gradient recording off (PyTorch's `torch.no_grad()`).
   */
  noGrad<T>(fn: () => T): T {
    return this.grad.without(fn);
  }

  /**
   * Runs fn and disposes every tensor created inside it except those it returns (in an
   * array or object too) — the same idea as TensorFlow.js's tf.tidy. Parameters, gradients
   * of leaf tensors and optimizer state are never disposed by it. Call `backward()` inside the
   * same tidy as the forward pass: the intermediates it needs are disposed at its end.
   */
  tidy<T>(fn: () => T): T {
    const frame: ScopeFrame = { tensors: [] };
    this.scopes.push(frame);
    let result: T;
    try {
      result = fn();
    } finally {
      this.scopes.pop();
    }
    if (result instanceof Promise) {
      throw new Error('device.tidy: fn must be synchronous (await outside tidy)');
    }
    const keep = new Set<Tensor>();
    collectTensors(result, keep);
    for (const t of frame.tensors) {
      if (keep.has(t)) {
        this.scopes.at(-1)?.tensors.push(t); // belongs to the enclosing scope now
      } else {
        t.dispose();
      }
    }
    return result;
  }

  /** @internal registers a new tensor with the innermost tidy scope. */
  track(t: Tensor): void {
    this.scopes.at(-1)?.tensors.push(t);
  }

  /** @internal removes a tensor from tidy scopes (it will outlive them). */
  untrack(t: Tensor): void {
    for (const s of this.scopes) {
      const i = s.tensors.lastIndexOf(t);
      if (i >= 0) s.tensors.splice(i, 1);
    }
  }

  /** GPU memory held by tensors, and by the pool in total (bytes). */
  memory(): { bytesInUse: number; bytesAllocated: number; peakBytesInUse: number; buffersCreated: number } {
    const p = this.pool;
    return { bytesInUse: p.bytesInUse, bytesAllocated: p.bytesAllocated, peakBytesInUse: p.peakBytesInUse, buffersCreated: p.buffersCreated };
  }

  // ---------------------------------------------------------------- commands

  /** @internal a cached compute pipeline for a kernel. */
  pipeline(kernel: Kernel): GPUComputePipeline {
    const key = `${kernel.entry ?? 'main'}\n${kernel.code}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.gpu.createShaderModule({ label: kernel.name, code: kernel.code });
      p = this.gpu.createComputePipeline({
        label: kernel.name,
        layout: 'auto',
        compute: { module, entryPoint: kernel.entry ?? 'main' },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Records one dispatch of a kernel. Binding 0 is the uniform block built from `params`
   * (when given); storage buffers follow in order.
   */
  dispatch(
    kernel: Kernel,
    args: { params?: readonly Param[]; buffers: readonly GPUBuffer[]; workgroups: readonly number[] },
  ): void {
    this.assertUsable();
    const [x, y = 1, z = 1] = args.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const maxWg = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg) {
      throw new RangeError(`${kernel.name}: dispatch [${x}, ${y}, ${z}] exceeds ${maxWg} workgroups per dimension`);
    }
    const pipeline = this.pipeline(kernel);
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    if (args.params) {
      const bytes = Math.max(16, Math.ceil((args.params.length * 4) / 16) * 16);
      if (this.uniformUsed + bytes > UNIFORM_RING_BYTES) this.flush();
      const offset = this.uniformUsed;
      writeParams(this.uniformData, offset, args.params);
      this.uniformUsed = Math.ceil((offset + bytes) / this.uniformAlign) * this.uniformAlign;
      entries.push({ binding: binding++, resource: { buffer: this.uniformRing, offset, size: bytes } });
    }
    for (const b of args.buffers) {
      this.pool.touch(b);
      entries.push({ binding: binding++, resource: { buffer: b } });
    }
    const bindGroup = this.gpu.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
  }

  /** @internal records a buffer-to-buffer copy. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.assertUsable();
    this.endPass();
    this.pool.touch(src);
    this.pool.touch(dst);
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** @internal uploads data into a buffer acquired with forUpload. */
  write(buffer: GPUBuffer, data: Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array): void {
    this.assertUsable();
    this.gpu.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, Math.ceil(data.byteLength / 4) * 4);
  }

  /** Submits all recorded work to the GPU. */
  flush(): void {
    if (this.destroyed) return;
    this.endPass();
    if (!this.encoder) return;
    if (this.uniformUsed > 0) {
      this.gpu.queue.writeBuffer(this.uniformRing, 0, this.uniformData, 0, this.uniformUsed);
      this.uniformUsed = 0;
    }
    this.gpu.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.submits++;
    this.pool.epoch++;
  }

  /** Waits until the GPU has finished all submitted work; throws any error it reported. */
  async sync(): Promise<void> {
    this.flush();
    await this.gpu.queue.onSubmittedWorkDone();
    this.checkErrors();
  }

  /** @internal reads bytes back from a buffer (submits pending work first). */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.assertUsable();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.takeStaging(size);
    this.copy(buffer, staging, size);
    this.flush();
    try {
      await staging.mapAsync(MapMode.READ, 0, size);
    } catch (e) {
      this.checkErrors();
      throw e;
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.stagingFree.push(staging);
    this.checkErrors();
    return out;
  }

  private takeStaging(size: number): GPUBuffer {
    const i = this.stagingFree.findIndex((b) => b.size >= size && b.size <= size * 4);
    if (i >= 0) return this.stagingFree.splice(i, 1)[0]!;
    if (this.stagingFree.length > 8) this.stagingFree.shift()!.destroy();
    return this.gpu.createBuffer({ size: Math.max(256, size), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.gpu.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private assertUsable(): void {
    if (this.destroyed) throw new Error('fer-gpu: the device was destroyed');
    if (this.lost) throw new Error('fer-gpu: GPU device lost');
  }

  /**
   * Frees every buffer and the device (not a GPUDevice lent by the application to
   * createDeviceFromGPU); the process can exit afterwards.
   */
  destroy(): void {
    if (this.destroyed) return;
    try {
      this.flush();
    } catch {
      // errors at shutdown have nowhere to go
    }
    this.destroyed = true;
    this.pool.destroy();
    for (const b of this.stagingFree) b.destroy();
    this.stagingFree.length = 0;
    this.uniformRing.destroy();
    this.pipelines.clear();
    this.gpu.removeEventListener('uncapturederror', this.onUncapturedError);
    if (this.ownsDevice) this.gpu.destroy();
    // Release what kept the adapter alive only after the device is gone.
    setTimeout(() => (this.keepAlive = undefined), 0).unref?.();
  }
}

// ------------------------------------------------------------------ helpers

function checkShape(shape: readonly number[], op: string): number {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of integers`);
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape [${shape.join(', ')}]`);
    size *= d;
  }
  return size;
}

function writeParams(data: ArrayBuffer, offset: number, params: readonly Param[]): void {
  const view = new DataView(data, offset);
  params.forEach((p, i) => {
    if (typeof p === 'number') {
      if (!Number.isInteger(p) || p < 0 || p > 0xffffffff) throw new Error(`kernel param ${i} (${p}) is not a u32`);
      view.setUint32(i * 4, p, true);
    } else if ('f32' in p) view.setFloat32(i * 4, p.f32, true);
    else view.setInt32(i * 4, p.i32, true);
  });
}

function collectTensors(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collectTensors(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
  }
}

/**
 * Workgroup counts for `n` invocations in workgroups of `size`, folded into 2D when more than
 * 65,535 workgroups are needed. Kernels recover the index with `linearIndex()` (see wgsl.ts).
 */
export function grid1d(n: number, size: number): [number, number] {
  const groups = Math.ceil(n / size);
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
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
