/**
 * Safetensors files (Node): reading and atomic writing. The format's encoder and decoder are
 * platform-free, in safetensors-bytes.ts.
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';
import { writeFileAtomicSync } from './atomic.js';
import * as bytes from './safetensors-bytes.js';
import type { ReadSafetensorsOptions, SafetensorsContent, SafetensorsTensor } from './safetensors-bytes.js';

export {
  decodeSafetensors,
  type ReadSafetensorsOptions,
  type SafetensorsContent,
  type SafetensorsDtype,
  type SafetensorsTensor,
} from './safetensors-bytes.js';

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes, as a Buffer: see
 * {@link bytes.encodeSafetensors} (the same bytes as Python's `safetensors.torch.save_file`).
 */
export function encodeSafetensors(tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): Buffer {
  const out = bytes.encodeSafetensors(tensors, metadata);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Writes tensors to a safetensors file, atomically: a crash or error midway leaves any previous
 * file at `file` intact. See {@link encodeSafetensors} for the layout.
 *
 * ```ts
 * writeSafetensors('model.safetensors', {
 *   'fc.bias': { dtype: 'F32', shape: [7], data: new Float32Array(7) },
 * }, { 'fer-gpu.arch': 'fer-resnet18' });
 * ```
 */
export function writeSafetensors(file: string, tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): void {
  writeFileAtomicSync(file, bytes.encodeSafetensors(tensors, metadata));
}

/**
 * Reads a safetensors file (a path, or its bytes) and copies every tensor into its own aligned
 * typed array, validating the whole file first (see {@link bytes.decodeSafetensors}).
 * @throws InputError naming the file and the fault, for any malformed or unreadable file.
 */
export function readSafetensors(source: string | Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsContent {
  if (typeof source !== 'string') return bytes.decodeSafetensors(source, options);
  let data: Buffer;
  try {
    data = fs.readFileSync(source);
  } catch (err) {
    throw new InputError(`${source}: cannot read the checkpoint: ${(err as Error).message}`, { cause: err });
  }
  return bytes.decodeSafetensors(data, { ...options, name: options.name ?? source });
}
