/**
 * ONNX export: fer-gpu models as `.onnx` bytes for onnxruntime (Node, web, Python, C++), Triton
 * and any other ONNX runtime. Platform-free: it returns bytes; the CLI writes the file.
 *
 * Each exportable model has a lowering that adds its layers to a GraphBuilder (resnet.ts for
 * fer-resnet18); exportOnnx adds the inputs, outputs and metadata and encodes the model (proto.ts).
 */
import { InputError } from '../errors.js';
import { FER_CLASSES, FER_IMAGE_SIZE } from '../classes.js';
import { VERSION } from '../version.js';
import { FerResNet18 } from '../nn/resnet.js';
import { ferMetadata } from '../io/fer-metadata.js';
import { GraphBuilder } from './graph.js';
import { encodeOnnx, IR_VERSION_OF_OPSET, type OnnxValue } from './proto.js';
import { ferResNet18Body } from './resnet.js';

export { decodeOnnx, IR_VERSION_OF_OPSET } from './proto.js';

/** The default-domain opset exportOnnx writes unless told otherwise. */
export const DEFAULT_OPSET = 17;

/** Names of the exported graph's inputs and outputs. */
export const ONNX_NAMES = { input: 'input', logits: 'logits', probabilities: 'probabilities', batch: 'N' } as const;

/** Options of {@link exportOnnx}. The checkpoint's info (loadModel's `info`) can be spread in as is. */
export interface ExportOnnxOptions {
  /** ONNX opset of the default domain, 13 to 21 (default 17, IR version 8). */
  opset?: number;
  /** A symbolic batch dimension 'N' (default); false fixes the batch at 1. */
  dynamicBatch?: boolean;
  /** Adds the output 'probabilities': softmax(logits / temperature + logitBias), as predict() gives. */
  withSoftmax?: boolean;
  /** Normalisation the inputs must have had: (pixel / 255 - mean) / std (default 0.5, 0.5). */
  mean?: number;
  std?: number;
  /** Class names in logit order (default FER2013's seven). */
  classes?: readonly string[];
  /** Calibration (see FerCheckpointInfo): applied to 'probabilities' and recorded in the metadata. */
  temperature?: number;
  logitBias?: readonly number[];
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
export async function exportOnnx(model: unknown, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  const { opset = DEFAULT_OPSET, dynamicBatch = true, withSoftmax = false, mean = 0.5, std = 0.5, classes = FER_CLASSES, temperature, logitBias } = options;
  if (!(model instanceof FerResNet18)) {
    const what = model instanceof Object ? model.constructor.name : String(model);
    throw new InputError(`exportOnnx: cannot export ${what}: only fer-resnet18 (FerResNet18) models have an ONNX graph`);
  }
  checkOpset(opset, 'exportOnnx: opset');
  if (classes.length !== model.numClasses) {
    throw new InputError(`exportOnnx: the model has ${model.numClasses} outputs (fc.weight [${model.fc.weight.shape.join(', ')}]) but ${classes.length} class names were given`);
  }
  let metadata: Record<string, string>;
  try {
    metadata = ferMetadata({ width: model.width, mean, std, classes, temperature, logitBias });
  } catch (e) {
    throw new InputError(`exportOnnx: ${(e as Error).message}`);
  }
  delete metadata.format; // safetensors' marker of PyTorch's tensor layout, not an ONNX notion

  const batch = dynamicBatch ? ONNX_NAMES.batch : 1;
  const inChannels = model.conv1.inChannels;
  const g = new GraphBuilder();
  await ferResNet18Body(g, model, { name: ONNX_NAMES.input, channels: inChannels }, ONNX_NAMES.logits);
  const outputs: OnnxValue[] = [{ name: ONNX_NAMES.logits, shape: [batch, model.numClasses], docString: `class scores in the order ${classes.join(', ')}` }];
  if (withSoftmax) {
    let x: string = ONNX_NAMES.logits;
    if (temperature !== undefined) x = g.node('Div', 'temperature', [x, g.initializer('temperature.value', [], Float32Array.of(temperature))]);
    if (logitBias !== undefined) x = g.node('Add', 'logit_bias', [x, g.initializer('logit_bias.value', [model.numClasses], Float32Array.from(logitBias))]);
    g.node('Softmax', 'softmax', [x], { axis: 1 }, ONNX_NAMES.probabilities);
    outputs.push({ name: ONNX_NAMES.probabilities, shape: [batch, model.numClasses], docString: 'softmax(logits / temperature + logit_bias)' });
  }
  const size = FER_IMAGE_SIZE;
  const arch = `fer-resnet18(${model.width})`;
  return encodeOnnx({
    graphName: arch,
    docString:
      `${arch} facial-expression classifier exported by fer-gpu ${VERSION}. Input '${ONNX_NAMES.input}': ` +
      `${size}x${size} gray faces as (pixel / 255 - ${mean}) / ${std}. Classes: ${classes.join(', ')}.`,
    opset,
    producerVersion: VERSION,
    inputs: [{ name: ONNX_NAMES.input, shape: [batch, inChannels, size, size], docString: `(pixel / 255 - ${mean}) / ${std}, NCHW` }],
    outputs,
    nodes: g.nodes,
    initializers: g.initializers,
    metadata,
  });
}
