/**
 * ONNX export: fer-gpu models as `.onnx` bytes for onnxruntime (Node, web, Python, C++), Triton
 * and any other ONNX runtime. Platform-free: it returns bytes; the CLI writes the file.
 *
 * Each exportable model has a lowering that describes it as an OnnxModel (resnet.ts for
 * fer-resnet18); proto.ts encodes any OnnxModel. A new model (the face detector) adds its
 * lowering and a branch below.
 */
import { InputError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { FerResNet18 } from '../nn/resnet.js';
import { encodeOnnx } from './proto.js';
import { ferResNet18Onnx } from './resnet.js';
import type { ExportOnnxOptions } from './options.js';

export { decodeOnnx, IR_VERSION_OF_OPSET } from './proto.js';
export { DEFAULT_OPSET, ONNX_NAMES, checkOpset, type ExportOnnxOptions } from './options.js';

/**
 * Exports a model as ONNX bytes (write them to a `.onnx` file). fer-resnet18 becomes the graph
 * `input` float32 [N, C, 48, 48] → `logits` [N, numClasses] (and `probabilities` with
 * `withSoftmax`), with every batch norm folded into its convolution as in fer-gpu's own
 * inference. The class names, normalisation and calibration go into the model's metadata_props
 * under the keys of fer-gpu checkpoints (FER_METADATA_KEYS), so `parseFerMetadata` reads them
 * back. The model is read, not changed; its f16 mode (half()) does not matter: the file is f32.
 *
 * @example
 * const { model, info } = loadPretrained(device);
 * fs.writeFileSync('fer.onnx', await exportOnnx(model, { ...info, withSoftmax: true }));
 * @throws InputError for an unsupported model or opset, class names or calibration that do not
 *   fit the model's outputs, a layer whose weight does not fit its input, or non-finite weights.
 */
export async function exportOnnx(model: Module, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  if (model instanceof FerResNet18) return encodeOnnx(await ferResNet18Onnx(model, options));
  const what = model instanceof Object ? model.constructor.name : String(model);
  throw new InputError(`exportOnnx: cannot export ${what}: only fer-resnet18 (FerResNet18) models have an ONNX graph`);
}
