/**
 * Faces in the browser entry: in headless Chromium (WebGPU on SwiftShader), recognize() fetches the
 * shipped BlazeFace and expression models next to the bundle and finds in real group photos
 * (@vladmandic/face-api's demo photos, read from node_modules) the faces, boxes, keypoints and
 * expressions that Node's recognize() finds on Dawn (lavapipe); detectFaces with the short-range
 * detector likewise; bad input is one clear error.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFaceModels, recognize, detectFaces, loadBlazeFace } from '../../src/faces/node.js';
import type { DetectedFace, RecognizedFace } from '../../src/faces/detect.js';
import { iou } from '../../src/faces/postprocess.js';
import { useDevice } from '../helpers.js';
import { HAVE_CHROMIUM, NO_CHROMIUM, openEntryPage, type EntryPage } from './chromium.js';

type Fer = typeof import('../../src/browser/index.js');

const require = createRequire(import.meta.url);
const DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const PHOTOS = ['sample2.jpg', 'sample5.jpg'];

/** The largest differences between two lists of faces of the same photos, face by face in order. */
function compare(node: DetectedFace[][], browser: DetectedFace[][]): { iou: number; score: number; keypoint: number; probability: number } {
  expect(browser.map((fs) => fs.length)).toEqual(node.map((fs) => fs.length));
  const worst = { iou: 1, score: 0, keypoint: 0, probability: 0 };
  node.forEach((faces, n) =>
    faces.forEach((a, i) => {
      const b = browser[n]![i]!;
      worst.iou = Math.min(worst.iou, iou(a.box, b.box));
      worst.score = Math.max(worst.score, Math.abs(a.score - b.score));
      a.keypoints.forEach(
        (k, j) => (worst.keypoint = Math.max(worst.keypoint, Math.hypot(k.x - b.keypoints[j]!.x, k.y - b.keypoints[j]!.y))),
      );
      const pa = (a as RecognizedFace).probabilities;
      if (pa) {
        expect((b as RecognizedFace).label).toBe((a as RecognizedFace).label);
        for (const [k, v] of Object.entries(pa))
          worst.probability = Math.max(worst.probability, Math.abs(v - (b as RecognizedFace).probabilities[k]!));
      }
    }),
  );
  return worst;
}

describe.skipIf(!HAVE_CHROMIUM)('faces in Chromium equal faces in Node', () => {
  const device = useDevice();
  let page: EntryPage;

  beforeAll(async () => {
    page = await openEntryPage({ routes: { '/photos/': { dir: DEMO } } });
  }, 120_000);
  afterAll(async () => page?.close());

  it('recognize(models, [photos]) on real group photos: the same faces, boxes, keypoints and expressions', async () => {
    const models = loadFaceModels(device(), { ranges: ['full'] });
    const node = await recognize(
      models,
      PHOTOS.map((p) => path.join(DEMO, p)),
    );
    models.dispose();
    const browser = await page.page.evaluate(async (photos) => {
      const fer = (window as unknown as { fer: Fer }).fer;
      const device = await fer.createDevice();
      const models = await fer.loadFaceModels(device, { ranges: ['full'] }); // fetched next to the bundle
      const blobs = await Promise.all(photos.map(async (p) => (await fetch(`/photos/${p}`)).blob()));
      const faces = await fer.recognize(models, blobs);
      models.dispose();
      device.destroy();
      return faces;
    }, PHOTOS);
    const d = compare(node, browser);
    console.log(
      `${PHOTOS.map((p, i) => `${p} (${node[i]!.length} faces)`).join(', ')}: Node (lavapipe) vs Chromium (SwiftShader): IoU >= ${d.iou.toFixed(6)}, score ±${d.score.toExponential(1)}, keypoints ±${d.keypoint.toExponential(1)} px, probabilities ±${d.probability.toExponential(1)}`,
    );
    expect(node.map((fs) => fs.length)).toEqual([2, 5]); // every face of these photos
    expect(d.iou).toBeGreaterThan(0.9999);
    expect(d.score).toBeLessThan(1e-5);
    expect(d.keypoint).toBeLessThan(0.01);
    expect(d.probability).toBeLessThan(1e-4); // as predict() in Chromium and Node
  }, 300_000);

  it('recognize(url) with no models (the one-call form) and detectFaces with the short-range detector', async () => {
    const file = path.join(DEMO, 'sample3.jpg');
    const node = await recognize(file);
    const short = loadBlazeFace(device(), 'short');
    const nodeShort = await detectFaces(short, file, { range: 'short' });
    short.dispose();
    const browser = await page.page.evaluate(async () => {
      const fer = (window as unknown as { fer: Fer }).fer;
      const faces = await fer.recognize('/photos/sample3.jpg');
      const device = await fer.createDevice();
      const detector = await fer.loadBlazeFace(device, 'short');
      const img = new Image();
      img.src = '/photos/sample3.jpg';
      await img.decode();
      const short = await fer.detectFaces(detector, img, { range: 'short' }); // an <img>, read through a canvas
      detector.dispose();
      device.destroy();
      return { faces, short };
    });
    expect(node.length).toBe(3);
    const d = compare([node], [browser.faces]);
    expect(d.iou).toBeGreaterThan(0.999);
    expect(d.probability).toBeLessThan(1e-4);
    // The <img> goes through the browser's own JPEG decoder: the same faces, pixels not bit-equal.
    expect(browser.short.length).toBe(nodeShort.length);
    expect(compare([nodeShort], [browser.short]).iou).toBeGreaterThan(0.9);
  }, 300_000);

  it('bad input and missing files: one clear error each', async () => {
    const errors = await page.page.evaluate(async () => {
      const fer = (window as unknown as { fer: Fer }).fer;
      const device = await fer.createDevice();
      const detector = await fer.loadBlazeFace(device, 'short');
      const message = (p: Promise<unknown>) =>
        p.then(
          () => 'no error',
          (e: Error) => e.message,
        );
      const out = {
        notImage: await message(fer.detectFaces(detector, new Blob(['not pixels']), {})),
        badRange: await message(fer.recognize('/photos/sample3.jpg', { range: 'medium' as never })),
        wrongRange: await message(fer.detectFaces(detector, new ImageData(8, 8), { range: 'full' })),
        missing: await message(fer.loadBlazeFace(device, '/models/missing.safetensors')),
        notDetector: await message(fer.loadBlazeFace(device, '/models/fer-resnet18.safetensors')),
        models404: await message(fer.loadFaceModels(device, { detectors: { short: '/models/missing.safetensors' } })),
      };
      detector.dispose();
      device.destroy();
      return out;
    });
    expect(errors.notImage).toMatch(/^image 0: not an image this browser can decode/);
    expect(errors.badRange).toMatch(/range must be 'full' or 'short', got "medium"/);
    expect(errors.wrongRange).toMatch(/this detector is the short-range BlazeFace/);
    expect(errors.missing).toMatch(/\/models\/missing\.safetensors: cannot fetch the BlazeFace detector: HTTP 404/);
    expect(errors.notDetector).toMatch(/fer-resnet18\.safetensors: not a fer-gpu BlazeFace file/);
    expect(errors.models404).toMatch(/\/models\/missing\.safetensors: cannot fetch the BlazeFace detector: HTTP 404/);
  }, 120_000);
});

if (!HAVE_CHROMIUM) it.skip(NO_CHROMIUM, () => {});
