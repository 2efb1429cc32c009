/**
 * A small PyTorch-like module system: parameters and buffers with torchvision's state-dict
 * names, train/eval mode, state dicts that move to and from safetensors.
 */
import type { Device } from '../gpu/device.js';
import type { Tensor } from '../tensor.js';
import { InputError } from '../errors.js';

/** One entry of a state dict: what a safetensors file holds. */
export interface StateEntry {
  dtype: 'F32' | 'I64';
  shape: number[];
  data: Float32Array | BigInt64Array;
}
export type StateDict = Record<string, StateEntry>;

export abstract class Module {
  /** Training mode (batch statistics in BatchNorm). */
  training = true;
  /**
   * Storage precision of inference (eval mode, gradient recording off): 'f16' after half().
   * Training and autograd always run in f32.
   */
  inferencePrecision: 'f32' | 'f16' = 'f32';
  private readonly _params = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _children = new Map<string, Module>();

  constructor(readonly device: Device) {}

  /** Runs the module. */
  abstract forward(x: Tensor): Tensor;

  /** Registers a trainable tensor under `name` (kept out of tidy scopes). */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.device.untrack(t);
    this._params.set(name, t);
    return t;
  }

  /** Registers a non-trainable state tensor (BatchNorm's running statistics). */
  protected buffer(name: string, t: Tensor): Tensor {
    this.device.untrack(t);
    this._buffers.set(name, t);
    return t;
  }

  /** Registers a child module under `name` (its entries get the prefix `name.`). */
  protected child<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    return m;
  }

  /** Child modules in registration order. */
  children(): Module[] {
    return [...this._children.values()];
  }

  /** (name, parameter) pairs with PyTorch's dotted names, in registration order. */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, t] of this._params) out.push([prefix + n, t]);
    for (const [n, c] of this._children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Every trainable tensor. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** (name, buffer) pairs (running statistics). */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [n, t] of this._buffers) out.push([prefix + n, t]);
    for (const [n, c] of this._children) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  /** Sets training mode on this module and its children. */
  train(mode = true): this {
    this.training = mode;
    for (const c of this._children.values()) c.train(mode);
    return this;
  }

  /** Sets evaluation mode (running statistics in BatchNorm). */
  eval(): this {
    return this.train(false);
  }

  /**
   * f16 inference, like PyTorch's `model.half()` but with f32 inputs and outputs: in eval mode
   * with gradient recording off, modules with an f16 path (FerResNet18 and its blocks) keep
   * weights and activations in half precision and sum in f32; training, autograd and the state
   * dict stay f32. Throws where the adapter lacks the 'shader-f16' feature. `float()` undoes it.
   * @example model.eval().half(); const logits = device.noGrad(() => model.forward(x)); // f32 logits
   */
  half(): this {
    this.device.requireF16(`${this.constructor.name}.half()`);
    return this.setPrecision('f16');
  }

  /** Back to f32 inference (see half()). */
  float(): this {
    return this.setPrecision('f32');
  }

  private setPrecision(p: 'f32' | 'f16'): this {
    this.inferencePrecision = p;
    for (const c of this._children.values()) c.setPrecision(p);
    return this;
  }

  /** Extra state entries a module keeps on the CPU (BatchNorm's num_batches_tracked). */
  protected extraState(): StateDict {
    return {};
  }

  /** Loads extra state (see extraState). */
  protected loadExtraState(_dict: StateDict, _prefix: string, _strict: boolean): void {}

  private extraEntries(prefix: string): StateDict {
    const out: StateDict = {};
    for (const [k, v] of Object.entries(this.extraState())) out[prefix + k] = v;
    for (const [n, c] of this._children) Object.assign(out, c.extraEntries(`${prefix}${n}.`));
    return out;
  }

  private loadExtraEntries(dict: StateDict, prefix: string, strict: boolean): void {
    this.loadExtraState(dict, prefix, strict);
    for (const [n, c] of this._children) c.loadExtraEntries(dict, `${prefix}${n}.`, strict);
  }

  /** Every entry name of the state dict, in PyTorch's order. */
  stateDictKeys(): string[] {
    return Object.keys(this.stateDictShapes());
  }

  private stateDictShapes(prefix = ''): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [n, t] of this._params) out[prefix + n] = [...t.shape];
    for (const [n, t] of this._buffers) out[prefix + n] = [...t.shape];
    for (const [k, v] of Object.entries(this.extraState())) out[prefix + k] = v.shape;
    for (const [n, c] of this._children) Object.assign(out, c.stateDictShapes(`${prefix}${n}.`));
    return out;
  }

  /** Reads every parameter and buffer back from the GPU, with PyTorch's names and order. */
  async stateDict(): Promise<StateDict> {
    const gpuEntries = [...this.namedParameters(), ...this.namedBuffers()];
    const extra = this.extraEntries('');
    const values = new Map<string, StateEntry>();
    for (const [name, t] of gpuEntries) values.set(name, { dtype: 'F32', shape: [...t.shape], data: await t.toArray() });
    for (const [name, e] of Object.entries(extra)) values.set(name, e);
    const out: StateDict = {};
    for (const name of this.stateDictKeys()) out[name] = values.get(name)!;
    return out;
  }

  /**
   * Loads a state dict (e.g. from a safetensors file). With `strict` (default), missing and
   * unexpected names are errors, as in PyTorch; shapes must always match.
   */
  loadStateDict(dict: StateDict, { strict = true }: { strict?: boolean } = {}): void {
    const shapes = this.stateDictShapes();
    const missing = Object.keys(shapes).filter((k) => !(k in dict));
    const unexpected = Object.keys(dict).filter((k) => !(k in shapes));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', …' : ''}`);
      throw new InputError(`loadStateDict: ${parts.join('; ')}`);
    }
    // Queue writes run before work still being recorded: submit that work first.
    this.device.flush();
    for (const [name, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
      const e = dict[name];
      if (!e) continue;
      if (e.shape.join() !== t.shape.join()) {
        throw new InputError(`loadStateDict: '${name}' has shape [${e.shape.join(', ')}], the model expects [${t.shape.join(', ')}]`);
      }
      if (!(e.data instanceof Float32Array)) throw new InputError(`loadStateDict: '${name}' must be F32, not ${e.dtype}`);
      this.device.write(t.buffer, e.data);
    }
    this.loadExtraEntries(dict, '', strict);
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const t of [...this._params.values(), ...this._buffers.values()]) t.dispose();
    for (const c of this._children.values()) c.dispose();
  }
}

/** Eval-mode leases per model: how many analyses run on it, and every module's mode before the first. */
const evalLeases = new WeakMap<Module, { count: number; modes: Array<[Module, boolean]> }>();

function modulesOf(m: Module): Module[] {
  return [m, ...m.children().flatMap(modulesOf)];
}

/**
 * Runs `fn` with `model` in eval mode (BatchNorm uses its running statistics and updates nothing),
 * then gives the model back in the modes its modules were in. Calls that overlap (concurrent
 * `predict`s) share one switch: the first switches to eval mode, the last to finish restores the
 * modes the first found, so no call runs in training mode and none leaves the model changed.
 * Every analysis function (evaluate, predict, driftReport, ...) runs its model through this.
 */
export async function inEvalMode<T>(model: Module, fn: () => Promise<T>): Promise<T> {
  let lease = evalLeases.get(model);
  if (!lease) {
    lease = { count: 0, modes: modulesOf(model).map((m) => [m, m.training]) };
    evalLeases.set(model, lease);
    if (lease.modes.some(([, training]) => training)) model.eval();
  }
  lease.count++;
  try {
    return await fn();
  } finally {
    if (--lease.count === 0) {
      evalLeases.delete(model);
      // Flags only: eval() already dropped any cached BatchNorm folds, and training mode does not use them.
      for (const [m, training] of lease.modes) m.training = training;
    }
  }
}
