/** What exportOnnx takes, shared by every model's lowering. */
import { InputError } from '../errors.js';
import type { Calibration } from '../train/calibration.js';
import { IR_VERSION_OF_OPSET } from './proto.js';

/** The default-domain opset exportOnnx writes unless told otherwise. */
export const DEFAULT_OPSET = 17;

/** Names of the exported classifier's input and outputs, and of its symbolic batch dimension. */
export const ONNX_NAMES = { input: 'input', logits: 'logits', probabilities: 'probabilities', batch: 'N' } as const;

/** Options of {@link exportOnnx}. The checkpoint's info (loadModel's `info`) can be spread in as is. */
export interface ExportOnnxOptions {
  /** ONNX opset of the default domain, 13 to 21 (default 17, IR version 8). */
  opset?: number;
  /** A symbolic batch dimension 'N' (default); false fixes the batch at 1. */
  dynamicBatch?: boolean;
  /** Adds the output 'probabilities': softmax of the calibrated logits, as predict() gives. */
  withSoftmax?: boolean;
  /** Normalisation the inputs must have had: (pixel / 255 - mean) / std (default 0.5, 0.5). */
  mean?: number;
  std?: number;
  /** Class names in logit order (default FER2013's seven). */
  classes?: readonly string[];
  /**
   * Logit calibration (loadModel's `info.calibration`, from `fer-gpu calibrate`): 'probabilities'
   * are softmax(logits / temperature + logitBias); recorded in the metadata either way.
   */
  calibration?: Calibration;
  /** How the calibration was fitted (`info.calibrationInfo`), recorded in the metadata as JSON. */
  calibrationInfo?: object;
}

/**
 * Checks that exportOnnx can write this opset (a number, or its text from a command line) and
 * returns it as a number.
 * @param what names the value in the error, e.g. '--opset'.
 * @throws InputError naming the supported range.
 */
export function checkOpset(opset: number | string, what = 'opset'): number {
  const n = typeof opset === 'number' ? opset : /^\d+$/.test(opset) ? Number(opset) : NaN;
  if (!Number.isInteger(n) || IR_VERSION_OF_OPSET[n] === undefined) {
    const known = Object.keys(IR_VERSION_OF_OPSET).map(Number);
    throw new InputError(`${what} must be an integer from ${Math.min(...known)} to ${Math.max(...known)}, got ${JSON.stringify(opset)}`);
  }
  return n;
}
