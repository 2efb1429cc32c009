/**
 * Node's WebGPU: adapter discovery through dawn.node (the `webgpu` package). The browser entry
 * finds its adapter with `navigator.gpu` instead (navigator.ts); both hand it to create.ts.
 */
import { create, globals } from 'webgpu';
import type { Backend, Device, DeviceInfo } from './device.js';
import { deviceFromAdapter, type CommonDeviceOptions } from './create.js';
import { InputError } from '../errors.js';
import { softwareDriverHelp } from './software-driver.js';
import { withFilteredStderr } from './native-stderr.js';
// Node's platform keeps the autotuner's winners in a file (~/.cache/fer-gpu/tilings.json).
import '../kernels/tune-file.js';

export type { Backend } from './device.js';

/** Options of Node's {@link createDevice}. */
export interface DeviceOptions extends CommonDeviceOptions {
  /** Force a backend (overrides the `FER_GPU_BACKEND` environment variable). */
  backend?: Backend;
  /**
   * Dawn's robustness: a bounds check on every buffer access of every kernel, so that a kernel
   * bug reads a wrong value instead of another buffer's memory. On by default; `false` (or the
   * environment variable `FER_GPU_ROBUSTNESS=off`) removes the checks: a software adapter
   * (lavapipe) then trains 1.1–1.2x faster with bit-identical results (`bench/lab/robustness.ts`).
   * fer-gpu's kernels guard their own bounds (the op tests pass without robustness, see
   * test/gpu/robustness.test.ts), but a bug would then be undefined behaviour rather than a wrong
   * number: use it for long runs of code you trust. Browsers always keep robustness on.
   */
  robustness?: boolean;
}

/** `options.robustness`, else `FER_GPU_ROBUSTNESS` (off/0/false turn it off), else on. */
function robustnessOf(options: DeviceOptions): boolean {
  if (options.robustness !== undefined) return options.robustness;
  const env = process.env.FER_GPU_ROBUSTNESS?.trim().toLowerCase();
  if (env === undefined || env === '' || env === 'on' || env === '1' || env === 'true') return true;
  if (env === 'off' || env === '0' || env === 'false') return false;
  throw new InputError(`fer-gpu: FER_GPU_ROBUSTNESS='${process.env.FER_GPU_ROBUSTNESS}'; expected on or off`);
}

const BACKENDS: readonly Backend[] = ['vulkan', 'metal', 'd3d12', 'opengl', 'opengles'];

/**
 * One dawn.node instance per backend for the life of the process: creating one per device costs
 * megabytes that are never given back, and an instance must outlive every adapter, device and
 * buffer made from it (dawn.node crashes the process when it is collected first).
 */
const instances = new Map<string, GPU>();
let globalsInstalled = false;

function installGlobals(): void {
  if (globalsInstalled) return;
  // dawn.node exposes GPUBufferUsage, GPUMapMode, ... as globals like a browser would.
  for (const [k, v] of Object.entries(globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  globalsInstalled = true;
}

function instanceFor(backend: Backend | 'default', robustness: boolean): GPU {
  const key = `${backend}${robustness ? '' : ' without robustness'}`;
  let instance = instances.get(key);
  if (!instance) {
    const flags = backend === 'default' ? [] : [`backend=${backend}`];
    if (!robustness) flags.push('enable-dawn-features=disable_robustness');
    instance = create(flags);
    instances.set(key, instance);
  }
  return instance;
}

async function findAdapter(options: DeviceOptions): Promise<{
  instance: GPU;
  adapter: GPUAdapter;
  backend: Backend | 'default';
  featureLevel: 'core' | 'compatibility';
  robustness: boolean;
}> {
  installGlobals();
  const robustness = robustnessOf(options);
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
      instance = instanceFor(a.backend, robustness);
    } catch (e) {
      tried.push(`${a.backend}/${a.featureLevel}: ${(e as Error).message}`);
      continue;
    }
    const adapter = await withFilteredStderr(() =>
      instance.requestAdapter({ featureLevel: a.featureLevel, powerPreference: options.powerPreference } as GPURequestAdapterOptions),
    );
    if (adapter) return { instance, adapter, robustness, ...a };
    tried.push(`${a.backend} backend, ${a.featureLevel} feature level: no adapter`);
  }
  throw new Error(`${softwareDriverHelp()}\nTried: ${tried.join('; ')}.`);
}

function guessBackend(requested: Backend | 'default', description: string): DeviceInfo['backend'] {
  if (requested !== 'default') return requested;
  if (/opengl/i.test(description)) return 'opengl';
  if (process.platform === 'darwin') return 'metal';
  if (process.platform === 'win32') return 'd3d12';
  return 'vulkan';
}

/**
 * Creates a WebGPU device through Dawn. Tries the core feature level first, then compatibility
 * on OpenGL/GLES. `options.backend` or `FER_GPU_BACKEND` forces a backend;
 * `options.robustness` or `FER_GPU_ROBUSTNESS` turns Dawn's bounds checks off (see {@link DeviceOptions}).
 */
export async function createDevice(options: DeviceOptions = {}): Promise<Device> {
  const { instance, adapter, backend, featureLevel, robustness } = await findAdapter(options);
  return deviceFromAdapter(adapter, options, {
    backend: guessBackend(backend, adapter.info.description),
    featureLevel,
    keepAlive: instance,
    robustness,
  });
}
