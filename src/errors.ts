/**
 * An error caused by bad input (a file, a line, a shape, an argument) rather than by the GPU
 * or the runtime. The CLI exits with code 1 for it and 2 for anything else.
 */
export class InputError extends Error {
  override name = 'InputError';
}
