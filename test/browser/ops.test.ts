/**
 * The shared op tests (test/kernels/*.test.ts: every op's forward and backward against the CPU
 * reference, goldens, bad input) run in headless Chromium on the browser's WebGPU (SwiftShader),
 * as tfjs runs its op tests on every backend. The same files run in Node under vitest; here they
 * are bundled with the browser platform (chromium.ts) and run by the in-page runner, and each
 * file's results are checked below.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, HAVE_CHROMIUM, launchChromium, newPage, NO_CHROMIUM, ROOT, serve } from './chromium.js';
import type { TestResult } from './vitest-shim.js';

const SHARED = readdirSync(path.join(ROOT, 'test/kernels'))
  .filter((f) => f.endsWith('.test.ts'))
  .sort();

describe.skipIf(!HAVE_CHROMIUM)('shared op tests in Chromium (WebGPU on SwiftShader)', () => {
  let browser: Browser | undefined;
  let close = async (): Promise<void> => {};
  let results: TestResult[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    const shim = path.join(ROOT, 'test/browser/vitest-shim.ts');
    const code = [
      `import { beginFile, runCollected } from ${JSON.stringify(shim)};`,
      ...SHARED.map((f) => `beginFile(${JSON.stringify(f)}); await import(${JSON.stringify(path.join(ROOT, 'test/kernels', f))});`),
      'const w = window as unknown as Record<string, unknown>;',
      'w.results = [];',
      'runCollected((r) => (w.results as unknown[]).push(r)).then(() => (w.done = true), (e) => ((w.error = String(e)), (w.done = true)));',
    ].join('\n');
    const js = await bundleForBrowser({ code, dir: path.join(ROOT, 'test/browser') });
    const server = await serve({
      '/': '<!doctype html><title>fer-gpu op tests</title><script type="module" src="/ops.js"></script>',
      '/ops.js': js,
    });
    close = server.close;
    browser = await launchChromium();
    const page = await newPage(browser, log);
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, {
      timeout: 600_000,
      polling: 500,
    });
    const error = await page.evaluate(() => (window as unknown as { error?: string }).error);
    if (error) throw new Error(`the in-page runner failed: ${error}\n${log.join('\n')}`);
    results = await page.evaluate(() => (window as unknown as { results: TestResult[] }).results);
    const ms = results.reduce((s, r) => s + r.ms, 0);
    console.log(
      `browser op tests: ${results.length} tests in ${(ms / 1000).toFixed(1)} s on ${await page.evaluate(async () => {
        const a = await navigator.gpu?.requestAdapter();
        return a ? `${a.info.vendor} ${a.info.architecture}` : 'no adapter';
      })}`,
    );
  }, 660_000);

  afterAll(async () => {
    await browser?.close();
    await close();
  });

  for (const file of SHARED) {
    it(`${file}: every test passes in Chromium as in Node`, () => {
      const mine = results.filter((r) => r.file === file);
      expect(mine.length, `${file} ran no tests in the page`).toBeGreaterThan(0);
      const failed = mine.filter((r) => r.status !== 'pass').map((r) => `${r.status}: ${r.name}${r.error ? `\n    ${r.error}` : ''}`);
      expect(failed, `${file} in Chromium:\n${failed.join('\n')}\n${log.join('\n')}`).toEqual([]);
    });
  }
});

if (!HAVE_CHROMIUM) it.skip(NO_CHROMIUM, () => {});
