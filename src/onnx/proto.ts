/**
 * The ONNX protobuf writer: a model described with the plain objects below (the subset of
 * onnx.proto's ModelProto that fer-gpu writes) is encoded by protobufjs with ONNX's official
 * schema (schema.ts, generated from the vendored onnx.proto). Platform-free: it returns bytes.
 */
import type { Type } from 'protobufjs/light.js';

/** A float32 initializer: dims in ONNX order, values row-major. */
export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

/** An attribute value: an int, a float, a string, or a list of ints. */
export type OnnxAttribute = number | string | readonly number[] | { float: number };

/** One operator of the graph (default ONNX domain). */
export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Record<string, OnnxAttribute>;
}

/** A float32 graph input or output; a string dimension is symbolic (e.g. 'N' for the batch). */
export interface OnnxValue {
  name: string;
  shape: ReadonlyArray<number | string>;
  docString?: string;
}

/** A whole model: one graph, its operator set, and string metadata (ModelProto.metadata_props). */
export interface OnnxModel {
  graphName: string;
  docString: string;
  opset: number;
  producerVersion: string;
  inputs: readonly OnnxValue[];
  outputs: readonly OnnxValue[];
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  metadata: Record<string, string>;
}

/**
 * The IR version that goes with each default-domain opset (ONNX's own table, onnx/helper.py
 * VERSION_TABLE). The graph uses operators whose definitions are unchanged across these opsets.
 */
export const IR_VERSION_OF_OPSET: Readonly<Record<number, number>> = {
  13: 7,
  14: 7,
  15: 8,
  16: 8,
  17: 8,
  18: 8,
  19: 9,
  20: 9,
  21: 10,
};

/** TensorProto.DataType.FLOAT and AttributeProto.AttributeType values of onnx.proto. */
const FLOAT = 1;
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

let modelProto: Type | undefined;

/** ModelProto from the schema, with protobufjs loaded on first use (only exporting needs it). */
async function modelType(): Promise<Type> {
  if (!modelProto) {
    const [{ default: protobuf }, { ONNX_SCHEMA }] = await Promise.all([import('protobufjs/light.js'), import('./schema.js')]);
    modelProto = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  }
  return modelProto;
}

/** Little-endian bytes of float32 values (TensorProto.raw_data). */
function rawFloat32(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}

function attribute(name: string, value: OnnxAttribute): object {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`ONNX attribute '${name}': ${value} is not an integer (use { float })`);
    return { name, type: ATTRIBUTE_TYPE.INT, i: value };
  }
  if (typeof value === 'string') return { name, type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(value) };
  if ('float' in value) return { name, type: ATTRIBUTE_TYPE.FLOAT, f: value.float };
  return { name, type: ATTRIBUTE_TYPE.INTS, ints: [...value] };
}

function valueInfo(v: OnnxValue): object {
  const dim = v.shape.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d }));
  return { name: v.name, doc_string: v.docString, type: { tensor_type: { elem_type: FLOAT, shape: { dim } } } };
}

/**
 * Encodes a model as ONNX protobuf bytes (a `.onnx` file).
 * @throws Error for an opset without a known IR version.
 */
export async function encodeOnnx(m: OnnxModel): Promise<Uint8Array> {
  const irVersion = IR_VERSION_OF_OPSET[m.opset];
  if (irVersion === undefined)
    throw new Error(`ONNX opset ${m.opset} is not supported (supported: ${Object.keys(IR_VERSION_OF_OPSET).join(', ')})`);
  const type = await modelType();
  const model = {
    ir_version: irVersion,
    opset_import: [{ domain: '', version: m.opset }],
    producer_name: 'fer-gpu',
    producer_version: m.producerVersion,
    doc_string: m.docString,
    graph: {
      name: m.graphName,
      node: m.nodes.map((n) => ({
        name: n.name,
        op_type: n.opType,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: m.initializers.map((t) => ({ name: t.name, dims: t.dims, data_type: FLOAT, raw_data: rawFloat32(t.data) })),
      input: m.inputs.map(valueInfo),
      output: m.outputs.map(valueInfo),
    },
    metadata_props: Object.entries(m.metadata).map(([key, value]) => ({ key, value })),
  };
  return type.encode(type.fromObject(model)).finish();
}

/** Decodes ONNX bytes into a plain object with onnx.proto's field names (int64 as numbers, bytes as Uint8Array): for tests and tools. */
export async function decodeOnnx(bytes: Uint8Array): Promise<Record<string, unknown>> {
  const type = await modelType();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as Record<string, unknown>;
}
