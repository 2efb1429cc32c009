/**
 * The CPU reference: every op, forward and backward, as plain loops in f64. It is the oracle
 * of the tests and the baseline of the benchmarks (exported from the package root as `reference`).
 */
export { CpuTensor } from './tensor.js';
export { add, relu, addRelu, reluBackward } from '../kernels/elementwise/reference.js';
export { batchNorm2d, batchNorm2dBackward, type BatchNormReferenceOptions } from '../kernels/batchnorm/reference.js';
export {
  maxPool2d,
  maxPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  globalAvgPool2d,
  globalAvgPool2dBackward,
} from '../kernels/pool/reference.js';
export { crossEntropy, crossEntropyBackward, type CrossEntropyReferenceOptions } from '../kernels/cross-entropy/reference.js';
export {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dBackwardBias,
  type CpuConv2dOptions,
} from '../kernels/conv2d/reference.js';
export { matmul, matmulBackward, linear, linearBackward } from '../kernels/matmul/reference.js';
export { sgdStep, adamwStep, adamwState, clipGradNorm, type SgdReferenceState, type AdamWReferenceState } from '../optim/reference.js';
export { depthwiseConv2d, type CpuDepthwiseConv2dOptions } from '../kernels/depthwise-conv2d/reference.js';
export { resizeBilinear } from '../kernels/resize-bilinear/reference.js';
export { pad } from '../kernels/pad/reference.js';
export { cropResize, type RgbaImage } from '../kernels/crop-resize/reference.js';
