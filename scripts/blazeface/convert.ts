/**
 * Converts MediaPipe's BlazeFace face detectors (the .tflite files of the npm package
 * @mediapipe/face_detection, Apache-2.0) into the safetensors files fer-gpu ships:
 *
 *   npx tsx scripts/blazeface/convert.ts      # writes models/blazeface-{full,short}.safetensors
 *
 * Weights are float16 in the .tflite (behind DEQUANTIZE ops) and are stored as the float32 values
 * they dequantize to, in PyTorch layouts: conv [K, C, R, S], depthwise [C, 1, R, S]. The graph is
 * stored in the metadata (`fer-gpu.blazeface.graph`, JSON) as a list of nodes run in order by
 * src/faces/blazeface.ts, with three rewrites that do not change the arithmetic:
 * - a RELU is folded into the op before it when that op's output feeds nothing else;
 * - ADD(x, CONV_2D(y)) becomes a conv2d with a residual (conv2dFused), placed where the ADD was;
 * - TensorFlow's 'same' padding becomes explicit: symmetric pads go to the convolution, the
 *   asymmetric ones of strided convolutions (the extra pixel at the bottom and right) to a pad node.
 * The anchor and decoding settings come from MediaPipe's face_detection_{full,short}_range.pbtxt.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { blazeFaceSpec, type BlazeFaceGraph, type GraphNode, type BlazeFaceRange } from '../../src/faces/spec.js';
import { samePadding } from '../../src/kernels/depthwise-conv2d/shape.js';
import { readTflite, tensorValues, type TfliteGraph, type TfliteOperator } from './tflite.js';

const PACKAGE = '@mediapipe/face_detection';
const SOURCES: Record<BlazeFaceRange, string> = { full: 'face_detection_full_range.tflite', short: 'face_detection_short_range.tflite' };

type Graph = TfliteGraph & { optionByte(op: TfliteOperator, field: number): number };

/** Converts one .tflite file's bytes: the weights (PyTorch layouts) and the node list. */
export function convertTflite(bytes: Uint8Array): { tensors: Record<string, SafetensorsTensor>; graph: BlazeFaceGraph } {
  const g: Graph = readTflite(bytes);
  const constants = new Map<number, { values: Float32Array; shape: number[] }>();
  const name = (i: number) => g.tensors[i]!.name;
  const shapeOf = (i: number) => g.tensors[i]!.shape;
  // How many ops read each tensor (graph outputs count as readers).
  const readers = new Map<number, number>();
  for (const op of g.operators) for (const i of op.inputs) if (i >= 0) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const i of g.outputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const producer = new Map<number, number>();
  g.operators.forEach((op, k) => op.outputs.forEach((o) => producer.set(o, k)));

  const tensors: Record<string, SafetensorsTensor> = {};
  const weight = (i: number, layout: 'conv' | 'depthwise' | 'bias'): string => {
    const c = constants.get(i) ?? { values: tensorValues(g.tensors[i]!), shape: shapeOf(i) };
    const key = name(i).replace(/_dequantize$/, '');
    let data = c.values;
    let shape = c.shape;
    if (layout !== 'bias') {
      // tflite: conv [K, R, S, C], depthwise [1, R, S, C] -> [K, C, R, S] / [C, 1, R, S]
      const [K, R, S, C] = shape as [number, number, number, number];
      const out = new Float32Array(data.length);
      const kk = layout === 'conv' ? K : C;
      const cc = layout === 'conv' ? C : 1;
      for (let k = 0; k < K; k++)
        for (let r = 0; r < R; r++)
          for (let s = 0; s < S; s++)
            for (let c = 0; c < C; c++) {
              const src = ((k * R + r) * S + s) * C + c;
              const dst = layout === 'conv' ? ((k * C + c) * R + r) * S + s : (c * R + r) * S + s;
              out[dst] = data[src]!;
            }
      data = out;
      shape = [kk, cc, R, S];
    }
    tensors[key] = { dtype: 'F32', shape, data };
    return key;
  };

  const nodes: Array<GraphNode & { at: number }> = [];
  const fused = new Set<number>(); // ops absorbed into another node

  // Which tensor an op's result ends up in, after folding a following RELU (if it is the only reader).
  const reluAfter = (out: number): TfliteOperator | null => {
    if (readers.get(out) !== 1) return null;
    const next = g.operators.find((o) => o.op === 'RELU' && o.inputs[0] === out);
    return next ?? null;
  };

  g.operators.forEach((op, k) => {
    if (fused.has(k)) return;
    const [x] = op.inputs;
    const out = op.outputs[0]!;
    const relu = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD'].includes(op.op) ? reluAfter(out) : null;
    if (relu) fused.add(g.operators.indexOf(relu));
    const result = name(relu ? relu.outputs[0]! : out);
    const spatial = (i: number) => shapeOf(i).slice(1, 3) as [number, number];
    switch (op.op) {
      case 'DEQUANTIZE':
        constants.set(out, { values: tensorValues(g.tensors[x!]!), shape: shapeOf(x!) });
        return;
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const depthwise = op.op === 'DEPTHWISE_CONV_2D';
        const same = g.optionByte(op, 0) === 0;
        const stride = op.options[1]!;
        if (op.options[2] !== stride) throw new Error(`${name(out)}: unequal strides`);
        if (depthwise && op.options[3] !== 1) throw new Error(`${name(out)}: depth multiplier ${op.options[3]}`);
        if (g.optionByte(op, depthwise ? 4 : 3) !== 0) throw new Error(`${name(out)}: fused activation not supported`);
        const wShape = shapeOf(op.inputs[1]!);
        const [R, S] = [wShape[1]!, wShape[2]!];
        const [H, W] = spatial(x!);
        const pads = same ? [...samePadding(H, R, stride), ...samePadding(W, S, stride)] : [0, 0, 0, 0];
        let input = name(x!);
        const node = {
          weight: weight(op.inputs[1]!, depthwise ? 'depthwise' : 'conv'),
          bias: weight(op.inputs[2]!, 'bias'),
          stride,
          relu: !!relu,
        };
        if (depthwise) {
          nodes.push({ op: 'depthwise', input, output: result, ...node, padding: pads as [number, number, number, number], at: k });
          return;
        }
        let padding: [number, number] = [pads[0]!, pads[2]!];
        if (pads[0] !== pads[1] || pads[2] !== pads[3]) {
          nodes.push({
            op: 'pad',
            input,
            output: `${result}/same_padding`,
            height: [pads[0]!, pads[1]!],
            width: [pads[2]!, pads[3]!],
            at: k,
          });
          input = `${result}/same_padding`;
          padding = [0, 0];
        }
        // ADD(other, conv) followed by RELU: one conv2d with a residual, placed where the ADD is.
        const addIndex = readers.get(out) === 1 && !relu ? g.operators.findIndex((o) => o.op === 'ADD' && o.inputs.includes(out)) : -1;
        if (addIndex >= 0) {
          const add = g.operators[addIndex]!;
          const addRelu = reluAfter(add.outputs[0]!);
          fused.add(addIndex);
          if (addRelu) fused.add(g.operators.indexOf(addRelu));
          const residual = name(add.inputs.find((i) => i !== out)!);
          nodes.push({
            op: 'conv2d',
            input,
            output: name((addRelu ?? add).outputs[0]!),
            ...node,
            relu: !!addRelu,
            padding,
            residual,
            at: addIndex,
          });
          return;
        }
        nodes.push({ op: 'conv2d', input, output: result, ...node, padding, at: k });
        return;
      }
      case 'ADD':
        nodes.push({ op: 'add', a: name(op.inputs[0]!), b: name(op.inputs[1]!), output: result, relu: !!relu, at: k });
        return;
      case 'RELU':
        nodes.push({ op: 'relu', input: name(x!), output: name(out), at: k });
        return;
      case 'MAX_POOL_2D': {
        const [H, W] = spatial(x!);
        const size = op.options[3]!;
        if (op.options[1] !== size || op.options[4] !== size || H % size || W % size)
          throw new Error(`${name(out)}: only non-overlapping pools of even sizes`);
        nodes.push({ op: 'maxPool', input: name(x!), output: name(out), size, at: k });
        return;
      }
      case 'PAD': {
        const p = Array.from(tensorValues(g.tensors[op.inputs[1]!]!)); // NHWC [before, after] pairs
        if (p[0] || p[1]) throw new Error(`${name(out)}: batch padding`);
        nodes.push({
          op: 'pad',
          input: name(x!),
          output: name(out),
          height: [p[2]!, p[3]!],
          width: [p[4]!, p[5]!],
          channels: [p[6]!, p[7]!],
          at: k,
        });
        return;
      }
      case 'RESIZE_BILINEAR': {
        if (g.optionByte(op, 2) !== 0 || g.optionByte(op, 3) !== 1) throw new Error(`${name(out)}: only half-pixel centres`);
        nodes.push({ op: 'resize', input: name(x!), output: name(out), size: spatial(out), at: k });
        return;
      }
      case 'RESHAPE':
      case 'CONCATENATION':
        return; // the heads are read before these (see outputs below)
      default:
        throw new Error(`${name(out)}: unsupported op ${op.op}`);
    }
  });

  // The heads: the tensors that the RESHAPE/CONCATENATION tail reads, in concatenation order.
  const heads = (output: number): string[] => {
    const op = g.operators[producer.get(output)!]!;
    if (op.op === 'RESHAPE') return [name(op.inputs[0]!)];
    if (op.op === 'CONCATENATION') return op.inputs.flatMap((i) => heads(i));
    return [name(output)];
  };
  const [boxes, scores] = g.outputs.map(heads) as [string[], string[]];
  nodes.sort((a, b) => a.at - b.at);
  return {
    tensors,
    graph: { input: name(g.inputs[0]!), nodes: nodes.map(({ at: _at, ...n }) => n as GraphNode), scores, boxes },
  };
}

/** The source .tflite of a range, from node_modules. */
export function sourceFile(range: BlazeFaceRange): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve(`${PACKAGE}/package.json`)), SOURCES[range]);
}

/** The bytes of models/blazeface-<range>.safetensors as this script writes them. */
export function convertedFile(range: BlazeFaceRange): { bytes: Buffer; nodes: number; tensors: number; params: number } {
  const require = createRequire(import.meta.url);
  const version = (require(`${PACKAGE}/package.json`) as { version: string }).version;
  const { tensors, graph } = convertTflite(readFileSync(sourceFile(range)));
  const bytes = encodeSafetensors(tensors, {
    'fer-gpu.model': 'blazeface',
    'fer-gpu.blazeface.range': range,
    'fer-gpu.blazeface.input_size': String(blazeFaceSpec(range).inputSize),
    'fer-gpu.blazeface.graph': JSON.stringify(graph),
    'fer-gpu.source': `${PACKAGE}@${version}/${SOURCES[range]} (Apache-2.0, Copyright Google LLC; converted by scripts/blazeface/convert.ts)`,
  });
  const params = Object.values(tensors).reduce((a, t) => a + t.data.length, 0);
  return { bytes, nodes: graph.nodes.length, tensors: Object.keys(tensors).length, params };
}

function main(): void {
  for (const range of ['full', 'short'] as const) {
    const out = path.join('models', `blazeface-${range}.safetensors`);
    const { bytes, nodes, tensors, params } = convertedFile(range);
    writeFileSync(out, bytes);
    console.log(`${out}: ${nodes} nodes, ${tensors} tensors, ${params} parameters, from ${sourceFile(range)}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) main();
