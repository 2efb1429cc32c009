/**
 * Safetensors files (Node): reading and atomic writing. The format's encoder and decoder are
 * platform-free, in safetensors-bytes.ts.
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';
import { writeFileAtomicSync } from './atomic.js';
import { decodeSafetensors, encodeSafetensors, type ReadSafetensorsOptions, type SafetensorsContent, type SafetensorsTensor } from './safetensors-bytes.js';

export {
  decodeSafetensors,
  encodeSafetensors,
  type ReadSafetensorsOptions,
  type SafetensorsContent,
  type SafetensorsDtype,
  type SafetensorsTensor,
} from './safetensors-bytes.js';

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
export function writeSafetensors(
  file: string,
  tensors: Record<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomicSync(file, encodeSafetensors(tensors, metadata));
}

/**
 * Reads a safetensors file (a path, or its bytes) and copies every tensor into its own aligned
 * typed array. The whole file is validated first, as the reference implementation does: header
 * length, UTF-8 JSON object, string metadata, dtypes, shapes, and data offsets that tile the data
 * area exactly (no overlap, hole or trailing bytes), with each tensor's byte count matching its
 * dtype and shape. Duplicate JSON keys are rejected too.
 * @throws InputError naming the file and the fault, for any malformed or unreadable file.
 */
export function readSafetensors(
  source: string | Uint8Array,
  options: ReadSafetensorsOptions = {},
): SafetensorsContent {
  if (typeof source !== 'string') return decodeSafetensors(source, options.name ?? '<buffer>', options);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(source);
  } catch (err) {
    throw new InputError(`${source}: cannot read the checkpoint: ${(err as Error).message}`, { cause: err });
  }
  return decodeSafetensors(bytes, options.name ?? source, options);
}

