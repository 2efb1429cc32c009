/**
 * The port equals the original: our BlazeFace (converted weights, our kernels, our input
 * transform) against MediaPipe's .tflite graph run with TensorFlow.js ops (tfjs-reference.ts),
 * on the six group photos that @vladmandic/face-api ships (read from node_modules).
 */
import { existsSync, readFileSync } from 'node:fs';
import { convertedFile } from '../../scripts/blazeface/convert.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBlazeFace, readImageInput } from '../../src/faces/node.js';
import { detectInImages, type PixelImage } from '../../src/faces/detect.js';
import { anchorCentres, decode, iou, letterbox, project, weightedNms } from '../../src/faces/postprocess.js';
import type { BlazeFace } from '../../src/faces/blazeface.js';
import type { BlazeFaceRange } from '../../src/faces/spec.js';
import { expectClose, useDevice } from '../helpers.js';
import { tfjsBlazeFace, tfjsLetterbox, tf } from './tfjs-reference.js';

const require = createRequire(import.meta.url);
const DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const PHOTOS = [1, 2, 3, 4, 5, 6].map((i) => path.join(DEMO, `sample${i}.jpg`));

/** The reference pipeline's faces in an image: tfjs letterbox + tfjs graph, then the same decoding as ours. */
function referenceFaces(
  model: (x: tf.Tensor4D) => ReturnType<Awaited<ReturnType<typeof tfjsBlazeFace>>>,
  det: BlazeFace,
  image: PixelImage,
) {
  const x = tfjsLetterbox(image, det.spec.inputSize);
  const raw = model(x);
  x.dispose();
  const region = letterbox(image.width, image.height);
  return weightedNms(decode(raw, 0, det.spec, anchorCentres(det.spec), det.spec.minScore), det.spec.iouThreshold).map((d) =>
    project(d, region),
  );
}

describe('the shipped BlazeFace files', () => {
  it('are what scripts/blazeface/convert.ts makes of @mediapipe/face_detection (byte for byte)', () => {
    for (const range of ['full', 'short'] as const) {
      expect(convertedFile(range).bytes.equals(readFileSync(`models/blazeface-${range}.safetensors`)), range).toBe(true);
    }
  });
});

describe.skipIf(!existsSync(PHOTOS[0]!))('BlazeFace port against the tfjs reference', () => {
  const device = useDevice();
  const images = PHOTOS.map((f) => readImageInput(f).image);

  for (const range of ['full', 'short'] as BlazeFaceRange[]) {
    it(`${range} range: raw network outputs equal the .tflite graph in tfjs (same input)`, async () => {
      const det = loadBlazeFace(device(), range);
      const model = await tfjsBlazeFace(range);
      const S = det.spec.inputSize;
      // two real letterboxed photos as one batch of 2
      const x = tf.concat([tfjsLetterbox(images[0]!, S), tfjsLetterbox(images[3]!, S)]);
      const want = model(x as tf.Tensor4D);
      const nchw = device().tensor(Float32Array.from(tf.transpose(x, [0, 3, 1, 2]).dataSync()), [2, 3, S, S]);
      const got = await det.detectRaw(nchw);
      expectClose(got.scores, want.scores, { atol: 2e-3, rtol: 1e-3, what: `${range} scores (logits)` });
      expectClose(got.boxes, want.boxes, { atol: 2e-3, rtol: 1e-3, what: `${range} offsets` });
      det.dispose();
    });
  }

  it('full range, end to end on the six photos: same faces, IoU >= 0.95, scores within 0.01', async () => {
    const det = loadBlazeFace(device(), 'full');
    const model = await tfjsBlazeFace('full');
    const ours = await detectInImages(det, images);
    let worstIou = 1;
    let worstScore = 0;
    const counts: number[] = [];
    images.forEach((image, n) => {
      const ref = referenceFaces(model, det, image);
      expect(ours[n]!.length, `faces in ${PHOTOS[n]}`).toBe(ref.length);
      counts.push(ref.length);
      ref.forEach((r, k) => {
        const o = ours[n]![k]!;
        worstIou = Math.min(worstIou, iou(o.box, r.box));
        worstScore = Math.max(worstScore, Math.abs(o.score - r.score));
      });
    });
    console.log(
      `faces per photo ${counts.join(', ')} (${counts.reduce((a, b) => a + b)}); worst IoU ${worstIou.toFixed(5)}; worst score difference ${worstScore.toExponential(2)}`,
    );
    expect(worstIou).toBeGreaterThanOrEqual(0.95);
    expect(worstScore).toBeLessThanOrEqual(0.01);
    // every face of these group photos but one (sample2's woman looking down, hidden by her hair)
    expect(counts.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(21);
    det.dispose();
  });
});
