/**
 * BlazeFace on fer-gpu's kernels: the graph stored in a converted safetensors file
 * (scripts/blazeface/convert.ts) run node by node on the GPU. Platform-free: it takes parsed
 * safetensors content; files are read by the Node layer (node.ts).
 */
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { InputError } from '../errors.js';
import type { SafetensorsContent } from '../io/safetensors.js';
import { conv2dFused, packConv2dWeight } from '../kernels/conv2d/index.js';
import { depthwiseConv2d } from '../kernels/depthwise-conv2d/index.js';
import { pad } from '../kernels/pad/index.js';
import { resizeBilinear } from '../kernels/resize-bilinear/index.js';
import { maxPool2d } from '../kernels/pool/index.js';
import { add, addRelu, relu } from '../kernels/elementwise/index.js';
import { blazeFaceSpec, type BlazeFaceGraph, type BlazeFaceRange, type BlazeFaceSpec, type GraphNode } from './spec.js';

/** Raw detector outputs of a batch, in anchor order: scores [N·A] (before the sigmoid) and offsets [N·A·16]. */
export interface RawDetections {
  scores: Float32Array;
  boxes: Float32Array;
}

/** MediaPipe's BlazeFace face detector (full or short range), on one device. Dispose when done. */
export class BlazeFace {
  readonly spec: BlazeFaceSpec;
  private readonly weights = new Map<string, Tensor>();
  /** Per node index: the tensors whose last reader it is (freed right after it runs). */
  private readonly frees: string[][];

  private constructor(
    readonly device: Device,
    readonly graph: BlazeFaceGraph,
    range: BlazeFaceRange,
  ) {
    this.spec = blazeFaceSpec(range);
    const last = new Map<string, number>();
    graph.nodes.forEach((n, i) => inputsOf(n).forEach((t) => last.set(t, i)));
    this.frees = graph.nodes.map(() => []);
    const kept = new Set([graph.input, ...graph.scores, ...graph.boxes]);
    for (const [t, i] of last) if (!kept.has(t)) this.frees[i]!.push(t);
  }

  get range(): BlazeFaceRange {
    return this.spec.range;
  }

  /**
   * A detector from a converted safetensors file's content (`name` for error messages).
   * @throws InputError when it is not a fer-gpu BlazeFace file or a tensor the graph names is missing.
   */
  static fromSafetensors(device: Device, content: SafetensorsContent, name = 'blazeface'): BlazeFace {
    const meta = content.metadata;
    if (meta['fer-gpu.model'] !== 'blazeface')
      throw new InputError(`${name}: not a fer-gpu BlazeFace file (metadata fer-gpu.model is ${JSON.stringify(meta['fer-gpu.model'])})`);
    const range = meta['fer-gpu.blazeface.range'];
    if (range !== 'full' && range !== 'short') throw new InputError(`${name}: unknown BlazeFace range ${JSON.stringify(range)}`);
    let graph: BlazeFaceGraph;
    try {
      graph = JSON.parse(meta['fer-gpu.blazeface.graph'] ?? '') as BlazeFaceGraph;
    } catch {
      throw new InputError(`${name}: the BlazeFace graph in its metadata is not valid JSON`);
    }
    const model = new BlazeFace(device, graph, range);
    for (const node of graph.nodes) {
      if (node.op !== 'conv2d' && node.op !== 'depthwise') continue;
      for (const key of [node.weight, node.bias]) {
        if (model.weights.has(key)) continue;
        const t = content.tensors[key];
        if (!t || t.dtype !== 'F32') throw new InputError(`${name}: missing F32 tensor '${key}' that the graph uses`);
        model.weights.set(key, device.tensor(t.data, t.shape));
      }
      if (node.op === 'conv2d') model.weights.set(`${node.weight}#packed`, packConv2dWeight(model.weights.get(node.weight)!));
    }
    return model;
  }

  /**
   * Runs the network on images x [N, 3, S, S] (RGB scaled to [-1, 1], S = spec.inputSize) and
   * returns the raw outputs: scores [N, A] and offsets [N, A, 16], A = spec.numAnchors, as one
   * GPU tensor [N·A·17] (scores first), all recorded without a read-back.
   */
  forward(x: Tensor): Tensor {
    const S = this.spec.inputSize;
    if (x.shape.length !== 4 || x.shape[1] !== 3 || x.shape[2] !== S || x.shape[3] !== S) {
      throw new InputError(`BlazeFace ${this.range}-range: input must be [N, 3, ${S}, ${S}], got [${x.shape.join(', ')}]`);
    }
    const N = x.shape[0]!;
    const d = this.device;
    return d.noGrad(() => {
      const values = new Map<string, Tensor>([[this.graph.input, x]]);
      const get = (name: string) => {
        const t = values.get(name);
        if (!t) throw new Error(`BlazeFace graph: tensor '${name}' used before it is computed`);
        return t;
      };
      this.graph.nodes.forEach((node, i) => {
        values.set(node.output, this.run(node, get));
        for (const t of this.frees[i]!) {
          if (t !== this.graph.input) values.get(t)?.dispose();
          values.delete(t);
        }
      });
      // Copy the heads into one buffer: [scores of every head][offsets of every head].
      const A = this.spec.numAnchors;
      const out = d.empty([N * A * 17]);
      let at = 0;
      for (const name of [...this.graph.scores, ...this.graph.boxes]) {
        const t = get(name);
        d.copy(t.buffer, out.buffer, t.size * 4, 0, at * 4);
        at += t.size;
        t.dispose();
      }
      return out;
    });
  }

  /** forward() and the read-back, reordered from the heads' NCHW layout to anchor order. */
  async detectRaw(x: Tensor): Promise<RawDetections> {
    const out = this.forward(x);
    const flat = await out.toArray();
    out.dispose();
    return this.toAnchorOrder(flat, x.shape[0]!);
  }

  /** Anchor a of image n: head by head, cells row-major, then the head's anchors per cell (TFLite's NHWC reshape). */
  private toAnchorOrder(flat: Float32Array, N: number): RawDetections {
    const A = this.spec.numAnchors;
    const scores = new Float32Array(N * A);
    const boxes = new Float32Array(N * A * 16);
    const heads = this.headShapes();
    let src = 0;
    let first = 0; // first anchor of the head
    for (const { perCell, h, w } of heads) {
      const plane = h * w;
      for (let n = 0; n < N; n++)
        for (let k = 0; k < perCell; k++)
          for (let c = 0; c < plane; c++) scores[n * A + first + c * perCell + k] = flat[src + (n * perCell + k) * plane + c]!;
      src += N * perCell * plane;
      first += plane * perCell;
    }
    first = 0;
    for (const { perCell, h, w } of heads) {
      const plane = h * w;
      for (let n = 0; n < N; n++)
        for (let ch = 0; ch < perCell * 16; ch++) {
          const k = Math.floor(ch / 16);
          const j = ch % 16;
          for (let c = 0; c < plane; c++)
            boxes[(n * A + first + c * perCell + k) * 16 + j] = flat[src + (n * perCell * 16 + ch) * plane + c]!;
        }
      src += N * perCell * 16 * plane;
      first += plane * perCell;
    }
    return { scores, boxes };
  }

  /** Cells and anchors per cell of each score head, from the strides (MediaPipe's anchor layers). */
  private headShapes(): Array<{ perCell: number; h: number; w: number }> {
    const { strides, anchorsPerLayer, inputSize } = this.spec;
    const out: Array<{ perCell: number; h: number; w: number }> = [];
    for (let l = 0; l < strides.length;) {
      let same = 0;
      while (l + same < strides.length && strides[l + same] === strides[l]) same++;
      const side = Math.ceil(inputSize / strides[l]!);
      out.push({ perCell: same * anchorsPerLayer, h: side, w: side });
      l += same;
    }
    return out;
  }

  private run(node: GraphNode, get: (name: string) => Tensor): Tensor {
    switch (node.op) {
      case 'conv2d':
        return conv2dFused(get(node.input), this.weights.get(node.weight)!, {
          bias: this.weights.get(node.bias)!,
          packedWeight: this.weights.get(`${node.weight}#packed`)!,
          stride: node.stride,
          padding: node.padding,
          residual: node.residual ? get(node.residual) : null,
          relu: node.relu,
        });
      case 'depthwise':
        return depthwiseConv2d(get(node.input), this.weights.get(node.weight)!, {
          bias: this.weights.get(node.bias)!,
          stride: node.stride,
          padding: node.padding,
          relu: node.relu,
        });
      case 'pad':
        return pad(get(node.input), node);
      case 'maxPool':
        return maxPool2d(get(node.input), { kernelSize: node.size, stride: node.size });
      case 'resize':
        return resizeBilinear(get(node.input), node.size);
      case 'add':
        return node.relu ? addRelu(get(node.a), get(node.b)) : add(get(node.a), get(node.b));
      case 'relu':
        return relu(get(node.input));
      default:
        throw new Error(`BlazeFace graph: unknown op ${(node as { op: string }).op}`);
    }
  }

  /** Frees the weights. */
  dispose(): void {
    for (const t of this.weights.values()) t.dispose();
    this.weights.clear();
  }
}

function inputsOf(n: GraphNode): string[] {
  if (n.op === 'add') return [n.a, n.b];
  if (n.op === 'conv2d' && n.residual) return [n.input, n.residual];
  return [n.input];
}
