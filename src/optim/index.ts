/**
 * Optimizers and gradient utilities (exported from the package root as `optim`), with
 * PyTorch's names and update rules: `optim.SGD`, `optim.AdamW`, `optim.clipGradNorm`, and
 * `optim.emaUpdate` (the shadow-weight update of an exponential moving average).
 * The `reference` namespace holds the CPU references (f64 loops) the tests check them against.
 */
export { Optimizer, type ParamGroup, type ParamState, type OptimizerStateDict } from './optimizer.js';
export { SGD, type SgdOptions } from './sgd/index.js';
export { AdamW, type AdamWOptions } from './adamw/index.js';
export { clipGradNorm } from './clip/index.js';
export { emaUpdate } from './ema/index.js';
export * as reference from './reference.js';
