/**
 * The optimizer base class shared by SGD and AdamW: parameter checks, the parameter group with
 * its mutable learning rate, per-parameter state on the GPU, zeroGrad and the state dict.
 */
import type { Device } from '../gpu/device.js';
import { fmtShape, sameShape, type Tensor } from '../tensor.js';

/**
 * A parameter group, as PyTorch's `optimizer.param_groups[0]`: the parameters and the
 * hyper-parameters used for them. Changing a field (e.g. `lr`) takes effect at the next step.
 */
export type ParamGroup<O> = O & { params: Tensor[] };

/**
 * The state of one parameter: the step count (on the CPU, as PyTorch keeps it unless
 * `capturable=True`) and named GPU buffers of the parameter's shape (momentum, moments, ...).
 */
export interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
}

/**
 * A serialisable snapshot of an optimizer (PyTorch's `optimizer.state_dict()`): `state[i]` is the
 * state of the i-th parameter (absent before its first step), `paramGroups` the hyper-parameters
 * with the parameters replaced by their indices.
 */
export interface OptimizerStateDict<O> {
  state: Record<number, { step: number } & Record<string, Float32Array | number>>;
  paramGroups: Array<O & { params: number[] }>;
}

export abstract class Optimizer<O extends { lr: number }> {
  /** The parameter groups (one group holding every parameter), as PyTorch's `param_groups`. */
  readonly paramGroups: [ParamGroup<O>];
  /** @internal per-parameter state, created at a parameter's first step. */
  protected readonly state = new Map<Tensor, ParamState>();
  protected readonly device: Device;
  /** Names of the GPU buffers this optimizer keeps per parameter (for the state dict). */
  protected abstract readonly stateNames: readonly string[];

  protected constructor(
    readonly name: string,
    params: readonly Tensor[],
    options: O,
  ) {
    if (!Array.isArray(params) || params.length === 0) {
      throw new Error(`${name}: params must be a non-empty array of tensors`);
    }
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (p.dtype !== 'f32') throw new Error(`${name}: param ${i} ${fmtShape(p.shape)} is ${p.dtype}, not f32`);
      if (!p.isLeaf) throw new Error(`${name}: can't optimize a non-leaf tensor (param ${i} ${fmtShape(p.shape)})`);
      if (p.device !== params[0]!.device) throw new Error(`${name}: param ${i} lives on another device`);
      if (seen.has(p)) throw new Error(`${name}: param ${i} ${fmtShape(p.shape)} appears twice`);
      seen.add(p);
    });
    this.device = params[0]!.device;
    this.paramGroups = [{ ...options, params: [...params] }];
  }

  /** The parameters, in the order given to the constructor. */
  get params(): readonly Tensor[] {
    return this.paramGroups[0].params;
  }

  /** The learning rate (`param_groups[0]['lr']` in PyTorch); assign to change it between steps. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }
  set lr(value: number) {
    if (!(value >= 0)) throw new Error(`${this.name}: invalid learning rate ${value}`);
    this.paramGroups[0].lr = value;
  }

  /**
   * Updates every parameter that has a `.grad` (those without are skipped, as in PyTorch).
   * All work is recorded on the GPU; nothing is read back.
   */
  abstract step(): void;

  /** Disposes every parameter's gradient and sets it to null (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The parameters that have a gradient, with their index; checks the gradient's shape. */
  protected withGrads(): Array<{ index: number; param: Tensor; grad: Tensor }> {
    const out: Array<{ index: number; param: Tensor; grad: Tensor }> = [];
    this.params.forEach((param, index) => {
      const grad = param.grad;
      if (!grad) return;
      if (!sameShape(grad.shape, param.shape)) {
        throw new Error(`${this.name}.step: param ${index} has shape ${fmtShape(param.shape)} but its grad ${fmtShape(grad.shape)}`);
      }
      out.push({ index, param, grad });
    });
    return out;
  }

  /** A GPU state buffer that outlives any `device.tidy` it is created in. */
  protected keep(t: Tensor): Tensor {
    this.device.untrack(t);
    return t;
  }

  /**
   * Reads the optimizer state back (async). Buffers come back as Float32Array under camelCase
   * names of PyTorch's keys: `momentumBuffer` (SGD), `expAvg`, `expAvgSq`, `maxExpAvgSq` (AdamW).
   */
  async stateDict(): Promise<OptimizerStateDict<O>> {
    const state: OptimizerStateDict<O>['state'] = {};
    const params = this.params;
    for (let i = 0; i < params.length; i++) {
      const s = this.state.get(params[i]!);
      if (!s) continue;
      const entry: { step: number } & Record<string, Float32Array | number> = { step: s.step };
      for (const [key, t] of Object.entries(s.buffers)) entry[key] = await t.toArray();
      state[i] = entry;
    }
    const { params: _unused, ...options } = this.paramGroups[0];
    void _unused;
    return { state, paramGroups: [{ ...structuredClone(options as unknown as O), params: params.map((_, i) => i) }] };
  }

  /**
   * Restores a state dict made by `stateDict()` of an optimizer of the same kind over parameters
   * of the same shapes (hyper-parameters included, as PyTorch does).
   */
  loadStateDict(dict: OptimizerStateDict<O>): void {
    const where = `${this.name}.loadStateDict`;
    const group = dict.paramGroups?.[0];
    if (!group || dict.paramGroups.length !== 1 || group.params.length !== this.params.length) {
      throw new Error(`${where}: the state dict has a different number of parameters than this optimizer (${this.params.length})`);
    }
    const expectedKeys = Object.keys(this.paramGroups[0]).sort().join(', ');
    const givenKeys = Object.keys(group).sort().join(', ');
    if (givenKeys !== expectedKeys) {
      throw new Error(`${where}: the param group has keys {${givenKeys}} but ${this.name} expects {${expectedKeys}}`);
    }
    const fresh = new Map<Tensor, ParamState>();
    try {
      for (const [key, entry] of Object.entries(dict.state)) {
        const index = Number(key);
        const param = this.params[index];
        if (!param) throw new Error(`${where}: state for param ${key}, but there are ${this.params.length} params`);
        if (!Number.isInteger(entry.step) || entry.step < 0) throw new Error(`${where}: param ${index} has invalid step ${entry.step}`);
        const buffers: Record<string, Tensor> = {};
        fresh.set(param, { step: entry.step, buffers });
        for (const name of Object.keys(entry)) {
          if (name !== 'step' && !this.stateNames.includes(name)) {
            throw new Error(`${where}: unknown state '${name}' for param ${index} (expected ${this.stateNames.join(', ') || 'none'})`);
          }
        }
        for (const name of this.stateNames) {
          const data = entry[name];
          if (data === undefined) continue;
          if (!(data instanceof Float32Array) || data.length !== param.size) {
            throw new Error(
              `${where}: state '${name}' of param ${index} must be a Float32Array of ${param.size} values (shape ${fmtShape(param.shape)})`,
            );
          }
          buffers[name] = this.keep(this.device.tensor(data, param.shape));
        }
      }
    } catch (e) {
      for (const s of fresh.values()) for (const t of Object.values(s.buffers)) t.dispose();
      throw e;
    }
    this.disposeState();
    for (const [p, s] of fresh) this.state.set(p, s);
    const { params: _unused, ...options } = group;
    void _unused;
    Object.assign(this.paramGroups[0], structuredClone(options));
  }

  /** Frees the optimizer state on the GPU (the optimizer starts afresh at the next step). */
  dispose(): void {
    this.disposeState();
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.buffers)) t.dispose();
    this.state.clear();
  }
}
