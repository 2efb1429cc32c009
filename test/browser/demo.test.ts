/**
 * The demo page (examples/web, served by `npm run demo`) in headless Chromium: in a chosen group
 * photo and the sample photo it finds the faces Node's recognize() finds and draws their boxes and
 * labels (checked on a screenshot), with the largest face's bars; a face crop where no face is
 * found is classified whole as Node's predict() does (bars checked on a screenshot); on a fake
 * webcam that films a photo it draws the faces live; and it shows a clear message, never a hang,
 * without WebGPU, without an adapter, when the weights' URL is a 404, and for a file that is not
 * an image.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../examples/web/serve.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { predict } from '../../src/train/predict.js';
import { loadFaceModels, recognize } from '../../src/faces/node.js';
import { iou, type Box } from '../../src/faces/postprocess.js';
import type { RecognizedFace } from '../../src/faces/detect.js';
import { benchFrame } from '../../src/bench/faces.js';
import { FER_DIR, HAVE_FOLDER } from '../data/helpers.js';
import { useDevice } from '../helpers.js';
import { HAVE_CHROMIUM, launchChromium, newPage, NO_CHROMIUM, ROOT, writeY4m } from './chromium.js';

const require = createRequire(import.meta.url);
const FACE_API_DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** The page's box colour (examples/web/app.ts BOX_COLOUR). */
const BOX: [number, number, number] = [0x00, 0xe5, 0xff];

interface PageFace {
  box: Box;
  label: string;
  score: number;
}

/** The faces the page drew last, as it recorded them on its canvas. */
async function drawnFaces(page: Page): Promise<PageFace[]> {
  return JSON.parse((await page.getAttribute('#picture', 'data-faces')) ?? '[]') as PageFace[];
}

/** The page's faces match Node's: same count and labels, boxes within `minIou`. */
function expectSameFaces(page: PageFace[], node: RecognizedFace[], minIou: number): void {
  expect(page.map((f) => f.label)).toEqual(node.map((f) => f.label));
  page.forEach((f, i) => expect(iou(f.box, node[i]!.box), `face ${i + 1}`).toBeGreaterThan(minIou));
}

/**
 * On a screenshot, the fraction of each face's box's bottom edge (its middle 80%) drawn in the
 * box colour, the canvas's pixels mapped to the page's (the bottom edge: the label, in the same
 * colour, sits on the top one).
 */
async function boxEdgesDrawn(page: Page, faces: PageFace[], at = 1): Promise<number[]> {
  const shot = PNG.sync.read(await page.screenshot());
  const canvas = (await page.locator('#picture').boundingBox())!;
  const scale = canvas.width / Number(await page.evaluate(() => (document.getElementById('picture') as HTMLCanvasElement).width));
  return faces.map(({ box }) => {
    const y = Math.round(canvas.y + (box.y + at * box.height) * scale);
    let hits = 0;
    let n = 0;
    for (let x = Math.round(canvas.x + (box.x + 0.1 * box.width) * scale); x <= canvas.x + (box.x + 0.9 * box.width) * scale; x++, n++) {
      // the line is a pixel or two wide once scaled: look one pixel above and below too
      const boxColoured = (yy: number) => BOX.every((c, k) => Math.abs(shot.data[(yy * shot.width + x) * 4 + k]! - c) < 40);
      if (boxColoured(y - 1) || boxColoured(y) || boxColoured(y + 1)) hits++;
    }
    return hits / n;
  });
}

/** The bars as the page shows them: class, probability, whether it is the top one. */
async function shownBars(page: Page): Promise<Array<{ name: string; p: number; top: boolean }>> {
  return page.$$eval('#bars .row', (els) =>
    els.map((e) => ({
      name: (e as HTMLElement).dataset.class!,
      p: Number((e as HTMLElement).dataset.p),
      top: e.classList.contains('top'),
    })),
  );
}

/** A face image to choose: a real FER2013 test image where the data is present, else a synthetic face. */
function faceFile(): { name: string; buffer: Buffer } {
  if (HAVE_FOLDER) {
    const name = 'PrivateTest_10077120.jpg';
    return { name, buffer: fs.readFileSync(path.join(FER_DIR, 'test/happy', name)) };
  }
  const faces = syntheticFaces({ perClass: 1, seed: 8 });
  const png = new PNG({ width: 48, height: 48 });
  for (let i = 0; i < FER_PIXELS; i++)
    png.data.set([faces.pixels[3 * FER_PIXELS + i]!, faces.pixels[3 * FER_PIXELS + i]!, faces.pixels[3 * FER_PIXELS + i]!, 255], i * 4);
  return { name: 'synthetic-face.png', buffer: PNG.sync.write(png) };
}

/** The message the page shows in its alert box (waits for it: a hang fails the test). */
async function shownError(page: Page): Promise<string> {
  await page.waitForSelector('#error.shown', { timeout: 60_000 });
  expect(await page.isVisible('#error')).toBe(true);
  return page.textContent('#error') as Promise<string>;
}

describe.skipIf(!HAVE_CHROMIUM)('the demo page', () => {
  const device = useDevice();
  let demo: { url: string; close: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  const log: string[] = [];

  // The fake webcam films the bench's frame: face-api's sample4.jpg at 640x480, four faces.
  const frame = benchFrame().frame;
  const video = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-demo-')), 'webcam.y4m');

  beforeAll(async () => {
    writeY4m(video, frame);
    demo = await startDemo(0);
    browser = await launchChromium({ fakeCamera: true, fakeVideo: video });
    page = await newPage(browser, log);
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.goto(demo.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    fs.rmSync(path.dirname(video), { recursive: true, force: true });
  });

  it("a chosen group photo: the faces Node finds, boxes and labels drawn, the largest face's bars", async () => {
    expect(await page.textContent('#status')).toMatch(
      /WebGPU adapter: .*swiftshader.*BlazeFace and fer-resnet18\(\d+\) ready \(kernels compiled in [\d.]+ s\)/i,
    );
    const file = path.join(FACE_API_DEMO, 'sample3.jpg');
    await page.setInputFiles('#file', file);
    await page.waitForSelector('body[data-classified="sample3.jpg"]', { timeout: 60_000 });
    expect(await page.isVisible('#error'), (await page.textContent('#error')) ?? '').toBe(false);

    const models = loadFaceModels(device(), { ranges: ['full'] });
    const node = await recognize(models, file);
    models.dispose();
    const faces = await drawnFaces(page);
    expect(faces).toHaveLength(3);
    expectSameFaces(faces, node, 0.999);
    const largest = node.reduce((a, f) => (f.box.width * f.box.height > a.box.width * a.box.height ? f : a));
    const bars = await shownBars(page);
    for (const r of bars) expect(Math.abs(r.p - largest.probabilities[r.name]!), r.name).toBeLessThan(1e-4);
    expect(bars.find((r) => r.top)!.name).toBe(largest.label);
    expect(await page.textContent('#faces-note')).toBe("3 faces; the bars are the largest one's (thick box).");
    expect(await page.textContent('#timing')).toMatch(/^sample3\.jpg: 3 faces, \d+ ms \(decode, detection and expressions\)$/);
    for (const [i, drawn] of (await boxEdgesDrawn(page, faces)).entries())
      expect(drawn, `box ${i + 1} on the screenshot`).toBeGreaterThan(0.9);
    for (const [i, drawn] of (await boxEdgesDrawn(page, faces, 0.5)).entries())
      expect(drawn, `face ${i + 1} is not painted over`).toBeLessThan(0.1);
  }, 120_000);

  it('the sample photo: its five faces, as Node finds them', async () => {
    await page.click('#sample');
    await page.waitForSelector('body[data-classified="group-photo.jpg"]', { timeout: 60_000 });
    const node = await recognize(path.join(ROOT, 'samples/group-photo.jpg'));
    expectSameFaces(await drawnFaces(page), node, 0.999);
    expect(node).toHaveLength(5);
  }, 120_000);

  it("a face crop where no face is found: classified whole as Node's predict() does, the bars drawn", async () => {
    const face = faceFile();
    await page.setInputFiles('#file', {
      name: face.name,
      mimeType: face.name.endsWith('.png') ? 'image/png' : 'image/jpeg',
      buffer: face.buffer,
    });
    await page.waitForSelector(`body[data-classified="${face.name}"]`, { timeout: 60_000 });
    expect(await page.isVisible('#error')).toBe(false);
    expect(await recognize(face.buffer)).toEqual([]); // Node finds no face either
    expect(await page.getAttribute('body', 'data-faces')).toBe('0');
    expect(await page.getAttribute('body', 'data-whole')).toBe(face.name);
    expect(await page.textContent('#faces-note')).toMatch(/^No face found: the image looks like a face crop/);

    const rows = await shownBars(page);
    const [node] = await predict(device(), [face.buffer]);
    expect(rows.map((r) => r.name)).toEqual(Object.keys(node!.probabilities));
    for (const r of rows) expect(Math.abs(r.p - node!.probabilities[r.name]!), r.name).toBeLessThan(1e-4);
    expect(rows.find((r) => r.top)!.name).toBe(node!.label);
    expect(await page.textContent('#timing')).toMatch(new RegExp(`${face.name.replace('.', '\\.')}: 0 faces, \\d+ ms`));

    // The screenshot shows each bar as long as its probability: count bar-coloured pixels along
    // the middle line of each track.
    const shot = PNG.sync.read(await page.screenshot());
    for (const r of rows) {
      const box = (await page.locator(`#bars .row[data-class="${r.name}"] .track`).boundingBox())!;
      const y = Math.round(box.y + box.height / 2);
      let coloured = 0;
      for (let x = Math.ceil(box.x); x < Math.floor(box.x + box.width); x++) {
        const i = (y * shot.width + x) * 4;
        const [R, G, B] = [shot.data[i]!, shot.data[i + 1]!, shot.data[i + 2]!];
        if (
          (Math.abs(R - 0x2f) < 24 && Math.abs(G - 0x6f) < 24 && Math.abs(B - 0xde) < 24) ||
          (Math.abs(R - 0xe0) < 24 && Math.abs(G - 0x65) < 24 && Math.abs(B - 0x2b) < 24)
        )
          coloured++;
      }
      expect(
        Math.abs(coloured / Math.floor(box.width) - r.p),
        `bar of ${r.name} (p = ${r.p.toFixed(3)}): ${coloured} of ${Math.floor(box.width)} px`,
      ).toBeLessThan(0.02);
    }
  }, 120_000);

  it('a (fake) webcam filming a photo: faces found and drawn live, the time per frame shown', async () => {
    await page.click('#webcam');
    await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 3, undefined, { timeout: 120_000 });
    await page.click('#webcam'); // stop: the last frame stays drawn
    expect(await page.textContent('#webcam')).toBe('Start webcam');
    expect(await page.isVisible('#error'), (await page.textContent('#error')) ?? '').toBe(false);
    const timing = await page.textContent('#timing');
    expect(timing).toMatch(/^webcam: \d+ ms per frame \([\d.]+ frames\/s\), frame \d+, \d+ faces?$/);
    console.log(`demo page, fake webcam (640x480, full range, SwiftShader): ${timing}`);

    // The camera's frames went through YUV 4:2:0: the faces Node finds in the original frame, at most one lost or gained.
    const faces = await drawnFaces(page);
    const node = await recognize(frame);
    expect(Math.abs(faces.length - node.length), `page ${faces.length} faces, Node ${node.length}`).toBeLessThanOrEqual(1);
    expect(faces.length).toBeGreaterThanOrEqual(3);
    for (const f of faces) expect(Math.max(...node.map((n) => iou(n.box, f.box))), 'a drawn face is one Node finds').toBeGreaterThan(0.7);
    for (const [i, drawn] of (await boxEdgesDrawn(page, faces)).entries())
      expect(drawn, `box ${i + 1} on the screenshot`).toBeGreaterThan(0.9);
    const sum = (await shownBars(page)).reduce((s, r) => s + r.p, 0);
    expect(sum).toBeCloseTo(1, 4);
  }, 180_000);

  it('a file that is not an image: a clear message naming it', async () => {
    await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('these are not pixels\n') });
    expect(await shownError(page)).toMatch(/^notes\.txt: not an image this browser can decode/);
  }, 60_000);

  it('a weights URL that is a 404: a clear message naming the URL', async () => {
    const p = await newPage(browser, log);
    await p.goto(`${demo.url}?weights=/models/missing.safetensors`);
    expect(await shownError(p)).toMatch(/\/models\/missing\.safetensors: cannot fetch the weights: HTTP 404/);
    expect(await p.isDisabled('#webcam')).toBe(true);
    await p.close();
  }, 60_000);

  it('a browser without WebGPU: a clear message', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    const p = await context.newPage();
    await p.goto(demo.url);
    expect(await shownError(p)).toMatch(/this browser does not offer WebGPU \(navigator\.gpu is undefined\)/);
    expect(await p.textContent('#status')).toMatch(/WebGPU is not available/);
    await context.close();
  }, 60_000);

  it('WebGPU without an adapter (Chromium without --enable-unsafe-webgpu on Linux): a clear message', async () => {
    const plain = await launchChromium({ webgpu: false });
    try {
      const p = await plain.newPage();
      await p.goto(demo.url);
      expect(await shownError(p)).toMatch(/found no adapter/);
    } finally {
      await plain.close();
    }
  }, 60_000);
});

if (!HAVE_CHROMIUM) it.skip(NO_CHROMIUM, () => {});
