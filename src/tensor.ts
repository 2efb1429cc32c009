/**
 * GPU tensors: f32 (or i32 for class ids), NCHW, contiguous, with reverse-mode autograd.
 */
import type { Device } from './gpu/device.js';
import { record, type GradNode } from './autograd.js';
import { runBackward } from './backward.js';
import { sameShape } from './shape.js';
import { fromHalfArray } from './gpu/half.js';

export { sameShape, fmtShape } from './shape.js';

/**
 * Element types: 'f32'; 'i32' for class ids; 'f16' (half precision, on adapters with the
 * 'shader-f16' feature) for the activations and weights of f16 inference (Module.half()).
 */
export type DType = 'f32' | 'i32' | 'f16';

/** Bytes per element of a dtype. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'f16' ? 2 : 4;
}

export interface TensorOptions {
  /** Record operations on this tensor so `backward()` can compute its gradient. */
  requiresGrad?: boolean;
  /** Element type; 'i32' is for class ids. */
  dtype?: DType;
}

/** A GPU buffer shared by a tensor and its views (reshape/detach). */
export class Storage {
  refs = 1;
  constructor(readonly buffer: GPUBuffer) {}
}

/** Returns storage to the pool when a tensor that was never disposed is garbage-collected. */
const collected = new FinalizationRegistry<{ device: Device; storage: Storage }>(({ device, storage }) => {
  releaseStorage(device, storage);
});

function releaseStorage(device: Device, storage: Storage): void {
  if (--storage.refs === 0) device.pool.release(storage.buffer);
}

let nextId = 1;

export class Tensor {
  /** Dimensions, outermost first (NCHW for images). */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  readonly dtype: DType;
  /** Unique id (for debugging). */
  readonly id = nextId++;
  /** True when autograd computes a gradient for this tensor. */
  requiresGrad: boolean;
  /** Gradient accumulated by `backward()` (leaf tensors only, as in PyTorch). */
  grad: Tensor | null = null;
  /** @internal the operation that produced this tensor (null for leaves). */
  gradFn: GradNode | null = null;
  private storage: Storage | null;
  private readonly token = {};

  /** @internal use device.tensor()/device.empty() */
  constructor(
    readonly device: Device,
    buffer: GPUBuffer | Storage,
    shape: readonly number[],
    dtype: DType,
    requiresGrad: boolean,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = shape.reduce((a, b) => a * b, 1);
    this.dtype = dtype;
    this.requiresGrad = requiresGrad;
    if (requiresGrad && dtype !== 'f32') throw new Error('Only f32 tensors can require gradients');
    this.storage = buffer instanceof Storage ? buffer : new Storage(buffer);
    collected.register(this, { device, storage: this.storage }, this.token);
    device.track(this);
  }

  /** The GPU buffer holding the data. Throws if the tensor was disposed. */
  get buffer(): GPUBuffer {
    if (!this.storage) throw new Error(`Tensor #${this.id} [${this.shape.join(', ')}] was disposed`);
    return this.storage.buffer;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storage === null;
  }

  /** A tensor without a grad_fn (a leaf, as PyTorch calls it). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Copies the data back to the CPU (submits pending GPU work); f16 and i32 data as f32 values. */
  async toArray(): Promise<Float32Array> {
    if (this.dtype === 'i32') return Float32Array.from(await this.toInt32Array());
    if (this.dtype === 'f16') return fromHalfArray(new Uint16Array(await this.device.read(this.buffer, this.size * 2)));
    return new Float32Array(await this.device.read(this.buffer, this.size * 4));
  }

  /** Copies i32 data back to the CPU. */
  async toInt32Array(): Promise<Int32Array> {
    if (this.dtype !== 'i32') throw new Error(`toInt32Array: tensor is ${this.dtype}`);
    return new Int32Array(await this.device.read(this.buffer, this.size * 4));
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements, not 1`);
    return (await this.toArray())[0]!;
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires grad and
   * accumulates them into their `.grad`. Seeded with 1 for a one-element tensor, or with
   * `gradient` (same shape), as PyTorch's `Tensor.backward`.
   */
  backward(gradient?: Tensor): void {
    if (!this.requiresGrad) {
      throw new Error('backward: tensor does not require grad and has no grad_fn');
    }
    if (gradient === undefined && this.size !== 1) {
      throw new Error(
        `backward: grad can be implicitly created only for one-element outputs; this one has shape [${this.shape.join(', ')}]`,
      );
    }
    if (gradient && gradient.device !== this.device) {
      throw new Error('backward: the gradient lives on another device than the tensor');
    }
    if (gradient && !sameShape(gradient.shape, this.shape)) {
      throw new Error(`backward: gradient shape [${gradient.shape.join(', ')}] does not match tensor shape [${this.shape.join(', ')}]`);
    }
    runBackward(this, gradient);
  }

  /** A view with another shape of the same number of elements (no copy). */
  reshape(shape: readonly number[]): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== this.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`reshape: cannot view [${this.shape.join(', ')}] as [${shape.join(', ')}]`);
    }
    const view = this.view(shape, false);
    const inShape = this.shape;
    return recordView(view, this, (g) => [g.reshape(inShape)]);
  }

  /** A view that shares data but is cut from the graph (PyTorch's `detach`). */
  detach(): Tensor {
    return this.view(this.shape, false);
  }

  private view(shape: readonly number[], requiresGrad: boolean): Tensor {
    const storage = this.storage;
    if (!storage) throw new Error(`Tensor #${this.id} was disposed`);
    storage.refs++;
    return new Tensor(this.device, storage, shape, this.dtype, requiresGrad);
  }

  /** Returns the GPU memory to the pool. Using the tensor afterwards throws. */
  dispose(): void {
    if (!this.storage) return;
    collected.unregister(this.token);
    releaseStorage(this.device, this.storage);
    this.storage = null;
    this.gradFn = null;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  toString(): string {
    return `Tensor(#${this.id}, [${this.shape.join(', ')}], ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

function recordView(view: Tensor, input: Tensor, backward: (g: Tensor) => Array<Tensor | null>): Tensor {
  return record(view, 'reshape', [input], backward);
}
