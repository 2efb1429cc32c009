/**
 * The WebGPU device: fer-gpu's runtime on any `GPUDevice`. Its own job is the backend contract
 * (as jax-js's `Backend`): allocate from the buffer pool, record dispatches and copies (one open
 * compute pass per submit, a uniform ring, a pipeline cache), submit, and read back. The rest
 * lives elsewhere and the device only holds or fronts it: adapter discovery in dawn.ts (Node)
 * and navigator.ts (the browser), making a Device from an adapter in create.ts, tensor creation
 * in ../creation.ts, and the grad mode and tidy scopes in ../scope.ts.
 */
import { BufferPool } from './pool.js';
import { BufferUsage, MapMode } from './constants.js';
import { writeParams, type DispatchArgs, type DispatchProfiler, type Kernel, type Param } from './kernel.js';
import { GradMode, TidyScopes } from '../scope.js';
import { emptyTensor, fillTensor, tensorFromData } from '../creation.js';
import type { Tensor, TensorOptions } from '../tensor.js';

export { f32, i32, grid1d, type Kernel, type Param } from './kernel.js';

/** Backends dawn.node can be forced to. */
export type Backend = 'vulkan' | 'metal' | 'd3d12' | 'opengl' | 'opengles';

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
  /**
   * Whether Dawn bounds-checks every buffer access of every kernel (its "robustness"; Node's
   * createDevice says, and only `robustness: false` turns it off). Absent where fer-gpu did not
   * make the device (browsers always check).
   */
  robustness?: boolean;
  /** Features enabled on the device (e.g. 'shader-f16', 'timestamp-query', 'subgroups'). */
  features: string[];
  limits: Record<string, number>;
}

const UNIFORM_RING_BYTES = 1 << 18; // 256 KiB per submit

/**
 * A WebGPU device with fer-gpu's runtime: the buffer pool and command recording. Work is
 * recorded into one command encoder and submitted when results are read back (or `flush()` is
 * called), so a training step is one submit. `tensor()`, `empty()`, `full()`, `zeros()`,
 * `fill()`, `noGrad()` and `tidy()` are thin façades over creation.ts and scope.ts.
 */
export class Device {
  readonly info: DeviceInfo;
  /** The underlying GPUDevice, for advanced use. */
  readonly gpu: GPUDevice;
  /** @internal */ readonly pool: BufferPool;
  /** @internal whether autograd records operations (see noGrad). */ readonly grad = new GradMode();

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
  /** The open tidy scopes (see tidy). */
  private readonly scopes = new TidyScopes();
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
    this.keepAlive = options.keepAlive;
    this.ownsDevice = options.ownsDevice ?? true;
    this.gpu = device;
    this.info = info;
    this.maxTensorBytes = Math.min(
      device.limits.maxStorageBufferBindingSize,
      device.limits.maxBufferSize,
      options.maxTensorBytes ?? Infinity,
    );
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

  // ---------------------------------------------------------------- tensors (façades)

  /**
   * Creates a tensor from data (f32, NCHW, contiguous).
   * @example device.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true })
   */
  tensor(data: Float32Array | Int32Array | ArrayLike<number>, shape: readonly number[], options: TensorOptions = {}): Tensor {
    return tensorFromData(this, data, shape, options);
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
    return emptyTensor(this, shape, options, forUpload);
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
    fillTensor(t, value);
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
    return this.scopes.tidy(fn);
  }

  /** @internal registers a new tensor with the innermost tidy scope. */
  track(t: Tensor): void {
    this.scopes.track(t);
  }

  /** @internal removes a tensor from tidy scopes (it will outlive them). */
  untrack(t: Tensor): void {
    this.scopes.untrack(t);
  }

  /** GPU memory held by tensors, and by the pool in total (bytes). */
  memory(): { bytesInUse: number; bytesAllocated: number; peakBytesInUse: number; buffersCreated: number } {
    const p = this.pool;
    return {
      bytesInUse: p.bytesInUse,
      bytesAllocated: p.bytesAllocated,
      peakBytesInUse: p.peakBytesInUse,
      buffersCreated: p.buffersCreated,
    };
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
  dispatch(kernel: Kernel, args: DispatchArgs): void {
    this.assertUsable();
    const [x = 0, y = 1, z = 1] = args.workgroups; // none given: nothing to run
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
    const pass = this.profiler ? this.profiledPass(kernel, args) : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) pass.end();
    this.dispatches++;
  }

  // ------------------------------------------------------- profiling hook (see gpu/profile.ts)

  /**
   * @internal While set (by profileStep in gpu/profile.ts), each dispatch runs in its own compute
   * pass, begun by the profiler (which may add timestamp writes) and told the kernel and its args.
   */
  profiler: DispatchProfiler | null = null;

  private profiledPass(kernel: Kernel, args: DispatchArgs): GPUComputePassEncoder {
    this.endPass();
    return this.profiler!.beginPass(this.commandEncoder(), kernel, args);
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
