/** Checkpoint bytes in the browser (`fer-gpu/browser`'s `io` namespace): the safetensors codec and fer-gpu's metadata. */
export {
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsContent,
  type SafetensorsTensor,
  type SafetensorsDtype,
} from '../io/safetensors-bytes.js';
export { FER_ARCH, FER_METADATA_KEYS, ferMetadata, parseFerMetadata, type FerCheckpointInfo } from '../io/fer-metadata.js';
