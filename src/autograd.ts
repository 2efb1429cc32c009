/**
 * Reverse-mode automatic differentiation over GPU tensors (the micrograd/PyTorch design):
 * each op whose inputs require grad records a node holding its inputs and a closure that maps
 * the output's gradient to the inputs' gradients with GPU kernels. `backward()` walks the
 * nodes in reverse topological order and accumulates into the leaves' `.grad`.
 */
import type { Tensor } from './tensor.js';
import { addInto, copyTensor } from './kernels/elementwise/index.js';

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

/** Whether operations are being recorded (`device.noGrad` turns it off). */
export class GradMode {
  enabled = true;
  without<T>(fn: () => T): T {
    const prev = this.enabled;
    this.enabled = false;
    try {
      return fn();
    } finally {
      this.enabled = prev;
    }
  }
}

/**
 * Attaches a grad node to `out` when recording is on and any input requires grad.
 * Returns `out` for chaining.
 */
export function record(
  out: Tensor,
  op: string,
  inputs: Tensor[],
  backward: (gOut: Tensor) => Array<Tensor | null>,
): Tensor {
  if (out.device.grad.enabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}

/** Tensors reachable from root through grad nodes, each after all tensors it feeds (reverse topological order). */
function reverseTopological(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Array<{ t: Tensor; next: number }> = [{ t: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.t.gradFn?.inputs ?? [];
    if (top.next < inputs.length) {
      const child = inputs[top.next++]!;
      if (!visited.has(child) && child.requiresGrad) {
        visited.add(child);
        stack.push({ t: child, next: 0 });
      }
    } else {
      order.push(top.t);
      stack.pop();
    }
  }
  return order.reverse();
}

/** Runs the backward pass from `root`, seeded with `seed` (or ones). */
export function runBackward(root: Tensor, seed?: Tensor): void {
  const device = root.device;
  device.grad.without(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, seed ? copyTensor(seed) : device.full(root.shape, 1));
    for (const t of reverseTopological(root)) {
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const node = t.gradFn;
      if (!node) {
        accumulateLeaf(t, g);
        continue;
      }
      if (!node.backward) {
        g.dispose();
        throw new Error(
          `backward: trying to backward through the graph a second time (through '${node.op}'); its saved tensors were freed`,
        );
      }
      const inputGrads = node.backward(g);
      node.backward = null; // free saved tensors (no retain_graph)
      // A backward may return gOut itself or one tensor for several inputs: the first use is
      // stored, later ones are copied, and whatever is not stored is disposed.
      const stored = new Set<Tensor>();
      node.inputs.forEach((input, i) => {
        let gi = inputGrads[i] ?? null;
        if (!gi || !input.requiresGrad) return;
        const prev = grads.get(input);
        if (prev === gi) {
          // the same input twice (e.g. add(x, x)): a buffer cannot be read and written at once
          const twin = copyTensor(gi);
          addInto(prev, twin);
          twin.dispose();
        } else if (prev) {
          addInto(prev, gi);
        } else {
          if (stored.has(gi)) gi = copyTensor(gi);
          grads.set(input, gi);
          stored.add(gi);
        }
      });
      for (const x of new Set([g, ...inputGrads])) if (x && !stored.has(x)) x.dispose();
    }
  });
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.grad) {
    addInto(leaf.grad, g);
    g.dispose();
  } else {
    leaf.device.untrack(g); // a leaf's .grad outlives tidy scopes
    leaf.grad = g;
  }
}
