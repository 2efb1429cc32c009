/**
 * The browser entry bundles for the browser: esbuild with platform=browser, where any import of a
 * Node built-in (fs, path, zlib, …, with or without `node:`) fails the build, so no polyfill is
 * ever needed; and the README's stated size (minified + gzipped) is the real one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { expect, it } from 'vitest';
import { noNodeBuiltins, ROOT } from './chromium.js';

/** Minified ESM bundle of `entry` for the browser, and its gzipped size in bytes. */
async function browserBundle(entry: string): Promise<{ bytes: number; gzipped: number }> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  const js = result.outputFiles[0]!.contents;
  return { bytes: js.length, gzipped: gzipSync(js, { level: 9 }).length };
}

it('the browser entry bundles with platform=browser and imports no Node built-in', async () => {
  let error: unknown;
  const size = await browserBundle(path.join(ROOT, 'src/browser/index.ts')).catch((e) => (error = e));
  const errors = (error as esbuild.BuildFailure | undefined)?.errors?.map((e) => e.text) ?? [];
  expect(errors, errors.join('\n')).toEqual([]);
  const { bytes, gzipped } = size as { bytes: number; gzipped: number };
  console.log(`fer-gpu/browser: ${(bytes / 1000).toFixed(0)} kB minified, ${(gzipped / 1000).toFixed(0)} kB minified + gzipped`);
  // The README states the size: keep it true (within 20%).
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const stated = /fer-gpu\/browser[^\n]*?(\d+) kB minified \+ gzipped/.exec(readme);
  expect(stated, 'README states "fer-gpu/browser ... NN kB minified + gzipped"').not.toBeNull();
  expect(Math.abs(Number(stated![1]) * 1000 - gzipped) / gzipped).toBeLessThan(0.2);
});

it('the check catches a Node built-in (the Node entry imports many)', async () => {
  const error = (await browserBundle(path.join(ROOT, 'src/index.ts')).catch((e: unknown) => e)) as esbuild.BuildFailure;
  const texts = error.errors.map((e) => e.text);
  expect(texts).toContain(`Node built-in "node:fs" imported by ${path.join(ROOT, 'src/io/atomic.ts')}`);
  expect(texts.filter((t) => !t.startsWith('Node built-in'))).toEqual([]);
});
