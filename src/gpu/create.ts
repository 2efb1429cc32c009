/**
 * Making a fer-gpu {@link Device} from a WebGPU adapter or device: the limits and features to
 * request, the checks that the device can run fer-gpu's kernels, and what `device.info` reports.
 * The platform modules (dawn.ts in Node, navigator.ts in the browser) find the adapter and hand
 * it here; applications that have their own adapter or device call createDeviceFromGPU.
 */
import { Device, type DeviceInfo } from './device.js';
import { InputError } from '../errors.js';

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

/** Features fer-gpu uses where the adapter has them. */
const WANTED_FEATURES = ['shader-f16', 'timestamp-query', 'subgroups', 'core-features-and-limits'];

/** How a Device came to be: set by the module that found the adapter. */
export interface DeviceOrigin {
  backend?: DeviceInfo['backend'];
  featureLevel?: DeviceInfo['featureLevel'];
  /** Kept referenced as long as the device lives (dawn.node's instance and adapter). */
  keepAlive?: unknown;
  /** Whether the instance bounds-checks kernels' buffer accesses (Dawn's robustness). */
  robustness?: boolean;
}

/**
 * Requests a device from an adapter with every limit the adapter offers (kernels choose tile
 * sizes from them) and the features fer-gpu uses that it has, and wraps it in a {@link Device}.
 */
export async function deviceFromAdapter(
  adapter: GPUAdapter,
  options: CommonDeviceOptions = {},
  origin: DeviceOrigin = {},
): Promise<Device> {
  checkMaxTensorBytes(options.maxTensorBytes);
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, number>)[key];
    // Dawn clamps the dynamic-offset limits itself (and warns when asked for more).
    if (typeof v === 'number' && !key.startsWith('maxDynamic')) requiredLimits[key] = v;
  }
  // request each feature only where the adapter has it
  const requiredFeatures = WANTED_FEATURES.filter(
    (f) => adapter.features.has(f) && !options.disableFeatures?.includes(f),
  ) as GPUFeatureName[];
  const gpuDevice = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const featureLevel = origin.featureLevel ?? (adapter.features.has('core-features-and-limits') ? 'core' : 'compatibility');
  const info = describe(adapter.info, gpuDevice, origin.backend ?? 'default', featureLevel);
  if (origin.robustness !== undefined) info.robustness = origin.robustness;
  checkLimits(gpuDevice.limits);
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
export async function createDeviceFromGPU(
  source: GPUDevice | GPUAdapter,
  options: Pick<CommonDeviceOptions, 'maxTensorBytes' | 'disableFeatures'> = {},
): Promise<Device> {
  if (isAdapter(source)) return deviceFromAdapter(source, options);
  if (!source || typeof (source as GPUDevice).createComputePipeline !== 'function') {
    throw new InputError('createDeviceFromGPU: expected a GPUDevice or a GPUAdapter');
  }
  checkMaxTensorBytes(options.maxTensorBytes);
  const gpuDevice = source as GPUDevice;
  const adapterInfo = (gpuDevice as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const featureLevel = gpuDevice.features.has('core-features-and-limits') ? 'core' : 'compatibility';
  const info = describe(
    adapterInfo,
    gpuDevice,
    typeof navigator !== 'undefined' && 'gpu' in navigator ? 'browser' : 'default',
    featureLevel,
  );
  checkLimits(gpuDevice.limits);
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
