/** Shared test utilities: one device per test file, seeded data, tolerant comparison, finite differences */
import { afterAll, beforeAll, expect, onTestFinished } from 'vitest';
import { createDevice } from '../src/gpu/dawn.js';
import type { Device } from '../src/gpu/device.js';
import { CpuTensor } from '../src/reference/tensor.js';
import { Rng } from '../src/random.js';
import type { Tensor } from '../src/tensor.js';

/**
 * A device of the calling test's own, destroyed when the test ends: for tests that count
 * `memory().bytesInUse`, where tensors that earlier tests left to the garbage collector would go
 * back to a shared device's pool in the middle of the count.
 */
export async function ownDevice(): Promise<Device> {
  const d = await createDevice();
  onTestFinished(() => d.destroy());
  return d;
}

/** Creates one device for the test file and destroys it afterwards. */
export function useDevice(): () => Device {
  let device: Device | undefined;
  beforeAll(async () => {
    device = await createDevice();
  });
  afterAll(() => device?.destroy());
  return () => {
    if (!device) throw new Error('device not ready');
    return device;
  };
}

/** Seeded normal data of a shape, as a CPU tensor (f32-representable values). */
export function randn(shape: readonly number[], seed: number, std = 1): CpuTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return CpuTensor.from(new Rng(seed).normals(n, 0, std), shape);
}

/** Uploads a CPU tensor to the GPU. */
export function toGpu(device: Device, t: CpuTensor, requiresGrad = false): Tensor {
  return device.tensor(Float32Array.from(t.data), t.shape, { requiresGrad });
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| element-wise, reporting the worst
 * element. Default tolerance suits f32 GPU results against the f64 reference.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number> | CpuTensor,
  { atol = 1e-4, rtol = 1e-4, what = 'value' }: { atol?: number; rtol?: number; what?: string } = {},
): void {
  const exp = expected instanceof CpuTensor ? expected.data : expected;
  expect(actual.length, `${what}: length`).toBe(exp.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < exp.length; i++) {
    const a = actual[i]!;
    const e = exp[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= worstExcess) || Number.isNaN(a)) {
      worstExcess = Number.isNaN(a) ? Infinity : excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${exp[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/**
 * Central finite differences of the scalar L(x) = sum(gy * f(x)) with respect to x, in f64:
 * the gradient a backward of f must produce for upstream gradient gy.
 */
export function numericGrad(f: (x: CpuTensor) => CpuTensor, x: CpuTensor, gy: CpuTensor, eps = 1e-6): CpuTensor {
  const g = new Float64Array(x.size);
  const data = x.data;
  const loss = (): number => {
    const y = f(x);
    let s = 0;
    for (let i = 0; i < y.size; i++) s += gy.data[i]! * y.data[i]!;
    return s;
  };
  for (let i = 0; i < x.size; i++) {
    const v = data[i]!;
    data[i] = v + eps;
    const lp = loss();
    data[i] = v - eps;
    const lm = loss();
    data[i] = v;
    g[i] = (lp - lm) / (2 * eps);
  }
  return new CpuTensor(g, x.shape);
}
