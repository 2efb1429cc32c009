/**
 * fer-resnet18 as an ONNX model, the way fer-gpu runs it for inference: every batch norm folded
 * into the convolution before it (BatchNorm2d.fold, the same fold as the GPU inference path),
 * then ReLU, the residual Add, global average pooling, Flatten and Gemm (the fc layer); then
 * optionally the calibrated softmax.
 */
import { InputError } from '../errors.js';
import { FER_CLASSES, FER_IMAGE_SIZE } from '../classes.js';
import { VERSION } from '../version.js';
import type { Tensor } from '../tensor.js';
import type { BatchNorm2d, Conv2d } from '../nn/layers.js';
import type { BasicBlock, FerResNet18 } from '../nn/resnet.js';
import { ferMetadata } from '../io/fer-metadata.js';
import { GraphBuilder } from './graph.js';
import type { OnnxModel, OnnxValue } from './proto.js';
import { DEFAULT_OPSET, ONNX_NAMES, checkOpset, type ExportOnnxOptions } from './options.js';

/** A value of the graph and its channel count (checked against each layer's weight). */
interface Value {
  name: string;
  channels: number;
}

async function read(t: Tensor, what: string): Promise<Float32Array> {
  const data = await t.toArray();
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new InputError(`exportOnnx: ${what} holds a non-finite value (${data[bad]} at index ${bad}): the model cannot be exported`);
  return data;
}

/** conv → batch norm as one Conv with the batch norm folded into its weight and bias. */
async function convBn(g: GraphBuilder, name: string, conv: Conv2d, bn: BatchNorm2d, x: Value): Promise<Value> {
  const [K = 0, C = 0, R = 0, S = 0] = conv.weight.shape;
  if (C !== x.channels) {
    throw new InputError(`exportOnnx: ${name}.weight has shape [${conv.weight.shape.join(', ')}] but its input has ${x.channels} channels`);
  }
  if (bn.numFeatures !== K) throw new InputError(`exportOnnx: ${name} has ${K} output channels but its batch norm has ${bn.numFeatures}`);
  const folded = bn.fold(conv);
  let weight: Float32Array;
  let bias: Float32Array;
  try {
    weight = await read(folded.weight, `${name}.weight folded with its batch norm`);
    bias = await read(folded.bias, `${name}.bias folded with its batch norm`);
  } finally {
    folded.weight.dispose();
    folded.bias.dispose();
  }
  const stride = conv.options.stride ?? 1;
  const pad = conv.options.padding ?? 0;
  const out = g.node(
    'Conv',
    name,
    [x.name, g.initializer(`${name}.weight`, [K, C, R, S], weight), g.initializer(`${name}.bias`, [K], bias)],
    {
      kernel_shape: [R, S],
      strides: [stride, stride],
      pads: [pad, pad, pad, pad],
    },
  );
  return { name: out, channels: K };
}

function relu(g: GraphBuilder, name: string, x: Value): Value {
  return { name: g.node('Relu', name, [x.name]), channels: x.channels };
}

/** BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). */
async function basicBlock(g: GraphBuilder, name: string, block: BasicBlock, x: Value): Promise<Value> {
  let shortcut = x;
  if (block.downsample) {
    const [conv, bn] = block.downsample.children() as [Conv2d, BatchNorm2d];
    shortcut = await convBn(g, `${name}.downsample`, conv, bn, x);
  }
  const y = relu(g, `${name}.relu1`, await convBn(g, `${name}.conv1`, block.conv1, block.bn1, x));
  const z = await convBn(g, `${name}.conv2`, block.conv2, block.bn2, y);
  if (z.channels !== shortcut.channels)
    throw new InputError(`exportOnnx: ${name} adds ${z.channels} channels to a shortcut of ${shortcut.channels}`);
  const sum = { name: g.node('Add', `${name}.add`, [z.name, shortcut.name]), channels: z.channels };
  return relu(g, `${name}.relu2`, sum);
}

/**
 * Adds fer-resnet18's layers from `input` ([N, inChannels, H, W]) to the logits, named `logits`
 * ([N, numClasses]). Reads the weights back from the GPU; the model is not changed.
 * @throws InputError when a layer's weight does not fit its input, or a weight is not finite.
 */
async function ferResNet18Body(g: GraphBuilder, model: FerResNet18, input: Value, logits: string): Promise<void> {
  let x = relu(g, 'relu', await convBn(g, 'conv1', model.conv1, model.bn1, input));
  for (const [i, stage] of model.layers.entries()) {
    for (const [j, block] of (stage.children() as BasicBlock[]).entries()) x = await basicBlock(g, `layer${i + 1}.${j}`, block, x);
  }
  const pooled = g.node('GlobalAveragePool', 'avgpool', [x.name]);
  const flat = g.node('Flatten', 'flatten', [pooled], { axis: 1 });
  const [classes = 0, features = 0] = model.fc.weight.shape;
  if (features !== x.channels)
    throw new InputError(`exportOnnx: fc.weight has shape [${classes}, ${features}] but the pooled features have ${x.channels} channels`);
  const weight = g.initializer('fc.weight', [classes, features], await read(model.fc.weight, 'fc.weight'));
  const inputs = [flat, weight];
  if (model.fc.bias) inputs.push(g.initializer('fc.bias', [classes], await read(model.fc.bias, 'fc.bias')));
  g.node('Gemm', 'fc', inputs, { transB: 1 }, logits);
}

/**
 * fer-resnet18 as a whole ONNX model (see exportOnnx): the body, the optional calibrated softmax,
 * the inputs and outputs, and the checkpoint's metadata.
 */
export async function ferResNet18Onnx(model: FerResNet18, options: ExportOnnxOptions): Promise<OnnxModel> {
  const {
    opset = DEFAULT_OPSET,
    dynamicBatch = true,
    withSoftmax = false,
    mean = 0.5,
    std = 0.5,
    classes = FER_CLASSES,
    calibration,
    calibrationInfo,
  } = options;
  checkOpset(opset, 'exportOnnx: opset');
  if (classes.length !== model.numClasses) {
    throw new InputError(
      `exportOnnx: the model has ${model.numClasses} outputs (fc.weight [${model.fc.weight.shape.join(', ')}]) but ${classes.length} class names were given`,
    );
  }
  let metadata: Record<string, string>;
  try {
    metadata = ferMetadata({ width: model.width, mean, std, classes, calibration, calibrationInfo });
  } catch (e) {
    throw new InputError(`exportOnnx: ${(e as Error).message}`);
  }
  delete metadata.format; // safetensors' marker of PyTorch's tensor layout, not an ONNX notion

  const batch = dynamicBatch ? ONNX_NAMES.batch : 1;
  const inChannels = model.conv1.inChannels;
  const k = model.numClasses;
  const g = new GraphBuilder();
  await ferResNet18Body(g, model, { name: ONNX_NAMES.input, channels: inChannels }, ONNX_NAMES.logits);
  const outputs: OnnxValue[] = [
    { name: ONNX_NAMES.logits, shape: [batch, k], docString: `class scores in the order ${classes.join(', ')}` },
  ];
  if (withSoftmax) {
    let x: string = ONNX_NAMES.logits;
    let calibrated = 'logits';
    if (calibration && calibration.temperature !== 1) {
      x = g.node('Div', 'temperature', [x, g.initializer('temperature.value', [], Float32Array.of(calibration.temperature))]);
      calibrated = `${calibrated} / temperature`;
    }
    if (calibration?.logitBias) {
      x = g.node('Add', 'logit_bias', [x, g.initializer('logit_bias.value', [k], Float32Array.from(calibration.logitBias))]);
      calibrated = `${calibrated} + logit_bias`;
    }
    g.node('Softmax', 'softmax', [x], { axis: 1 }, ONNX_NAMES.probabilities);
    outputs.push({ name: ONNX_NAMES.probabilities, shape: [batch, k], docString: `softmax(${calibrated})` });
  }
  const size = FER_IMAGE_SIZE;
  const arch = `fer-resnet18(${model.width})`;
  return {
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
  };
}
