/**
 * batchNorm2d with PyTorch semantics (torch.nn.functional.batch_norm on [N, C, H, W]).
 * Training: per-channel batch statistics (biased variance to normalise), running estimates
 * updated in place on the GPU (unbiased variance, running = (1 − momentum)·running + momentum·batch).
 * Eval: the running estimates. The forward saves the per-channel mean and 1/sqrt(var + eps)
 * (a [2, C] tensor) for the backward.
 */
import { f32, grid1d } from '../../gpu/device.js';
import { record } from '../../autograd.js';
import { fmtShape, sameShape, type Tensor } from '../../tensor.js';
import { checkTensors } from '../check.js';
import { reluBackward } from '../elementwise/index.js';
import {
  BN_BACKWARD_FINALIZE,
  BN_RUNNING_STATS,
  BN_WORKGROUP,
  chunkItems,
  bnBackwardInput,
  bnBackwardPartials,
  bnFoldConv,
  bnNormalize,
  bnStatsFinalize,
  bnStatsPartials,
  imagesPerGroup,
  reduceLanes,
} from './wgsl.js';
import { isSoftware } from '../gemm/tiling.js';

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
  /** Added to the normalised output before the ReLU, fused (a ResNet block's shortcut), same shape as x. */
  residual?: Tensor | null;
  /** Applies max(·, 0) to the output, fused (BatchNorm → ReLU, as in every ResNet block). */
  relu?: boolean;
}

function checkChannelTensor(name: string, t: Tensor | null | undefined, x: Tensor, C: number): void {
  if (t === null || t === undefined) return;
  if (!sameShape(t.shape, [C])) {
    throw new Error(`batchNorm2d: ${name} must have shape [${C}] for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
  }
  checkTensors('batchNorm2d', [
    ['input', x],
    [name, t],
  ]);
}

/**
 * Batch normalisation over x [N, C, H, W]: y = (x − mean) / sqrt(var + eps) · weight + bias,
 * optionally followed, in the same kernel, by `+ residual` and a ReLU:
 * y = relu(bn(x) + residual) is a ResNet block's tail in one pass over memory.
 * Gradients flow to x, weight, bias (and residual) in both modes.
 * @example
 * const y = batchNorm2d(x, { weight, bias, runningMean, runningVar, training: true });
 * const out = batchNorm2d(h, { weight, bias, runningMean, runningVar, training: true, residual: x, relu: true });
 */
export function batchNorm2d(x: Tensor, options: BatchNormOptions = {}): Tensor {
  const { weight, bias, runningMean, runningVar, training = false, momentum = 0.1, eps = 1e-5, residual = null, relu = false } = options;
  if (x.ndim !== 4) throw new Error(`batchNorm2d: input must be 4-D [N, C, H, W], got shape ${fmtShape(x.shape)}`);
  checkTensors('batchNorm2d', [['input', x]]);
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

  if (residual) {
    if (!sameShape(residual.shape, x.shape)) {
      throw new Error(`batchNorm2d: residual must have the input's shape ${fmtShape(x.shape)}, got ${fmtShape(residual.shape)}`);
    }
    checkTensors('batchNorm2d', [
      ['input', x],
      ['residual', residual],
    ]);
  }
  if (N > 65535) throw new Error(`batchNorm2d: at most 65535 images per batch, got input ${fmtShape(x.shape)}`);

  const d = x.device;
  const vec4 = HW % 4 === 0;
  const HWv = vec4 ? HW / 4 : HW;
  const layout = { C, HWv, vec4, lanes: reduceLanes(isSoftware(d)) };
  const chunks = (N * C * HWv) / chunkItems(HWv);
  const elementGrid = grid1d(chunks, BN_WORKGROUP);
  const stats = d.empty([2, C]);
  // the per-channel reductions: partial sums over groups of NP images, then one pass per channel
  const NP = imagesPerGroup(HWv, N);
  const groups = Math.ceil(N / NP);
  const reduceParams = [N, NP, groups];
  const pairs = groups * layout.lanes;
  if (training) {
    const running = runningMean && runningVar ? [runningMean.buffer, runningVar.buffer] : [];
    const part = d.empty([C, pairs, 2]);
    d.dispatch(bnStatsPartials(layout), { params: reduceParams, buffers: [x.buffer, part.buffer], workgroups: [groups, C] });
    d.dispatch(bnStatsFinalize(running.length > 0, vec4), {
      params: [C, pairs, HWv, f32(N * HW), f32(eps), f32(momentum)],
      buffers: [part.buffer, x.buffer, stats.buffer, ...running],
      workgroups: [Math.ceil(C / 64)],
    });
    part.dispose();
  } else {
    d.dispatch(BN_RUNNING_STATS, {
      params: [C, f32(eps)],
      buffers: [runningMean!.buffer, runningVar!.buffer, stats.buffer],
      workgroups: grid1d(C, 256),
    });
  }
  const affine = weight && bias ? [weight.buffer, bias.buffer] : [];
  const y = d.empty(x.shape);
  d.dispatch(bnNormalize(layout, { affine: affine.length > 0, residual: !!residual, relu }), {
    params: [chunks],
    buffers: [x.buffer, stats.buffer, ...affine, ...(residual ? [residual.buffer] : []), y.buffer],
    workgroups: elementGrid,
  });

  const inputs = [x, ...(weight && bias ? [weight, bias] : []), ...(residual ? [residual] : [])];
  record(y, relu ? (residual ? 'batchNorm2dAddRelu' : 'batchNorm2dRelu') : residual ? 'batchNorm2dAdd' : 'batchNorm2d', inputs, (g) => {
    const gBias = d.empty([C]);
    const gWeight = d.empty([C]);
    const part = d.empty([C, pairs, 2]);
    d.dispatch(bnBackwardPartials(layout, relu), {
      params: reduceParams,
      buffers: [g.buffer, x.buffer, stats.buffer, part.buffer, ...(relu ? [y.buffer] : [])],
      workgroups: [groups, C],
    });
    d.dispatch(BN_BACKWARD_FINALIZE, {
      params: [C, pairs],
      buffers: [part.buffer, stats.buffer, gBias.buffer, gWeight.buffer],
      workgroups: [Math.ceil(C / 64)],
    });
    part.dispose();
    // g' (the gradient through the fused ReLU) is g itself without relu; the residual's gradient
    // is g', written by the input pass (or by reluBackward when the input needs no gradient)
    let gm: Tensor | null = null;
    let gx: Tensor | null = null;
    if (x.requiresGrad) {
      gx = d.empty(x.shape);
      if (relu && residual) gm = d.empty(x.shape);
      d.dispatch(bnBackwardInput(layout, { affine: !!weight, masked: relu, writeGm: !!gm }), {
        params: [chunks, training ? 1 : 0, f32(N * HW)],
        buffers: [g, x, stats, gBias, gWeight, weight, relu ? y : null, gx, gm].filter((t): t is Tensor => !!t).map((t) => t.buffer),
        workgroups: elementGrid,
      });
    }
    stats.dispose();
    if (!weight) {
      gBias.dispose();
      gWeight.dispose();
    }
    const grads: Array<Tensor | null> = [gx];
    if (weight) grads.push(gWeight, gBias);
    // The residual's gradient is g' (the engine copies it if it is also returned above).
    if (residual) grads.push(relu ? (gm ?? reluBackward(g, y)) : g);
    return grads;
  });
  if (!y.requiresGrad) stats.dispose();
  return y;
}

/**
 * Folds an eval-mode batch norm into the convolution before it (for inference without autograd):
 * conv2d(x, W', { bias: b' }) equals batchNorm2d(conv2d(x, W, { bias: b }), running statistics)
 * with W'[o] = W[o]·s, b'[o] = (b[o] − runningMean[o])·s + bias[o], s = weight[o]/sqrt(runningVar[o] + eps).
 * Returns fresh tensors (no autograd); the caller owns them.
 */
export function foldBatchNormIntoConv(
  convWeight: Tensor,
  convBias: Tensor | null,
  bn: { weight: Tensor; bias: Tensor; runningMean: Tensor; runningVar: Tensor; eps?: number },
): { weight: Tensor; bias: Tensor } {
  if (convWeight.ndim !== 4)
    throw new Error(`foldBatchNormIntoConv: conv weight must be 4-D [K, C, R, S], got ${fmtShape(convWeight.shape)}`);
  const K = convWeight.shape[0]!;
  const fanIn = convWeight.size / K;
  for (const [name, t] of Object.entries({ convBias, ...bn })) {
    if (t instanceof Object && 'shape' in t && !sameShape(t.shape, [K])) {
      throw new Error(
        `foldBatchNormIntoConv: ${name} must have shape [${K}] for conv weight ${fmtShape(convWeight.shape)}, got ${fmtShape(t.shape)}`,
      );
    }
  }
  const d = convWeight.device;
  const weight = d.empty(convWeight.shape);
  const bias = d.empty([K]);
  d.dispatch(bnFoldConv(convBias !== null), {
    params: [K, fanIn, f32(bn.eps ?? 1e-5)],
    buffers: [
      convWeight.buffer,
      ...(convBias ? [convBias.buffer] : []),
      bn.weight.buffer,
      bn.bias.buffer,
      bn.runningMean.buffer,
      bn.runningVar.buffer,
      weight.buffer,
      bias.buffer,
    ],
    workgroups: grid1d(convWeight.size, 256),
  });
  return { weight, bias };
}
