/** The GPU ops with autograd, PyTorch semantics (exported from the package root as `ops`). */
export { add, relu, addRelu } from './kernels/elementwise/index.js';
export { batchNorm2d, type BatchNormOptions } from './kernels/batchnorm/index.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, type Pool2dOptions, type Size2 } from './kernels/pool/index.js';
export { crossEntropy, type CrossEntropyOptions, type CrossEntropyTargets } from './kernels/cross-entropy/index.js';
