/**
 * Element-wise ops: add, relu and the fused addRelu used at every residual join.
 * Backward: add passes the gradient to both inputs; relu and addRelu mask it where the output
 * is not positive (so addRelu saves only its output).
 */
import { grid1d } from '../../gpu/kernel.js';
import { record } from '../../autograd.js';
import { fmtShape, sameShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { checkTensors } from '../check.js';
import { ADD, ADD_INTO, ADD_RELU, COPY, ITEMS_PER_INVOCATION, RELU, RELU_BACKWARD } from './wgsl.js';
import type { Kernel } from '../../gpu/device.js';

/** Runs an element-wise kernel: its vec4 form when the size is a multiple of 4, else the scalar one. */
function run(kernel: { scalar: Kernel; vec4: Kernel }, inputs: Tensor[], out: Tensor): Tensor {
  const vec4 = out.size % 4 === 0;
  const n = vec4 ? out.size / 4 : out.size;
  out.device.dispatch(vec4 ? kernel.vec4 : kernel.scalar, {
    params: [n],
    buffers: [...inputs.map((t) => t.buffer), out.buffer],
    workgroups: grid1d(Math.ceil(n / ITEMS_PER_INVOCATION), 256),
  });
  return out;
}

function checkSame(op: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} must match`);
  }
  checkTensors(op, [
    ['a', a],
    ['b', b],
  ]);
}

/** a + b (same shapes). */
export function add(a: Tensor, b: Tensor): Tensor {
  checkSame('add', a, b);
  const y = run(ADD, [a, b], a.device.empty(a.shape));
  return record(y, 'add', [a, b], (g) => [g, g]);
}

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  checkTensors('relu', [['input', x]]);
  const y = run(RELU, [x], x.device.empty(x.shape));
  return record(y, 'relu', [x], (g) => [reluBackward(g, y)]);
}

/** max(a + b, 0), fused: the residual join of a ResNet BasicBlock. */
export function addRelu(a: Tensor, b: Tensor): Tensor {
  checkSame('addRelu', a, b);
  const y = run(ADD_RELU, [a, b], a.device.empty(a.shape));
  return record(y, 'addRelu', [a, b], (g) => {
    const gx = reluBackward(g, y);
    return [gx, gx];
  });
}

/** Gradient of relu given its output: g where y > 0. */
export function reluBackward(g: Tensor, y: Tensor): Tensor {
  return run(RELU_BACKWARD, [g, y], g.device.empty(g.shape));
}

/** @internal a copy of t (no autograd). */
export function copyTensor(t: Tensor): Tensor {
  return run(COPY, [t], t.device.empty(t.shape, { dtype: t.dtype }));
}

/** @internal acc += x in place (no autograd), for gradient accumulation. */
export function addInto(acc: Tensor, x: Tensor): void {
  checkSame('addInto', acc, x);
  run(ADD_INTO, [x], acc);
}
