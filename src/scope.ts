/**
 * The tensor side's two modes, one of each per device: whether autograd records operations
 * (PyTorch's `torch.no_grad()`), and the stack of tidy scopes that dispose the tensors made
 * inside them (TensorFlow.js's `tf.tidy`). The device holds them; `device.noGrad()` and
 * `device.tidy()` are façades over them. Tensors register themselves here when they are made.
 */

/** What a tidy scope can dispose: a Tensor, seen only through the method the scope needs. */
export interface Disposable {
  dispose(): void;
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

/** The stack of open tidy scopes, innermost last, each with the tensors made inside it. */
export class TidyScopes {
  private readonly frames: Disposable[][] = [];

  /**
   * Runs fn and disposes every tensor made inside it except those it returns (in an array or
   * plain object too, up to four levels deep); those move to the enclosing scope.
   */
  tidy<T>(fn: () => T): T {
    const frame: Disposable[] = [];
    this.frames.push(frame);
    let result: T;
    try {
      result = fn();
    } finally {
      this.frames.pop();
    }
    if (result instanceof Promise) {
      throw new Error('device.tidy: fn must be synchronous (await outside tidy)');
    }
    const keep = new Set<Disposable>();
    collectReturned(result, new Set(frame), keep);
    for (const t of frame) {
      if (keep.has(t)) {
        this.frames.at(-1)?.push(t); // belongs to the enclosing scope now
      } else {
        t.dispose();
      }
    }
    return result;
  }

  /** Registers a new tensor with the innermost scope (none when no scope is open). */
  track(t: Disposable): void {
    this.frames.at(-1)?.push(t);
  }

  /** Removes a tensor from every open scope (it will outlive them). */
  untrack(t: Disposable): void {
    for (const frame of this.frames) {
      const i = frame.lastIndexOf(t);
      if (i >= 0) frame.splice(i, 1);
    }
  }
}

/** Adds to `out` the members of `made` that `value` holds, itself or in arrays and plain objects. */
function collectReturned(value: unknown, made: ReadonlySet<unknown>, out: Set<Disposable>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if (made.has(value)) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collectReturned(v, made, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectReturned(v, made, out, depth + 1);
  }
}
