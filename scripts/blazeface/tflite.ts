/**
 * A minimal reader of TensorFlow Lite model files (FlatBuffers, schema
 * tensorflow/lite/schema/schema.fbs), enough to list a graph's operators and tensors and read
 * its constant buffers. Used once, by convert.ts, to turn MediaPipe's BlazeFace .tflite files into
 * safetensors; nothing at run time reads .tflite.
 */

/** The builtin operator codes this reader names (schema.fbs `BuiltinOperator`). */
export const BUILTIN_OPS: Record<number, string> = {
  0: 'ADD',
  1: 'AVERAGE_POOL_2D',
  2: 'CONCATENATION',
  3: 'CONV_2D',
  4: 'DEPTHWISE_CONV_2D',
  5: 'DEPTH_TO_SPACE',
  6: 'DEQUANTIZE',
  14: 'LOGISTIC',
  17: 'MAX_POOL_2D',
  18: 'MUL',
  19: 'RELU',
  21: 'RELU6',
  22: 'RESHAPE',
  23: 'RESIZE_BILINEAR',
  34: 'PAD',
  54: 'PRELU',
  97: 'RESIZE_NEAREST_NEIGHBOR',
};

/** schema.fbs `TensorType`. */
const TENSOR_TYPES: Record<number, string> = { 0: 'FLOAT32', 1: 'FLOAT16', 2: 'INT32', 3: 'UINT8', 4: 'INT64', 9: 'INT8' };

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: string;
  /** Constant data (little-endian bytes), or null for activations. */
  data: Uint8Array | null;
}

export interface TfliteOperator {
  op: string;
  inputs: number[];
  outputs: number[];
  /** The builtin options table's scalar fields, by field index (absent fields are missing). */
  options: Record<number, number>;
}

export interface TfliteGraph {
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
}

/** A FlatBuffers table view: field(i) is the absolute offset of field i, or 0 when absent. */
class Table {
  constructor(
    private readonly v: DataView,
    readonly pos: number,
  ) {}

  field(i: number): number {
    const vt = this.pos - this.v.getInt32(this.pos, true);
    const vtLen = this.v.getUint16(vt, true);
    const at = 4 + 2 * i;
    if (at >= vtLen) return 0;
    const off = this.v.getUint16(vt + at, true);
    return off === 0 ? 0 : this.pos + off;
  }

  u8(i: number, dflt = 0): number {
    const f = this.field(i);
    return f ? this.v.getUint8(f) : dflt;
  }

  i32(i: number, dflt = 0): number {
    const f = this.field(i);
    return f ? this.v.getInt32(f, true) : dflt;
  }

  u32(i: number, dflt = 0): number {
    const f = this.field(i);
    return f ? this.v.getUint32(f, true) : dflt;
  }

  /** The table a field points to. */
  table(i: number): Table | null {
    const f = this.field(i);
    return f ? new Table(this.v, f + this.v.getUint32(f, true)) : null;
  }

  /** A vector field: its first element's absolute offset and its length. */
  vector(i: number): { start: number; length: number } | null {
    const f = this.field(i);
    if (!f) return null;
    const at = f + this.v.getUint32(f, true);
    return { start: at + 4, length: this.v.getUint32(at, true) };
  }

  tables(i: number): Table[] {
    const vec = this.vector(i);
    if (!vec) return [];
    return Array.from({ length: vec.length }, (_, k) => {
      const at = vec.start + 4 * k;
      return new Table(this.v, at + this.v.getUint32(at, true));
    });
  }

  ints(i: number): number[] {
    const vec = this.vector(i);
    return vec ? Array.from({ length: vec.length }, (_, k) => this.v.getInt32(vec.start + 4 * k, true)) : [];
  }

  bytes(i: number): Uint8Array | null {
    const vec = this.vector(i);
    return vec ? new Uint8Array(this.v.buffer, this.v.byteOffset + vec.start, vec.length) : null;
  }

  string(i: number): string {
    const b = this.bytes(i);
    return b ? new TextDecoder().decode(b) : '';
  }

  /** Every 4-byte scalar field of a small options table, by index (enough for TFLite's options). */
  scalars(count: number): Record<number, number> {
    const out: Record<number, number> = {};
    for (let i = 0; i < count; i++) {
      const f = this.field(i);
      if (f) out[i] = this.v.getInt32(f, true);
    }
    return out;
  }
}

/**
 * Parses a .tflite file's first subgraph. Options tables are read as 4-byte scalars per field,
 * which is right for the int fields; byte-sized enum fields (padding, activation) are read with
 * {@link optionByte}.
 */
export function readTflite(bytes: Uint8Array): TfliteGraph & { optionByte(op: TfliteOperator, field: number): number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(4, 8)) !== 'TFL3') throw new Error('not a TFLite file (no TFL3 identifier)');
  const model = new Table(v, v.getUint32(0, true));
  const codes = model.tables(1).map((c) => Math.max(c.u8(0), c.i32(3)));
  const buffers = model.tables(4).map((b) => b.bytes(0));
  const [subgraph] = model.tables(2);
  if (!subgraph) throw new Error('TFLite file has no subgraph');
  const tensors = subgraph.tables(0).map((t, index): TfliteTensor => {
    const data = buffers[t.u32(2)] ?? null;
    return {
      index,
      name: t.string(3),
      shape: t.ints(0),
      type: TENSOR_TYPES[t.u8(1)] ?? `type${t.u8(1)}`,
      data: data && data.length > 0 ? data : null,
    };
  });
  const optionTables = new Map<TfliteOperator, Table>();
  const operators = subgraph.tables(3).map((o): TfliteOperator => {
    const code = codes[o.u32(0)]!;
    const opts = o.table(4);
    const op: TfliteOperator = {
      op: BUILTIN_OPS[code] ?? `op${code}`,
      inputs: o.ints(1),
      outputs: o.ints(2),
      options: opts ? opts.scalars(8) : {},
    };
    if (opts) optionTables.set(op, opts);
    return op;
  });
  return {
    tensors,
    operators,
    inputs: subgraph.ints(1),
    outputs: subgraph.ints(2),
    optionByte: (op, field) => optionTables.get(op)?.u8(field) ?? 0,
  };
}

/** The float values of a constant tensor (FLOAT32 or FLOAT16 data). */
export function tensorValues(t: TfliteTensor): Float32Array {
  if (!t.data) throw new Error(`tensor ${t.name} has no constant data`);
  const v = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (t.type === 'FLOAT32') return Float32Array.from({ length: t.data.length / 4 }, (_, i) => v.getFloat32(4 * i, true));
  if (t.type === 'FLOAT16') return Float32Array.from({ length: t.data.length / 2 }, (_, i) => halfToFloat(v.getUint16(2 * i, true)));
  if (t.type === 'INT32') return Float32Array.from({ length: t.data.length / 4 }, (_, i) => v.getInt32(4 * i, true));
  throw new Error(`tensor ${t.name}: unsupported type ${t.type}`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
