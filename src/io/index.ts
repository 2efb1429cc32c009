/** Checkpoint I/O: safetensors files and fer-gpu's checkpoint metadata (the package's `io` namespace). */
export {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  writeSafetensors,
  type ReadSafetensorsOptions,
  type SafetensorsContent,
  type SafetensorsDtype,
  type SafetensorsTensor,
} from './safetensors.js';
export { FER_ARCH, FER_METADATA_KEYS, ferMetadata, parseFerMetadata, type FerCheckpointInfo } from './fer-metadata.js';
