/** CPU references of the element-wise ops, in plain loops. */
import { CpuTensor } from '../../reference/tensor.js';

function check(op: string, a: CpuTensor, b: CpuTensor): void {
  if (a.shape.join() !== b.shape.join()) {
    throw new Error(`${op}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
}

export function add(a: CpuTensor, b: CpuTensor): CpuTensor {
  check('add', a, b);
  return a.map((v, i) => v + b.data[i]!);
}

export function relu(x: CpuTensor): CpuTensor {
  return x.map((v) => Math.max(v, 0));
}

export function addRelu(a: CpuTensor, b: CpuTensor): CpuTensor {
  check('addRelu', a, b);
  return a.map((v, i) => Math.max(v + b.data[i]!, 0));
}

/** Gradient of relu (and of addRelu for both inputs) given the output y: g where y > 0. */
export function reluBackward(gy: CpuTensor, y: CpuTensor): CpuTensor {
  return gy.map((g, i) => (y.data[i]! > 0 ? g : 0));
}
