/**
 * The browser's WebGPU: the adapter from `navigator.gpu` (in a page or a worker). Node finds its
 * adapter through Dawn instead (dawn.ts); both hand it to create.ts.
 */
import type { Device } from './device.js';
import { deviceFromAdapter, type CommonDeviceOptions } from './create.js';
import { loadTunedTilings } from '../kernels/tune-idb.js';

/** Why the browser offers no WebGPU device: `reason` lets an app choose what to show. */
export class WebGPUUnavailableError extends Error {
  constructor(
    readonly reason: 'no-webgpu' | 'no-adapter' | 'no-device',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WebGPUUnavailableError';
  }
}

/** How long a browser may take to answer requestAdapter/requestDevice before we give up. */
const REQUEST_TIMEOUT_MS = 20_000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new WebGPUUnavailableError('no-adapter', `fer-gpu: ${what} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`)),
      REQUEST_TIMEOUT_MS,
    );
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

/**
 * Creates a WebGPU device from the browser's `navigator.gpu`, with every limit the adapter offers
 * and 'shader-f16' where it has it.
 * @throws WebGPUUnavailableError when the browser has no WebGPU (`reason: 'no-webgpu'`), finds no
 * adapter (`'no-adapter'`, e.g. a blocklisted GPU) or refuses a device (`'no-device'`).
 * @example
 * const device = await createDevice();
 * console.log(device.info.description || device.info.architecture);
 */
export async function createDevice(options: CommonDeviceOptions = {}): Promise<Device> {
  const scope = globalThis as { navigator?: { gpu?: GPU }; isSecureContext?: boolean };
  const gpu = scope.navigator?.gpu;
  if (!gpu) {
    const why =
      scope.isSecureContext === false
        ? 'WebGPU needs a secure context: serve the page over https or from localhost/127.0.0.1'
        : 'this browser does not offer WebGPU (navigator.gpu is undefined): use a current Chrome or Edge (113+), Safari 26+ or Firefox 141+, with WebGPU enabled';
    throw new WebGPUUnavailableError('no-webgpu', `fer-gpu: ${why}`);
  }
  const [adapter] = await Promise.all([
    withTimeout(gpu.requestAdapter({ powerPreference: options.powerPreference }), 'navigator.gpu.requestAdapter()'),
    loadTunedTilings(),
  ]);
  if (!adapter) {
    throw new WebGPUUnavailableError(
      'no-adapter',
      'fer-gpu: the browser offers WebGPU but found no adapter (navigator.gpu.requestAdapter() returned null): the GPU may be blocklisted or WebGPU disabled (see chrome://gpu)',
    );
  }
  try {
    return await withTimeout(deviceFromAdapter(adapter, options, { backend: 'browser' }), 'adapter.requestDevice()');
  } catch (e) {
    if (e instanceof WebGPUUnavailableError) throw e;
    throw new WebGPUUnavailableError('no-device', `fer-gpu: the WebGPU adapter refused a device: ${(e as Error).message}`, { cause: e });
  }
}
