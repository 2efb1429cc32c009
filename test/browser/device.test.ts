/**
 * The browser's device in headless Chromium (SwiftShader): what it reports, the f32-only path
 * without shader-f16, wrapping an app's own adapter or GPUDevice, tuned tilings kept in IndexedDB
 * across page loads, the one-call predict, and clear errors for inputs that cannot be read.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, HAVE_CHROMIUM, launchChromium, newPage, NO_CHROMIUM, ROOT, serve } from './chromium.js';

type Fer = typeof import('../../src/browser/index.js');
type Tiling = typeof import('../../src/kernels/gemm/tiling.js');
/** What the test page puts on window (evaluate's functions run in the page: only types cross). */
type Win = { fer: Fer; tiling: Tiling };

describe.skipIf(!HAVE_CHROMIUM)('the browser device', () => {
  let browser: Browser;
  let page: Page;
  let close = async (): Promise<void> => {};

  beforeAll(async () => {
    const code = `
      import * as fer from ${JSON.stringify(path.join(ROOT, 'src/browser/index.ts'))};
      import * as tiling from ${JSON.stringify(path.join(ROOT, 'src/kernels/gemm/tiling.ts'))};
      Object.assign(window, { fer, tiling });
    `;
    const server = await serve({
      '/': '<!doctype html><script type="module" src="/dist/test.js"></script>',
      '/dist/test.js': await bundleForBrowser({ code, dir: ROOT }),
      '/models/': { dir: path.join(ROOT, 'models') },
    });
    browser = await launchChromium();
    page = await newPage(browser);
    close = server.close;
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => 'fer' in window);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await close();
  });

  it('reports the adapter and its limits, and f16 is refused clearly without shader-f16', async () => {
    const r = await page.evaluate(async () => {
      const { fer } = window as unknown as Win;
      const d = await fer.createDevice();
      let f16 = '';
      try {
        d.tensor([1, 2], [2], { dtype: 'f16' });
      } catch (e) {
        f16 = (e as Error).message;
      }
      const out = { info: d.info, f16, sum: Array.from(await fer.ops.add(d.tensor([1, 2], [2]), d.tensor([3, 4], [2])).toArray()) };
      d.destroy();
      return out;
    });
    expect(r.info).toMatchObject({ backend: 'browser', featureLevel: 'core', architecture: 'swiftshader', isFallbackAdapter: true });
    expect(r.info.features).not.toContain('shader-f16');
    expect(r.info.limits.maxComputeInvocationsPerWorkgroup).toBe(256);
    expect(r.f16).toMatch(/needs the WebGPU feature 'shader-f16', which this adapter .* does not offer; use f32/);
    expect(r.sum).toEqual([4, 6]);
  }, 60_000);

  it("createDeviceFromGPU wraps an adapter or an app's GPUDevice, and leaves the app's device alive", async () => {
    const r = await page.evaluate(async () => {
      const { fer } = window as unknown as Win;
      const fromAdapter = await fer.createDeviceFromGPU((await navigator.gpu.requestAdapter())!);
      const a = Array.from(await fromAdapter.tensor([5], [1]).toArray());
      fromAdapter.destroy();
      const gpuDevice = await (await navigator.gpu.requestAdapter())!.requestDevice();
      const lent = await fer.createDeviceFromGPU(gpuDevice);
      const b = Array.from(await fer.ops.relu(lent.tensor([-1, 2], [2])).toArray());
      lent.destroy();
      const buffer = gpuDevice.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      await buffer.mapAsync(GPUMapMode.READ); // still usable by the app
      return { a, b, mapped: buffer.getMappedRange().byteLength };
    });
    expect(r).toEqual({ a: [5], b: [0, 2], mapped: 16 });
  }, 60_000);

  it('autotuned tilings are kept in IndexedDB, and a later page load reads them from there', async () => {
    const dims = { rows: 24, cols: 40, depth: 8 };
    // a valid tiling unlike any heuristic choice, planted in the stored entry to see it come back
    const planted = { bm: 4, bn: 2, wg: 32, sg: 0, splits: 1 };
    const won = await page.evaluate(
      async ({ dims, planted }) => {
        const { fer, tiling } = window as unknown as Win;
        const d = await fer.createDevice();
        const t = await fer.autotune(d, 'matmul', { M: dims.rows, K: dims.depth, N: dims.cols }, 1);
        const chosen = tiling.chooseTiling(d, 'matmul', dims);
        d.destroy();
        await new Promise((r) => setTimeout(r, 200)); // autotune does not wait for its IndexedDB write
        const db = await new Promise<IDBDatabase>((resolve, reject) =>
          Object.assign(indexedDB.open('fer-gpu'), {
            onsuccess(this: IDBOpenDBRequest) {
              resolve(this.result);
            },
            onerror: reject,
          }),
        );
        const store = () => db.transaction('tilings', 'readwrite').objectStore('tilings');
        const stored = await new Promise<Record<string, Record<string, unknown>>>((resolve) =>
          Object.assign(store().get('tilings'), {
            onsuccess(this: IDBRequest) {
              resolve(this.result);
            },
          }),
        );
        for (const entry of Object.values(stored)) entry.matmul = planted;
        await new Promise((resolve) => Object.assign(store().put(stored, 'tilings'), { onsuccess: resolve }));
        db.close();
        return { t, chosen, stored: Object.values(stored).length };
      },
      { dims, planted },
    );
    expect(won.chosen).toEqual(won.t);
    expect(won.stored).toBe(1);
    await page.reload();
    await page.waitForFunction(() => 'fer' in window);
    const after = await page.evaluate(async (dims) => {
      const { fer, tiling } = window as unknown as Win;
      const d = await fer.createDevice();
      const chosen = tiling.chooseTiling(d, 'matmul', dims);
      const product = Array.from(await fer.ops.matmul(d.tensor([1, 2, 3, 4], [2, 2]), d.tensor([5, 6, 7, 8], [2, 2])).toArray());
      d.destroy();
      return { chosen, product };
    }, dims);
    expect(after).toEqual({ chosen: planted, product: [19, 22, 43, 50] });
  }, 120_000);

  it('predict(inputs) makes its own device and loads the shipped model; unreadable inputs are clear errors', async () => {
    const r = await page.evaluate(async () => {
      const { fer } = window as unknown as Win;
      const gray = new Uint8Array(48 * 48).map((_, i) => (i * 7) % 256);
      const [p] = await fer.predict([gray]);
      const errors: string[] = [];
      const attempt = async (input: unknown, name?: string) => {
        try {
          await fer.decodeImage(input as never, name);
          errors.push('no error');
        } catch (e) {
          errors.push((e as Error).message);
        }
      };
      await attempt(document.createElement('video'), 'camera');
      await attempt(new Blob(['<html>not an image</html>'], { type: 'text/html' }), 'page.html');
      await attempt('/models/missing.png');
      await attempt(new Uint8Array(100));
      await attempt({ data: new Uint8ClampedArray(10), width: 2, height: 2 }, 'frame');
      await attempt(42);
      // a small PNG whose header claims 20000x20000: refused from the header, as in Node
      const huge = new Uint8Array(64);
      huge.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
      new DataView(huge.buffer).setUint32(16, 20000);
      new DataView(huge.buffer).setUint32(20, 20000);
      await attempt(new File([huge], 'bomb.png'));
      return { p, errors };
    });
    expect(Object.values(r.p!.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(r.errors).toEqual([
      expect.stringMatching(/^camera: the <video> has no frame yet \(readyState 0\): wait for 'loadeddata'/),
      expect.stringMatching(/^page\.html: not an image this browser can decode/),
      expect.stringMatching(/^\/models\/missing\.png: cannot fetch: HTTP 404/),
      expect.stringMatching(/^<image>: not an image this browser can decode \(unknown format, 100 bytes/),
      expect.stringMatching(/^frame: 10 bytes of pixels for 2x2 are not 1, 3 or 4 channels/),
      expect.stringMatching(/^<image>: expected ImageData.*got number/),
      expect.stringMatching(/^bomb\.png: the image is 20000x20000 \(400\.0 megapixels\), over the limit of 64 megapixels/),
    ]);
  }, 120_000);
});

if (!HAVE_CHROMIUM) it.skip(NO_CHROMIUM, () => {});
