import { describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { createDevice } from '../../src/gpu/dawn.js';
import { createDeviceFromGPU } from '../../src/gpu/create.js';
import { InputError } from '../../src/errors.js';
import { sizeClass } from '../../src/gpu/pool.js';

describe('device', () => {
  it('finds an adapter and reports its info and limits', async () => {
    const d = await createDevice();
    expect(['vulkan', 'metal', 'd3d12', 'opengl', 'opengles']).toContain(d.info.backend);
    expect(d.info.featureLevel).toMatch(/core|compatibility/);
    expect(d.info.description.length).toBeGreaterThan(0);
    expect(d.info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
    d.destroy();
  });

  it('falls back to the compatibility feature level on OpenGL when forced', async () => {
    const d = await createDevice({ backend: 'opengl' });
    expect(d.info).toMatchObject({ backend: 'opengl', featureLevel: 'compatibility' });
    const t = d.tensor([1, 2, 3], [3]);
    expect(Array.from(await t.toArray())).toEqual([1, 2, 3]);
    d.destroy();
  });

  it('rejects an unknown backend with an input error', async () => {
    await expect(createDevice({ backend: 'glide' as never })).rejects.toThrow(InputError);
  });

  it('turns WebGPU validation errors into exceptions', async () => {
    const d = await createDevice();
    d.dispatch({ name: 'broken', code: 'this is not WGSL' }, { buffers: [], workgroups: [1] });
    await expect(d.sync()).rejects.toThrow(/WebGPU error/);
    d.destroy();
  });

  it('throws when used after destroy', async () => {
    const d = await createDevice();
    const t = d.tensor([1], [1]);
    d.destroy();
    expect(() => d.tensor([1], [1])).toThrow(/destroyed/);
    await expect(t.toArray()).rejects.toThrow(/destroyed/);
  });

  it('pools buffers by size class and reports memory', async () => {
    const d = await createDevice();
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(5000)).toBe(5120);
    const a = d.zeros([1000]);
    const m1 = d.memory();
    a.dispose();
    const b = d.zeros([990]); // same size class: reused
    expect(d.memory().buffersCreated).toBe(m1.buffersCreated);
    expect(d.memory().bytesInUse).toBe(m1.bytesInUse);
    b.dispose();
    d.destroy();
  });

  it('checks tensor data against the shape, and backward seeds like PyTorch', async () => {
    const d = await createDevice();
    expect(() => d.tensor([1, 2], [3])).toThrow(/2 elements but shape \[3\] needs 3/);
    expect(() => d.tensor([1.5], [1], { dtype: 'i32' })).toThrow(/non-integer/);
    const x = d.tensor([1, 2], [2], { requiresGrad: true });
    expect(() => x.backward()).toThrow(/only for one-element outputs/);
    expect(() => d.tensor([1], [1]).backward()).toThrow(/does not require grad/);
    d.destroy();
  });

  it('wraps an adapter or a GPUDevice the application has (createDeviceFromGPU)', async () => {
    const gpu = create([]); // stays referenced until the end of the test (dawn.node needs it)
    const adapter = (await gpu.requestAdapter())!;
    const fromAdapter = await createDeviceFromGPU(adapter);
    expect(fromAdapter.info.limits.maxComputeInvocationsPerWorkgroup).toBe(adapter.limits.maxComputeInvocationsPerWorkgroup);
    expect(Array.from(await fromAdapter.tensor([1, 2], [2]).toArray())).toEqual([1, 2]);
    fromAdapter.destroy();

    const gpuDevice = await (await gpu.requestAdapter())!.requestDevice();
    const lent = await createDeviceFromGPU(gpuDevice);
    expect(lent.gpu).toBe(gpuDevice);
    expect(Array.from(await lent.tensor([3, 4], [2]).toArray())).toEqual([3, 4]);
    lent.destroy();
    // the application's device outlives fer-gpu's: it still runs work
    const b = gpuDevice.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    await b.mapAsync(GPUMapMode.READ);
    expect(new Float32Array(b.getMappedRange())).toHaveLength(4);
    gpuDevice.destroy();
    await expect(createDeviceFromGPU({} as GPUDevice)).rejects.toThrow(/expected a GPUDevice or a GPUAdapter/);
    // a device with smaller workgroups than the kernels need (a compatibility-mode default) is refused clearly
    const small = {
      createComputePipeline() {},
      features: new Set(),
      limits: { maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupSizeX: 128 },
    };
    await expect(createDeviceFromGPU(small as unknown as GPUDevice)).rejects.toThrow(/allows workgroups of 128 invocations .* need 256/);
    void gpu;
  });
});
