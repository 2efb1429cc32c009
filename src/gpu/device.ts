/**
 * The WebGPU device: adapter discovery through dawn.node, command recording (one open compute
 * pass per submit), a uniform ring, pipeline cache, buffer pool and read-back.
 */
import { create, globals } from 'webgpu';
import { BufferPool } from './pool.js';
import { BufferUsage, MapMode } from './constants.js';
import { bytesPerElement, Tensor, type TensorOptions, type DType } from '../tensor.js';
import { toHalfArray, toHalfBits } from './half.js';
import { GradMode } from '../autograd.js';
import { InputError } from '../errors.js';
import { softwareDriverHelp } from './software-driver.js';
import { withFilteredStderr } from './native-stderr.js';

/** Backends dawn.node can be forced to. */
export type Backend = 'vulkan' | 'metal' | 'd3d12' | 'opengl' | 'opengles';
const BACKENDS: readonly Backend[] = ['vulkan', 'metal', 'd3d12', 'opengl', 'opengles'];

export interface DeviceOptions {
  /** Force a backend (overrides the `FER_GPU_BACKEND` environment variable). */
  backend?: Backend;
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
  backend: Backend | 'default';
  featureLevel: 'core' | 'compatibility';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
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

/** Objects returned by dawn.node's create(): they must outlive every adapter, device and buffer. */
const liveInstances = new Set<GPU>();
let globalsInstalled = false;

function installGlobals(): void {
  if (globalsInstalled) return;
  // dawn.node exposes GPUBufferUsage, GPUMapMode, ... as globals like a browser would.
  for (const [k, v] of Object.entries(globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  globalsInstalled = true;
}

async function findAdapter(options: DeviceOptions): Promise<{
  instance: GPU;
  adapter: GPUAdapter;
  backend: Backend | 'default';
  featureLevel: 'core' | 'compatibility';
}> {
  installGlobals();
  const forced = options.backend ?? (process.env.FER_GPU_BACKEND as Backend | undefined);
  if (forced !== undefined && !BACKENDS.includes(forced)) {
    throw new InputError(`fer-gpu: unknown backend '${forced}'; expected one of ${BACKENDS.join(', ')}`);
  }
  const attempts: Array<{ backend: Backend | 'default'; featureLevel: 'core' | 'compatibility' }> = [];
  if (forced) {
    const gl = forced === 'opengl' || forced === 'opengles';
    if (!gl) attempts.push({ backend: forced, featureLevel: 'core' });
    attempts.push({ backend: forced, featureLevel: 'compatibility' });
  } else {
    attempts.push({ backend: 'default', featureLevel: 'core' });
    attempts.push({ backend: 'opengl', featureLevel: 'compatibility' });
    attempts.push({ backend: 'opengles', featureLevel: 'compatibility' });
  }
  const tried: string[] = [];
  for (const a of attempts) {
    if ((a.backend === 'opengl' || a.backend === 'opengles') && !process.env.EGL_PLATFORM) {
      process.env.EGL_PLATFORM = 'surfaceless'; // headless EGL (Mesa)
    }
    let instance: GPU;
    try {
      instance = create(a.backend === 'default' ? [] : [`backend=${a.backend}`]);
    } catch (e) {
      tried.push(`${a.backend}/${a.featureLevel}: ${(e as Error).message}`);
      continue;
    }
    liveInstances.add(instance);
    const adapter = await withFilteredStderr(() =>
      instance.requestAdapter({ featureLevel: a.featureLevel, powerPreference: options.powerPreference } as GPURequestAdapterOptions),
    );
    if (adapter) return { instance, adapter, ...a };
    liveInstances.delete(instance);
    tried.push(`${a.backend} backend, ${a.featureLevel} feature level: no adapter`);
  }
  throw new Error(`${softwareDriverHelp()}\nTried: ${tried.join('; ')}.`);
}

function guessBackend(requested: Backend | 'default', description: string): Backend | 'default' {
  if (requested !== 'default') return requested;
  if (/opengl/i.test(description)) return 'opengl';
  if (process.platform === 'darwin') return 'metal';
  if (process.platform === 'win32') return 'd3d12';
  return 'vulkan';
}

/**
 * Creates a WebGPU device. Tries the core feature level first, then compatibility on
 * OpenGL/GLES. `options.backend` or `FER_GPU_BACKEND` forces a backend.
 */
export async function createDevice(options: DeviceOptions = {}): Promise<Device> {
  const { instance, adapter, backend, featureLevel } = await findAdapter(options);
  // Request every limit the adapter offers: kernels choose tile sizes from them.
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, number>)[key];
    // Dawn clamps the dynamic-offset limits itself (and warns when asked for more).
    if (typeof v === 'number' && !key.startsWith('maxDynamic')) requiredLimits[key] = v;
  }
  const wanted = ['shader-f16', 'timestamp-query', 'subgroups', 'core-features-and-limits'];
  // request each feature only where the adapter has it
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f) && !options.disableFeatures?.includes(f)) as GPUFeatureName[];
  const gpuDevice = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info: DeviceInfo = {
    backend: guessBackend(backend, adapter.info.description),
    featureLevel,
    vendor: adapter.info.vendor,
    architecture: adapter.info.architecture,
    device: adapter.info.device,
    description: adapter.info.description,
    features: [...gpuDevice.features].sort(),
    limits: requiredLimits,
  };
  if (options.maxTensorBytes !== undefined && !(Number.isInteger(options.maxTensorBytes) && options.maxTensorBytes >= 256)) {
    throw new InputError(`createDevice: maxTensorBytes must be an integer >= 256, got ${options.maxTensorBytes}`);
  }
  return new Device(instance, adapter, gpuDevice, info, options.maxTensorBytes);
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

  private readonly instance: GPU; // keep referenced: dawn.node crashes if it is collected
  private readonly adapter: GPUAdapter;
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

  /** @internal use createDevice() */
  constructor(instance: GPU, adapter: GPUAdapter, device: GPUDevice, info: DeviceInfo, maxTensorBytes = Infinity) {
    this.instance = instance;
    this.adapter = adapter;
    this.gpu = device;
    this.info = info;
    this.maxTensorBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize, maxTensorBytes);
    this.pool = new BufferPool(device, this.maxTensorBytes);
    this.uniformAlign = device.limits.minUniformBufferOffsetAlignment;
    this.uniformRing = device.createBuffer({
      size: UNIFORM_RING_BYTES,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.error ??= new Error(`fer-gpu: WebGPU error: ${e.message}`);
    });
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

  /** Frees every buffer and the device; the process can exit afterwards. */
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
    this.gpu.destroy();
    // Release the instance only after the device is gone (see DEVELOPERS.md).
    setTimeout(() => liveInstances.delete(this.instance), 0).unref?.();
    void this.adapter;
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
