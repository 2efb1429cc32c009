/**
 * The CPU reference's tensor: plain data and a shape. References compute in f64 (they are the
 * oracle for tests and finite differences), and accept f32 input.
 */
export class CpuTensor {
  readonly size: number;
  constructor(
    readonly data: Float64Array,
    readonly shape: readonly number[],
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== this.size) {
      throw new Error(`CpuTensor: ${data.length} elements for shape [${shape.join(', ')}]`);
    }
  }

  /** Copies data (f32 or f64 or number[]) into a CpuTensor. */
  static from(data: ArrayLike<number>, shape: readonly number[]): CpuTensor {
    return new CpuTensor(Float64Array.from(data), shape);
  }

  static zeros(shape: readonly number[]): CpuTensor {
    return new CpuTensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape);
  }

  /** Same shape, data mapped element-wise. */
  map(fn: (v: number, i: number) => number): CpuTensor {
    return new CpuTensor(this.data.map(fn), this.shape);
  }
}

/** Anything the references accept as a tensor. */
export type CpuLike = CpuTensor;
