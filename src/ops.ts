/** The GPU ops with autograd, PyTorch semantics (exported from the package root as `ops`). */
export { add, relu, addRelu } from './kernels/elementwise/index.js';
