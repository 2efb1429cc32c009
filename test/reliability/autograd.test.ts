/** Issue 14 item 12: backward() refuses a gradient tensor that lives on another device. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevice } from '../../src/gpu/dawn.js';
import type { Device } from '../../src/gpu/device.js';
import { relu } from '../../src/ops.js';

describe('backward(gradient)', () => {
  let a: Device;
  let b: Device;
  beforeAll(async () => {
    a = await createDevice();
    b = await createDevice();
  });
  afterAll(() => {
    a?.destroy();
    b?.destroy();
  });

  it('refuses a gradient from another device, and accepts one from the same device', async () => {
    const x = a.tensor(Float32Array.of(-1, 2, 3), [3], { requiresGrad: true });
    const y = relu(x);
    const foreign = b.tensor(Float32Array.of(1, 1, 1), [3]);
    expect(() => y.backward(foreign)).toThrow('backward: the gradient lives on another device than the tensor');
    expect(x.grad).toBeNull();
    const g = a.tensor(Float32Array.of(1, 1, 1), [3]);
    y.backward(g);
    expect(Array.from(await x.grad!.toArray())).toEqual([0, 1, 1]);
    for (const t of [x, y, foreign, g]) t.dispose();
  });
});
