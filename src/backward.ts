/**
 * The backward pass: walks the nodes that autograd.ts recorded in reverse topological order,
 * calls each node's backward closure and accumulates the gradients into the leaves' `.grad`.
 */
import type { Tensor } from './tensor.js';
import { addInto, copyTensor } from './kernels/elementwise/index.js';

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
