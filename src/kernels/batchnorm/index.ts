/**
 * batchNorm2d with PyTorch semantics (torch.nn.functional.batch_norm on [N, C, H, W]).
 * Training: per-channel batch statistics (biased variance to normalise), running estimates
 * updated in place on the GPU (unbiased variance, running = (1 − momentum)·running + momentum·batch).
 * Eval: the running estimates. The forward saves the per-channel mean and 1/sqrt(var + eps)
 * (a [2, C] tensor) for the backward.
 */
import { grid1d } from '../../gpu/device.js';
import { record } from '../../autograd.js';
import { fmtShape, sameShape, type Tensor } from '../../tensor.js';
import { BN_BACKWARD_REDUCE, BN_RUNNING_STATS, bnBackwardInput, bnNormalize, bnStats } from './wgsl.js';

/** Options of batchNorm2d; every [C] tensor is f32 on the input's device. */
export interface BatchNormOptions {
  /** Scale γ [C] (null/undefined for affine=false). */
  weight?: Tensor | null;
  /** Shift β [C] (null/undefined for affine=false). */
  bias?: Tensor | null;
  /** Running mean [C]: updated in place in training mode, used in eval mode. */
  runningMean?: Tensor | null;
  /** Running variance [C]: updated in place in training mode, used in eval mode. */
  runningVar?: Tensor | null;
  /** Batch statistics (true) or running ones (false, the default as in PyTorch's functional form). */
  training?: boolean;
  /** Weight of the batch statistics in the running update (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

function checkChannelTensor(name: string, t: Tensor | null | undefined, x: Tensor, C: number): void {
  if (t === null || t === undefined) return;
  if (!sameShape(t.shape, [C])) {
    throw new Error(`batchNorm2d: ${name} must have shape [${C}] for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
  }
  if (t.dtype !== 'f32') throw new Error(`batchNorm2d: ${name} must be f32, got ${t.dtype}`);
  if (t.device !== x.device) throw new Error(`batchNorm2d: ${name} lives on another device than the input`);
}

/**
 * Batch normalisation over x [N, C, H, W]: y = (x − mean) / sqrt(var + eps) · weight + bias.
 * Gradients flow to x, weight and bias in both modes.
 * @example
 * const y = batchNorm2d(x, { weight, bias, runningMean, runningVar, training: true });
 */
export function batchNorm2d(x: Tensor, options: BatchNormOptions = {}): Tensor {
  const { weight, bias, runningMean, runningVar, training = false, momentum = 0.1, eps = 1e-5 } = options;
  if (x.ndim !== 4) throw new Error(`batchNorm2d: input must be 4-D [N, C, H, W], got shape ${fmtShape(x.shape)}`);
  if (x.dtype !== 'f32') throw new Error(`batchNorm2d: input must be f32, got ${x.dtype}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const HW = H * W;
  for (const [name, t] of Object.entries({ weight, bias, runningMean, runningVar })) checkChannelTensor(name, t, x, C);
  if (!weight !== !bias) throw new Error('batchNorm2d: give both weight and bias, or neither (affine=false)');
  if (!runningMean !== !runningVar) throw new Error('batchNorm2d: give both runningMean and runningVar, or neither');
  if (!training && !runningMean) throw new Error('batchNorm2d: eval mode (training: false) needs runningMean and runningVar');
  if (training && N * HW <= 1) {
    throw new Error(`batchNorm2d: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  }
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm2d: momentum must be in [0, 1], got ${momentum}`);
  if (!(eps > 0)) throw new Error(`batchNorm2d: eps must be > 0, got ${eps}`);
  if (C > 65535) throw new Error(`batchNorm2d: at most 65535 channels, got ${C}`);

  const d = x.device;
  const stats = d.empty([2, C]);
  if (training) {
    const running = runningMean && runningVar ? [runningMean.buffer, runningVar.buffer] : [];
    d.dispatch(bnStats(running.length > 0), {
      params: [N, C, HW, { f32: eps }, { f32: momentum }],
      buffers: [x.buffer, stats.buffer, ...running],
      workgroups: [C],
    });
  } else {
    d.dispatch(BN_RUNNING_STATS, {
      params: [C, { f32: eps }],
      buffers: [runningMean!.buffer, runningVar!.buffer, stats.buffer],
      workgroups: grid1d(C, 256),
    });
  }
  const affine = weight && bias ? [weight.buffer, bias.buffer] : [];
  const y = d.empty(x.shape);
  d.dispatch(bnNormalize(affine.length > 0), {
    params: [x.size, C, HW],
    buffers: [x.buffer, stats.buffer, ...affine, y.buffer],
    workgroups: grid1d(x.size, 256),
  });

  const inputs = weight && bias ? [x, weight, bias] : [x];
  record(y, 'batchNorm2d', inputs, (g) => {
    const gBias = d.empty([C]);
    const gWeight = d.empty([C]);
    d.dispatch(BN_BACKWARD_REDUCE, {
      params: [N, C, HW],
      buffers: [g.buffer, x.buffer, stats.buffer, gBias.buffer, gWeight.buffer],
      workgroups: [C],
    });
    let gx: Tensor | null = null;
    if (x.requiresGrad) {
      gx = d.empty(x.shape);
      d.dispatch(bnBackwardInput(weight !== null && weight !== undefined), {
        params: [x.size, C, HW, training ? 1 : 0],
        buffers: [g.buffer, x.buffer, stats.buffer, gBias.buffer, gWeight.buffer, ...(weight ? [weight.buffer] : []), gx.buffer],
        workgroups: grid1d(x.size, 256),
      });
    }
    stats.dispose();
    if (!weight) {
      gBias.dispose();
      gWeight.dispose();
    }
    return [gx, weight ? gWeight : null, bias ? gBias : null];
  });
  if (!y.requiresGrad) stats.dispose();
  return y;
}
