/** The GPU ops with autograd, PyTorch semantics (exported from the package root as `ops`). */
export { add, relu, addRelu } from './kernels/elementwise/index.js';
export { batchNorm2d, foldBatchNormIntoConv, type BatchNormOptions } from './kernels/batchnorm/index.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, type Pool2dOptions, type Size2 } from './kernels/pool/index.js';
export { crossEntropy, type CrossEntropyOptions, type CrossEntropyTargets } from './kernels/cross-entropy/index.js';
export {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dBackwardBias,
  type Conv2dOpOptions,
  type Conv2dOptions,
} from './kernels/conv2d/index.js';
export { matmul, matmulBackward, linear, linearBackward } from './kernels/matmul/index.js';
export {
  depthwiseConv2d,
  type DepthwiseConv2dOpOptions,
  type DepthwiseConv2dOptions,
  type DepthwisePadding,
} from './kernels/depthwise-conv2d/index.js';
export { resizeBilinear, type ResizeBilinearOptions } from './kernels/resize-bilinear/index.js';
export { pad, type PadOptions } from './kernels/pad/index.js';
