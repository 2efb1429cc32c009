/**
 * The reference implementation of the checks: MediaPipe's BlazeFace .tflite graph (from
 * node_modules/@mediapipe/face_detection, not our converted file) run op by op with TensorFlow.js
 * ops on its CPU backend, NHWC, TensorFlow's own padding and resize semantics; and MediaPipe's
 * input transform (letterbox to a square with black, resizeBilinear with half-pixel centres,
 * scale to [-1, 1]) with tfjs ops on decoded pixels.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readTflite, tensorValues, type TfliteOperator } from '../../scripts/blazeface/tflite.js';
import { sourceFile } from '../../scripts/blazeface/convert.js';
import type { BlazeFaceRange } from '../../src/faces/spec.js';
import type { RawDetections } from '../../src/faces/blazeface.js';
import type { PixelImage } from '../../src/faces/detect.js';
import { letterbox } from '../../src/faces/postprocess.js';

export type TfModel = (x: tf.Tensor4D) => RawDetections;

/** The .tflite of a range as a function of a [N, S, S, 3] batch. */
export async function tfjsBlazeFace(range: BlazeFaceRange): Promise<TfModel> {
  await tf.setBackend('cpu');
  const g = readTflite(readFileSync(sourceFile(range)));
  const consts = new Map<number, tf.Tensor>();
  const constant = (i: number) => {
    let t = consts.get(i);
    if (!t) {
      const src = g.tensors[i]!;
      t = tf.keep(tf.tensor(tensorValues(src), src.shape, src.type === 'INT32' ? 'int32' : 'float32'));
      consts.set(i, t);
    }
    return t;
  };
  const padding = (op: TfliteOperator) => (g.optionByte(op, 0) === 0 ? 'same' : 'valid');
  return (x) =>
    tf.tidy(() => {
      const values = new Map<number, tf.Tensor>([[g.inputs[0]!, x]]);
      const v = (i: number) => values.get(i) ?? constant(i);
      for (const op of g.operators) {
        const [a, b, c] = op.inputs;
        const s = op.options[1] ?? 1;
        let y: tf.Tensor;
        switch (op.op) {
          case 'DEQUANTIZE':
            y = constant(a!);
            break;
          case 'CONV_2D':
            y = tf.add(tf.conv2d(v(a!) as tf.Tensor4D, tf.transpose(v(b!), [1, 2, 3, 0]) as tf.Tensor4D, s, padding(op)), v(c!));
            break;
          case 'DEPTHWISE_CONV_2D':
            y = tf.add(tf.depthwiseConv2d(v(a!) as tf.Tensor4D, tf.transpose(v(b!), [1, 2, 3, 0]) as tf.Tensor4D, s, padding(op)), v(c!));
            break;
          case 'ADD':
            y = tf.add(v(a!), v(b!));
            break;
          case 'RELU':
            y = tf.relu(v(a!));
            break;
          case 'MAX_POOL_2D':
            y = tf.maxPool(v(a!) as tf.Tensor4D, op.options[3]!, s, padding(op));
            break;
          case 'PAD':
            y = tf.pad(v(a!), chunk(Array.from(tensorValues(g.tensors[b!]!))));
            break;
          case 'RESIZE_BILINEAR':
            y = tf.image.resizeBilinear(
              v(a!) as tf.Tensor4D,
              g.tensors[op.outputs[0]!]!.shape.slice(1, 3) as [number, number],
              false,
              true,
            );
            break;
          case 'RESHAPE':
            y = tf.reshape(v(a!), [-1, ...g.tensors[op.outputs[0]!]!.shape.slice(1)]);
            break;
          case 'CONCATENATION':
            y = tf.concat(op.inputs.map(v), op.options[0]);
            break;
          default:
            throw new Error(`tfjs reference: op ${op.op}`);
        }
        values.set(op.outputs[0]!, y);
      }
      const [boxes, scores] = g.outputs.map((i) => values.get(i)!);
      return { scores: Float32Array.from(scores!.dataSync()), boxes: Float32Array.from(boxes!.dataSync()) };
    });
}

function chunk(p: number[]): Array<[number, number]> {
  return [0, 2, 4, 6].map((i) => [p[i]!, p[i + 1]!] as [number, number]);
}

/**
 * MediaPipe's input transform with tfjs's resizeBilinear: [1, S, S, 3] in [-1, 1]. The image is
 * zero-padded to the letterbox square in plain JS (tf.pad of a 1920x1920 image takes seconds on
 * the CPU backend); the resize is tfjs's.
 */
export function tfjsLetterbox(image: PixelImage, size: number): tf.Tensor4D {
  const { width, height } = image;
  const channels = image.channels ?? image.data.length / (width * height);
  const box = letterbox(width, height);
  const side = box.width;
  const padded = new Float32Array(side * side * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        padded[((y - box.y) * side + x - box.x) * 3 + c] = image.data[(y * width + x) * channels + (channels === 1 ? 0 : c)]!;
  return tf.tidy(
    () =>
      tf.sub(tf.div(tf.image.resizeBilinear(tf.tensor4d(padded, [1, side, side, 3]), [size, size], false, true), 127.5), 1) as tf.Tensor4D,
  );
}

export { tf };
