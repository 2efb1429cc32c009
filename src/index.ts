/**
 * fer-gpu: facial-expression recognition on WebGPU.
 * @packageDocumentation
 */
export { createDevice, Device, type DeviceOptions, type DeviceInfo, type Backend } from './gpu/device.js';
export { Tensor, type TensorOptions, type DType } from './tensor.js';
export { FER_CLASSES, FER_IMAGE_SIZE, type FerClass } from './classes.js';
export * as ops from './ops.js';
export * as reference from './reference/index.js';
export * as optim from './optim/index.js';
