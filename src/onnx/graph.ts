/**
 * A small builder for ONNX graphs: operators and float32 initializers added in order, each
 * value named after the node that makes it, so a graph reads like the module it came from
 * ('layer1.0.conv1', 'layer1.0.relu1', …).
 */
import type { OnnxAttribute, OnnxNode, OnnxTensor } from './proto.js';

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly names = new Set<string>();

  /** Adds an operator; returns the name of its output (`output`, or the node's own name). */
  node(opType: string, name: string, inputs: readonly string[], attributes?: Record<string, OnnxAttribute>, output = name): string {
    this.claim(name);
    if (output !== name) this.claim(output);
    this.nodes.push({ opType, name, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    return output;
  }

  /** Adds a float32 constant; returns its name. */
  initializer(name: string, dims: readonly number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`ONNX initializer '${name}': ${data.length} values for dims [${dims.join(', ')}]`);
    this.claim(name);
    this.initializers.push({ name, dims: [...dims], data });
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`ONNX graph: the name '${name}' is used twice`);
    this.names.add(name);
  }
}
