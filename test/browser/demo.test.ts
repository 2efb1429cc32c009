/**
 * The demo page (examples/web, served by `npm run demo`) in headless Chromium: it classifies a
 * chosen face image as Node's predict() does and draws the bars (checked on a screenshot), runs on
 * a (fake) webcam, and shows a clear message, never a hang, without WebGPU, without an adapter,
 * when the weights' URL is a 404, and for a file that is not an image.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../examples/web/serve.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { predict } from '../../src/train/predict.js';
import { FER_DIR, HAVE_FOLDER } from '../data/helpers.js';
import { useDevice } from '../helpers.js';
import { HAVE_CHROMIUM, launchChromium, newPage, NO_CHROMIUM } from './chromium.js';

/** A face image to choose: a real FER2013 test image where the data is present, else a synthetic face. */
function faceFile(): { name: string; buffer: Buffer } {
  if (HAVE_FOLDER) {
    const name = 'PrivateTest_10077120.jpg';
    return { name, buffer: fs.readFileSync(path.join(FER_DIR, 'test/happy', name)) };
  }
  const faces = syntheticFaces({ perClass: 1, seed: 8 });
  const png = new PNG({ width: 48, height: 48 });
  for (let i = 0; i < FER_PIXELS; i++) png.data.set([faces.pixels[3 * FER_PIXELS + i]!, faces.pixels[3 * FER_PIXELS + i]!, faces.pixels[3 * FER_PIXELS + i]!, 255], i * 4);
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

  beforeAll(async () => {
    demo = await startDemo(0);
    browser = await launchChromium({ fakeCamera: true });
    page = await newPage(browser, log);
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.goto(demo.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('shows the adapter, classifies a chosen face as Node does, and draws the bars', async () => {
    expect(await page.textContent('#status')).toMatch(/WebGPU adapter: .*swiftshader.*fer-resnet18\(\d+\) ready \(kernels compiled in [\d.]+ s\)/i);
    const face = faceFile();
    await page.setInputFiles('#file', { name: face.name, mimeType: face.name.endsWith('.png') ? 'image/png' : 'image/jpeg', buffer: face.buffer });
    await page.waitForSelector(`body[data-classified="${face.name}"]`, { timeout: 60_000 });
    expect(await page.isVisible('#error')).toBe(false);

    const rows = await page.$$eval('#bars .row', (els) => els.map((e) => ({ name: (e as HTMLElement).dataset.class!, p: Number((e as HTMLElement).dataset.p), top: e.classList.contains('top') })));
    const [node] = await predict(device(), [face.buffer]);
    expect(rows.map((r) => r.name)).toEqual(Object.keys(node!.probabilities));
    for (const r of rows) expect(Math.abs(r.p - node!.probabilities[r.name]!), r.name).toBeLessThan(1e-4);
    expect(rows.find((r) => r.top)!.name).toBe(node!.label);
    expect(await page.textContent('#timing')).toMatch(new RegExp(`${face.name.replace('.', '\\.')}: \\d+ ms`));

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
        if ((Math.abs(R - 0x2f) < 24 && Math.abs(G - 0x6f) < 24 && Math.abs(B - 0xde) < 24) || (Math.abs(R - 0xe0) < 24 && Math.abs(G - 0x65) < 24 && Math.abs(B - 0x2b) < 24)) coloured++;
      }
      expect(Math.abs(coloured / Math.floor(box.width) - r.p), `bar of ${r.name} (p = ${r.p.toFixed(3)}): ${coloured} of ${Math.floor(box.width)} px`).toBeLessThan(0.02);
    }
  }, 120_000);

  it('runs live on a (fake) webcam, showing the time per frame', async () => {
    await page.click('#webcam');
    await page.waitForFunction(() => Number(document.body.dataset.frames ?? 0) >= 3, undefined, { timeout: 90_000 });
    expect(await page.isVisible('#error'), await page.textContent('#error') ?? '').toBe(false);
    expect(await page.textContent('#timing')).toMatch(/webcam: \d+ ms per frame \([\d.]+ frames\/s\), frame \d+/);
    const sum = await page.$$eval('#bars .row', (els) => els.reduce((s, e) => s + Number((e as HTMLElement).dataset.p), 0));
    expect(sum).toBeCloseTo(1, 4);
    await page.click('#webcam'); // stop
    expect(await page.textContent('#webcam')).toBe('Start webcam');
  }, 120_000);

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
