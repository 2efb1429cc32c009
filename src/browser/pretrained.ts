/**
 * The shipped model in the browser: fetched from the package's `models/` folder next to the
 * bundle (`new URL('../models/…', import.meta.url)`, which Vite and webpack turn into an asset),
 * from a URL of the app's choosing, or from bytes the app already has.
 */
import type { Device } from '../gpu/device.js';
import { fetchBytes } from './fetch.js';
import { loadModelFromBytes, type LoadedModel } from '../train/model-bytes.js';

/**
 * Where the shipped weights are, relative to this module once built (dist/browser.js): the
 * package's models/fer-resnet18.safetensors. Bundlers resolve this literal form to an asset.
 */
export function defaultWeightsUrl(): URL {
  return new URL('../models/fer-resnet18.safetensors', import.meta.url);
}

/**
 * Loads the pretrained fer-resnet18 shipped in the package (or the checkpoint at a URL, or in
 * bytes) with its metadata (width, mean, std, classes). The caller owns the model:
 * `model.dispose()` when done.
 * @throws InputError naming the URL when it cannot be fetched (HTTP 404, network) or is not a
 * fer-resnet18 safetensors checkpoint.
 * @example
 * const device = await createDevice();
 * const { model, info } = await loadPretrained(device);
 * const [p] = await predict(model, [imageData], { mean: info.mean, std: info.std, classNames: info.classes });
 */
export async function loadPretrained(device: Device, weights: string | URL | Uint8Array = defaultWeightsUrl()): Promise<LoadedModel> {
  if (weights instanceof Uint8Array) return loadModelFromBytes(device, weights);
  const url = new URL(weights, (globalThis as { location?: Location }).location?.href);
  return loadModelFromBytes(device, await fetchBytes(url.href, 'the weights'), url.href);
}
