/** CPU references of the optimizers and gradient utilities (f64, plain loops). */
export { sgdStep, type SgdReferenceState } from './sgd/reference.js';
export { adamwStep, adamwState, type AdamWReferenceState } from './adamw/reference.js';
export { clipGradNorm } from './clip/reference.js';
export { emaStep } from './ema/reference.js';
