/**
 * The browser entry predicts what Node predicts: in headless Chromium it creates a device on
 * navigator.gpu (SwiftShader), fetches the shipped weights over HTTP, and its probabilities equal
 * Node's predict() (Dawn on lavapipe) within 1e-4 on real FER2013 test images given as ImageData,
 * on synthetic faces (always), and on files given as Blob, <img>, <canvas> and ImageBitmap.
 */
import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import type { PixelImage } from '../../src/data/pixels.js';
import type { Prediction } from '../../src/train/evaluate.js';
import { predict } from '../../src/train/predict.js';
import { FER_DIR, HAVE_FOLDER } from '../data/helpers.js';
import { useDevice } from '../helpers.js';
import { HAVE_CHROMIUM, NO_CHROMIUM, openEntryPage, ROOT, type EntryPage } from './chromium.js';

type Fer = typeof import('../../src/browser/index.js');

const FIXTURES = path.join(ROOT, 'test/data/fixtures');

/** Largest |p - q| over every class of every prediction. */
function maxDiff(a: Prediction[], b: Prediction[]): number {
  expect(b.map((p) => p.label)).toHaveLength(a.length);
  let worst = 0;
  a.forEach((p, i) => {
    for (const [k, v] of Object.entries(p.probabilities)) worst = Math.max(worst, Math.abs(v - b[i]!.probabilities[k]!));
  });
  return worst;
}

/** 16 real PrivateTest images, the first of each class folder in turn. */
function realImages(): string[] {
  const classes = fs.readdirSync(path.join(FER_DIR, 'test')).sort();
  const lists = classes.map((c) =>
    fs
      .readdirSync(path.join(FER_DIR, 'test', c))
      .filter((f) => f.startsWith('PrivateTest_'))
      .sort()
      .map((f) => path.join(FER_DIR, 'test', c, f)),
  );
  const out: string[] = [];
  for (let i = 0; out.length < 16; i++) for (const l of lists) if (out.length < 16 && l[i]) out.push(l[i]!);
  return out;
}

const toPlain = (p: PixelImage) => ({ data: Array.from(p.data), width: p.width, height: p.height });

describe.skipIf(!HAVE_CHROMIUM)('predict in Chromium equals predict in Node', () => {
  const device = useDevice();
  let page: EntryPage;

  beforeAll(async () => {
    page = await openEntryPage({ routes: { '/fixtures/': { dir: FIXTURES } } });
  }, 120_000);
  afterAll(async () => page?.close());

  /** Browser predictions with the shipped model, the images given as ImageData. */
  async function browserPredict(images: PixelImage[]): Promise<{ predictions: Prediction[]; adapter: string }> {
    return page.page.evaluate(async (imgs) => {
      const fer = (window as unknown as { fer: Fer }).fer;
      const device = await fer.createDevice();
      const data = imgs.map((im) => new ImageData(new Uint8ClampedArray(im.data), im.width, im.height));
      const predictions = await fer.predict(device, data); // loads the shipped weights over HTTP
      const adapter = `${device.info.vendor} ${device.info.architecture} (fallback ${device.info.isFallbackAdapter})`;
      device.destroy();
      return { predictions, adapter };
    }, images.map(toPlain));
  }

  it('synthetic faces as ImageData (always runs)', async () => {
    const faces = syntheticFaces({ perClass: 2, seed: 5 });
    const images: PixelImage[] = Array.from({ length: faces.length }, (_, i) => {
      const rgba = new Uint8Array(FER_PIXELS * 4).fill(255);
      for (let j = 0; j < FER_PIXELS; j++) rgba.fill(faces.pixels[i * FER_PIXELS + j]!, j * 4, j * 4 + 3);
      return { data: rgba, width: 48, height: 48 };
    });
    const node = await predict(device(), images);
    const { predictions, adapter } = await browserPredict(images);
    const diff = maxDiff(node, predictions);
    console.log(`synthetic faces: max |p_node - p_chromium| = ${diff.toExponential(2)} (${adapter})`);
    expect(predictions.map((p) => p.label)).toEqual(node.map((p) => p.label));
    expect(diff).toBeLessThan(1e-4);
  }, 120_000);

  it.skipIf(!HAVE_FOLDER)(
    '16 real FER2013 test images as ImageData',
    async () => {
      const files = realImages();
      const images = files.map((f) => {
        const im = jpeg.decode(fs.readFileSync(f), { useTArray: true, formatAsRGBA: true });
        return { data: im.data, width: im.width, height: im.height };
      });
      const node = await predict(device(), images);
      const { predictions } = await browserPredict(images);
      const diff = maxDiff(node, predictions);
      console.log(`16 FER2013 PrivateTest images: max |p_node - p_chromium| = ${diff.toExponential(2)}`);
      expect(predictions.map((p) => p.label)).toEqual(node.map((p) => p.label));
      expect(diff).toBeLessThan(1e-4);
      // and Node gave the same answer for the files themselves
      expect(maxDiff(await predict(device(), files), node)).toBe(0);
    },
    120_000,
  );
  if (!HAVE_FOLDER) it.skip(`real FER2013 images skipped: ${FER_DIR} is absent`, () => {});

  it("files as Blob, <img>, <canvas>, ImageBitmap and URL give Node's prediction for the same file", async () => {
    const names = ['rgb-100x75.png', 'rgba-48x131.png', 'gray-30x20.png'];
    const node = await predict(
      device(),
      names.map((n) => path.join(FIXTURES, n)),
    );
    const browser = await page.page.evaluate(async (names) => {
      const fer = (window as unknown as { fer: Fer }).fer;
      const device = await fer.createDevice();
      const { model, info } = await fer.loadPretrained(device);
      const opts = { mean: info.mean, std: info.std, classNames: info.classes };
      const out: Record<string, Prediction[]> = {};
      const blobs = await Promise.all(names.map(async (n) => (await fetch(`/fixtures/${n}`)).blob()));
      out.blob = await fer.predict(model, blobs, opts);
      out.url = await fer.predict(
        model,
        names.map((n) => `/fixtures/${n}`),
        opts,
      );
      const imgs = await Promise.all(
        names.map(async (n) => {
          const img = new Image();
          img.src = `/fixtures/${n}`;
          await img.decode();
          return img;
        }),
      );
      out.img = await fer.predict(model, imgs, opts);
      out.canvas = await fer.predict(
        model,
        imgs.map((img) => {
          const c = document.createElement('canvas');
          [c.width, c.height] = [img.naturalWidth, img.naturalHeight];
          c.getContext('2d')!.drawImage(img, 0, 0);
          return c;
        }),
        opts,
      );
      out.bitmap = await fer.predict(model, await Promise.all(blobs.map((b) => createImageBitmap(b))), opts);
      model.dispose();
      device.destroy();
      return out;
    }, names);
    // PNG bytes (Blob, URL) decode exactly as in Node, alpha included
    expect(maxDiff(node, browser.blob!)).toBeLessThan(1e-4);
    expect(maxDiff(node, browser.url!)).toBeLessThan(1e-4);
    expect(browser.url!.map((p) => p.file)).toEqual(names.map((n) => `/fixtures/${n}`));
    // through a canvas the browser premultiplies alpha: exact for the opaque files
    for (const way of ['img', 'canvas', 'bitmap']) {
      expect(maxDiff([node[0]!, node[2]!], [browser[way]![0]!, browser[way]![2]!]), way).toBeLessThan(1e-4);
    }
  }, 120_000);
});

if (!HAVE_CHROMIUM) it.skip(NO_CHROMIUM, () => {});
