/**
 * Encoder and decoder of the safetensors format (https://github.com/huggingface/safetensors),
 * the checkpoint format fer-gpu shares with PyTorch:
 *
 *     [8 bytes: header length N, u64 little-endian]
 *     [N bytes: UTF-8 JSON header, padded with spaces to a multiple of 8]
 *     [data area: every tensor's little-endian, row-major bytes, packed without gaps]
 *
 * The header maps each tensor name to `{ "dtype", "shape", "data_offsets": [begin, end] }`
 * (offsets relative to the data area) and may hold `"__metadata__"`, a string → string map.
 * Platform-free (bytes in, bytes out); files are read and written by safetensors.ts in Node.
 */
import { InputError } from '../errors.js';

/** The safetensors dtypes fer-gpu reads and writes. */
export type SafetensorsDtype = 'F32' | 'F64' | 'I32' | 'I64' | 'U8';

/** One tensor: dtype, shape (row-major) and its elements in a typed array that matches the dtype. */
export type SafetensorsTensor =
  | { dtype: 'F32'; shape: readonly number[]; data: Float32Array }
  | { dtype: 'F64'; shape: readonly number[]; data: Float64Array }
  | { dtype: 'I32'; shape: readonly number[]; data: Int32Array }
  | { dtype: 'I64'; shape: readonly number[]; data: BigInt64Array }
  | { dtype: 'U8'; shape: readonly number[]; data: Uint8Array };

/** A safetensors file's content: tensors by name (in data order) and the `__metadata__` map. */
export interface SafetensorsContent {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /** Largest accepted JSON header, in bytes (the reference implementation's limit: 100 MB). */
  maxHeaderBytes?: number;
  /** Name used in error messages when decoding bytes (default "<buffer>"). */
  name?: string;
}

type TypedArrayClass =
  Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | BigInt64ArrayConstructor | Uint8ArrayConstructor;

/**
 * Bytes per element, typed-array class and layout rank of each dtype. The rank is the dtype's
 * position in the reference implementation's `Dtype` enum; like the reference writer, we lay
 * out tensors by decreasing rank (so every tensor is aligned to its element size), then by name.
 */
const DTYPES: Record<SafetensorsDtype, { bytes: number; array: TypedArrayClass; rank: number }> = {
  F32: { bytes: 4, array: Float32Array, rank: 2 },
  F64: { bytes: 8, array: Float64Array, rank: 3 },
  I32: { bytes: 4, array: Int32Array, rank: 1 },
  I64: { bytes: 8, array: BigInt64Array, rank: 4 },
  U8: { bytes: 1, array: Uint8Array, rank: 0 },
};

/** Dtypes that are valid safetensors but that fer-gpu does not read. */
const OTHER_SAFETENSORS_DTYPES = new Set([
  'BOOL',
  'I8',
  'I16',
  'U16',
  'U32',
  'U64',
  'F16',
  'BF16',
  'C64',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F6_E2M3',
  'F6_E3M2',
  'F4',
]);

const SUPPORTED = Object.keys(DTYPES).join(', ');
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes. Tensors are laid out
 * as the reference implementation does (by dtype: I64, F64, F32, I32, U8; then by name), so the
 * bytes match those of Python's `safetensors.torch.save_file` for the same tensors and metadata.
 * @throws InputError when a tensor's dtype, shape and data disagree, or a name or value is invalid.
 */
export function encodeSafetensors(tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): Uint8Array {
  assertLittleEndian();
  const entries = Object.entries(tensors).map(([name, tensor]) => {
    const { dtype, shape, data } = tensor;
    const what = `tensor "${name}"`;
    if (name === '__metadata__') throw new InputError(`"__metadata__" is reserved and cannot name a tensor`);
    if (!Object.hasOwn(DTYPES, dtype)) {
      throw new InputError(`${what}: dtype ${preview(dtype)} is not one of ${SUPPORTED}`);
    }
    const spec = DTYPES[dtype];
    if (!(data instanceof spec.array)) {
      throw new InputError(`${what}: dtype ${dtype} needs its data in a ${spec.array.name}`);
    }
    if (!isShape(shape)) throw new InputError(`${what}: shape ${preview(shape)} is not a list of non-negative integers`);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel !== data.length) {
      throw new InputError(`${what}: shape [${shape.join(', ')}] has ${numel} elements but the data has ${data.length}`);
    }
    return { name, dtype, shape: [...shape], data, rank: spec.rank, key: UTF8.encode(name) };
  });
  entries.sort((a, b) => b.rank - a.rank || compareBytes(a.key, b.key));

  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new InputError(`metadata "${k}" must be a string, got ${preview(v)}`);
    }
    parts.push(`"__metadata__":${stringifyObject(Object.entries(metadata))}`);
  }
  let offset = 0;
  for (const e of entries) {
    const info = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.data.byteLength] };
    parts.push(`${JSON.stringify(e.name)}:${JSON.stringify(info)}`);
    offset += e.data.byteLength;
  }
  const json = UTF8.encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8; // padded with spaces

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const { data } of entries) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    pos += data.byteLength;
  }
  return out;
}

/**
 * Decodes safetensors bytes and copies every tensor into its own aligned typed array. The whole
 * file is validated first, as the reference implementation does: header length, UTF-8 JSON
 * object, string metadata, dtypes, shapes, and data offsets that tile the data area exactly (no
 * overlap, hole or trailing bytes), with each tensor's byte count matching its dtype and shape.
 * Duplicate JSON keys are rejected too.
 * @throws InputError naming `options.name` and the fault, for any malformed file.
 */
export function decodeSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsContent {
  const { maxHeaderBytes = MAX_HEADER_BYTES, name = '<buffer>' } = options;
  assertLittleEndian();
  const bad = (what: string) => new InputError(`${name}: not a valid safetensors file: ${what}`);

  if (bytes.length < 8) throw bad(`it has ${bytes.length} bytes, fewer than the 8 of the header length`);
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerBytes > BigInt(maxHeaderBytes)) {
    throw bad(`header length ${headerBytes} is over the limit of ${maxHeaderBytes} bytes (maxHeaderBytes)`);
  }
  if (8n + headerBytes > BigInt(bytes.length)) {
    throw bad(`header length ${headerBytes} runs past the end of the file (${bytes.length} bytes)`);
  }
  const dataStart = 8 + Number(headerBytes);
  const dataSize = bytes.length - dataStart;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw bad(`the header must be a JSON object starting with "{", got ${preview(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw bad(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(header)) throw bad('the header is not a JSON object');
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw bad(`the header has the key ${preview(duplicate)} twice`);

  const rawMeta = header.__metadata__ ?? {};
  if (!isPlainObject(rawMeta)) throw bad(`"__metadata__" must be an object of strings, got ${preview(rawMeta)}`);
  for (const [k, v] of Object.entries(rawMeta)) {
    if (typeof v !== 'string') throw bad(`"__metadata__" must map strings to strings, but ${preview(k)} is ${preview(v)}`);
  }
  const metadata = Object.fromEntries(Object.entries(rawMeta)) as Record<string, string>;

  const infos = Object.entries(header)
    .filter(([key]) => key !== '__metadata__')
    .map(([key, info]) => {
      const at = `tensor ${preview(key)}`;
      if (!isPlainObject(info)) throw bad(`${at}: expected an object with dtype, shape and data_offsets, got ${preview(info)}`);
      const { dtype, shape, data_offsets: offsets } = info;
      if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) {
        if (typeof dtype === 'string' && OTHER_SAFETENSORS_DTYPES.has(dtype)) {
          throw bad(
            `${at}: dtype ${dtype} is not supported by fer-gpu (only ${SUPPORTED}); convert it first, e.g. tensor.float() in PyTorch`,
          );
        }
        throw bad(`${at}: unknown dtype ${preview(dtype)} (fer-gpu reads ${SUPPORTED})`);
      }
      const spec = DTYPES[dtype as SafetensorsDtype];
      if (!isShape(shape)) throw bad(`${at}: shape must be a list of non-negative integers, got ${preview(shape)}`);
      let numel = 1;
      for (const d of shape) {
        numel *= d;
        if (numel > Number.MAX_SAFE_INTEGER) throw bad(`${at}: shape ${preview(shape)} has too many elements`);
      }
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o))) {
        throw bad(`${at}: data_offsets must be two integers [begin, end], got ${preview(offsets)}`);
      }
      const [begin, end] = offsets as [number, number];
      if (!(begin >= 0 && begin <= end && end <= dataSize)) {
        throw bad(`${at}: data_offsets [${begin}, ${end}] are not within 0 <= begin <= end <= ${dataSize} (the data area's size)`);
      }
      const nbytes = numel * spec.bytes;
      if (end - begin !== nbytes) {
        throw bad(
          `${at}: dtype ${dtype} and shape [${shape.join(', ')}] need ${nbytes} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`,
        );
      }
      return { key, dtype: dtype as SafetensorsDtype, shape: [...shape], begin, end, numel };
    });

  // The tensors must tile the data area exactly, in offset order.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let previous = '';
  for (const t of infos) {
    if (t.begin > pos) throw bad(`data bytes ${pos}..${t.begin} belong to no tensor (a hole before tensor ${preview(t.key)})`);
    if (t.begin < pos)
      throw bad(`tensor ${preview(t.key)} (bytes ${t.begin}..${t.end}) overlaps tensor ${preview(previous)} (which ends at ${pos})`);
    pos = t.end;
    previous = t.key;
  }
  if (pos !== dataSize) throw bad(`the data area has ${dataSize} bytes but the tensors end at byte ${pos}`);

  const tensors = Object.fromEntries(
    infos.map((t) => {
      const data = new DTYPES[t.dtype].array(t.numel);
      new Uint8Array(data.buffer).set(bytes.subarray(dataStart + t.begin, dataStart + t.end));
      return [t.key, { dtype: t.dtype, shape: t.shape, data } as SafetensorsTensor];
    }),
  );
  return { tensors, metadata };
}

/**
 * Returns the first key that occurs twice in one object of `json` (which must be valid JSON),
 * since JSON.parse silently keeps the last. Iterative, so deep nesting cannot overflow the stack.
 */
function findDuplicateKey(json: string): string | undefined {
  const stack: (Set<string> | null)[] = []; // one Set of keys per open object, null per open list
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const keys = stack[stack.length - 1];
      let k = j + 1;
      while (json[k] === ' ' || json[k] === '\t' || json[k] === '\n' || json[k] === '\r') k++;
      if (keys && json[k] === ':') {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = j;
    }
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** JSON object text with keys in the given order (an object literal would move "0", "1"… first). */
function stringifyObject(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

/** A short, safe rendering of any parsed JSON value for error messages. */
function preview(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    // e.g. a list nested too deeply to stringify
  }
  s ??= Array.isArray(v) ? 'a list' : typeof v;
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

const UTF8 = new TextEncoder();

/** Byte-wise order of two UTF-8 names (the reference implementation sorts names as bytes). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Typed arrays are viewed as the file's little-endian bytes: true on every platform WebGPU runs on. */
function assertLittleEndian(): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('safetensors I/O needs a little-endian machine');
}
