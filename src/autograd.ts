/**
 * Reverse-mode automatic differentiation over GPU tensors (the micrograd/PyTorch design):
 * each op whose inputs require grad records a node holding its inputs and a closure that maps
 * the output's gradient to the inputs' gradients with GPU kernels. `backward()` walks the
 * nodes in reverse topological order and accumulates into the leaves' `.grad` (backward.ts).
 * This module only records, so every op can import it without importing the kernels it runs.
 */
import type { Tensor } from './tensor.js';

export { GradMode } from './scope.js';

/** A recorded operation. */
export interface GradNode {
  /** Op name, for error messages. */
  op: string;
  /** Inputs of the op (gradients are returned in this order). */
  inputs: Tensor[];
  /**
   * Maps the output gradient to one gradient per input (null where none is needed). It must
   * return fresh tensors, or `gOut` itself (which the engine then copies where needed).
   * Set to null once used, to free what it captured.
   */
  backward: ((gOut: Tensor) => Array<Tensor | null>) | null;
}

/**
 * Attaches a grad node to `out` when recording is on and any input requires grad.
 * Returns `out` for chaining.
 */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: (gOut: Tensor) => Array<Tensor | null>): Tensor {
  if (out.device.grad.enabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}
