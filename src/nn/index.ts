/** Modules with PyTorch's names (exported from the package root as `nn`). */
export { Module, inEvalMode, type StateDict, type StateEntry } from './module.js';
export { Conv2d, BatchNorm2d, Linear, ReLU, Sequential } from './layers.js';
export { BasicBlock, FerResNet18, ferResNet18, type FerResNet18Options } from './resnet.js';
