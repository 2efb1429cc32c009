/**
 * crossEntropy with PyTorch semantics (torch.nn.functional.cross_entropy on logits [N, K] and
 * class ids), fused: the forward kernel also writes d(loss)/d(logits), and the backward only
 * scales that saved gradient by the incoming one (read on the GPU).
 */
import { grid1d } from '../../gpu/device.js';
import { record } from '../../autograd.js';
import { fmtShape, sameShape, Tensor } from '../../tensor.js';
import { checkTensors } from '../check.js';
import { CROSS_ENTROPY_BACKWARD, REDUCTION, crossEntropyForward } from './wgsl.js';

/** Class ids: an i32 tensor [N] on the logits' device, or an array checked on the CPU. */
export type CrossEntropyTargets = Tensor | Int32Array | readonly number[];

export interface CrossEntropyOptions {
  /** 'mean' (default: divides by the sum of the targets' weights, N without weights), 'sum' or 'none'. */
  reduction?: 'mean' | 'sum' | 'none';
  /** ε in [0, 1]: loss = (1 − ε)·nll + ε·mean over classes of −log p (PyTorch's label_smoothing). */
  labelSmoothing?: number;
  /** Per-class weights [K] (a rescaling of each class, as PyTorch's `weight`). */
  weight?: Tensor | ArrayLike<number> | null;
}

/**
 * Cross-entropy loss of logits [N, K] (f32) against class ids, computed stably (max subtraction).
 * Returns a scalar tensor (shape [], size 1) for 'mean' and 'sum', shape [N] for 'none'.
 *
 * Targets given as an array are checked on the CPU (integers in [0, K)); targets given as an
 * i32 tensor cannot be checked without a read-back, so an out-of-range id gives a NaN loss
 * (and NaN gradients) for its row instead of reading out of bounds.
 * @example
 * const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * loss.backward();
 */
export function crossEntropy(logits: Tensor, targets: CrossEntropyTargets, options: CrossEntropyOptions = {}): Tensor {
  const { reduction = 'mean', labelSmoothing = 0, weight = null } = options;
  if (logits.ndim !== 2) throw new Error(`crossEntropy: logits must be 2-D [N, K], got shape ${fmtShape(logits.shape)}`);
  checkTensors('crossEntropy', [['logits', logits]]);
  const [N, K] = logits.shape as [number, number];
  if (N < 1 || K < 1) throw new Error(`crossEntropy: logits ${fmtShape(logits.shape)} are empty`);
  if (!(reduction in REDUCTION)) throw new Error(`crossEntropy: reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  }
  if (Math.ceil(N / 256) > 65535) throw new Error(`crossEntropy: at most ${65535 * 256} rows, got ${N}`);
  const d = logits.device;

  const owned: Tensor[] = []; // uploaded here, disposed after the dispatch
  let t: Tensor;
  if (targets instanceof Tensor) {
    if (targets.dtype !== 'i32' || !sameShape(targets.shape, [N])) {
      throw new Error(`crossEntropy: targets must be an i32 tensor of shape [${N}], got ${targets.dtype} ${fmtShape(targets.shape)}`);
    }
    checkTensors(
      'crossEntropy',
      [
        ['logits', logits],
        ['targets', targets],
      ],
      ['f32', 'i32'],
    );
    t = targets;
  } else {
    if (targets.length !== N) throw new Error(`crossEntropy: ${targets.length} targets for logits ${fmtShape(logits.shape)}`);
    for (let i = 0; i < N; i++) {
      const y = targets[i]!;
      if (!Number.isInteger(y) || y < 0 || y >= K) {
        throw new Error(`crossEntropy: target ${y} at index ${i} is not a class id in [0, ${K})`);
      }
    }
    t = d.tensor(Int32Array.from(targets), [N]);
    owned.push(t);
  }
  let w: Tensor | null = null;
  if (weight instanceof Tensor) {
    if (weight.dtype !== 'f32' || !sameShape(weight.shape, [K])) {
      throw new Error(`crossEntropy: weight must be an f32 tensor of shape [${K}], got ${weight.dtype} ${fmtShape(weight.shape)}`);
    }
    checkTensors('crossEntropy', [
      ['logits', logits],
      ['weight', weight],
    ]);
    w = weight;
  } else if (weight) {
    if (weight.length !== K) throw new Error(`crossEntropy: weight has ${weight.length} entries for ${K} classes`);
    w = d.tensor(Float32Array.from(weight), [K]);
    owned.push(w);
  }

  const loss = d.empty(reduction === 'none' ? [N] : []);
  const grad = d.empty([N, K]);
  d.dispatch(crossEntropyForward(w !== null), {
    params: [N, K, REDUCTION[reduction], { f32: labelSmoothing }, 0x7fc00000],
    buffers: [logits.buffer, t.buffer, ...(w ? [w.buffer] : []), loss.buffer, grad.buffer],
    workgroups: reduction === 'none' ? [Math.ceil(N / 256)] : [1],
  });
  for (const o of owned) o.dispose();

  record(loss, 'crossEntropy', [logits], (g) => {
    const gx = d.empty([N, K]);
    d.dispatch(CROSS_ENTROPY_BACKWARD, {
      params: [N * K, K, reduction === 'none' ? 1 : 0],
      buffers: [grad.buffer, g.buffer, gx.buffer],
      workgroups: grid1d(N * K, 256),
    });
    grad.dispose();
    return [gx];
  });
  if (!loss.requiresGrad) grad.dispose();
  return loss;
}
