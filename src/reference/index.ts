/**
 * The CPU reference: every op, forward and backward, as plain loops in f64. It is the oracle
 * of the tests and the baseline of the benchmarks (exported from the package root as `reference`).
 */
export { CpuTensor } from './tensor.js';
export { add, relu, addRelu, reluBackward } from '../kernels/elementwise/reference.js';
