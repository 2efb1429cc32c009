/**
 * Headless Chromium for the browser tests: a static server on 127.0.0.1 (a secure context, so
 * WebGPU is exposed), esbuild bundles of test pages, and playwright-core driving Debian's chromium
 * with WebGPU on (its adapter is SwiftShader: no shader-f16, 256 invocations per workgroup).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.FER_GPU_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const NO_CHROMIUM = `headless Chromium tests skipped: ${CHROMIUM} is missing (apt-get install chromium; CI installs it)`;

/** What a test's Chromium offers: WebGPU (default on), a fake camera, and what that camera films (a .y4m file; default Chromium's test pattern). */
export interface ChromiumOptions {
  webgpu?: boolean;
  fakeCamera?: boolean;
  fakeVideo?: string;
}

/** Flags for headless Chromium with WebGPU on a machine without a GPU, as root, offline. */
export function chromiumArgs({ webgpu = true, fakeCamera = false, fakeVideo }: ChromiumOptions = {}): string[] {
  return [
    '--headless=new',
    ...(webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-features=WebGPU', '--disable-gpu']),
    ...(fakeCamera ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] : []),
    ...(fakeCamera && fakeVideo ? [`--use-file-for-fake-video-capture=${fakeVideo}`] : []),
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
}

export async function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs(options), timeout: 60_000 });
}

/** A page that forwards its console errors and uncaught exceptions to the test's output. */
export async function newPage(browser: Browser, log: string[] = []): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log.push(`[console.${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  return page;
}

/**
 * Writes an image as a one-frame Y4M video (4:2:0, BT.601 limited range), which Chromium's fake
 * camera (`fakeVideo`) plays in a loop: a webcam that films a photo.
 */
export function writeY4m(
  file: string,
  image: { width: number; height: number; channels?: number; data: Uint8Array | Uint8ClampedArray },
): void {
  const { width: w, height: h, data } = image;
  if (w % 2 || h % 2) throw new Error(`writeY4m: ${w}x${h} must have even sides (4:2:0)`);
  const c = image.channels ?? data.length / (w * h);
  const px = (x: number, y: number) =>
    [data[(y * w + x) * c]!, data[(y * w + x) * c + (c >= 3 ? 1 : 0)]!, data[(y * w + x) * c + (c >= 3 ? 2 : 0)]!] as const;
  const yPlane = new Uint8Array(w * h);
  const u = new Uint8Array((w / 2) * (h / 2));
  const v = new Uint8Array((w / 2) * (h / 2));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = px(x, y);
      yPlane[y * w + x] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  for (let y = 0; y < h / 2; y++)
    for (let x = 0; x < w / 2; x++) {
      let [r, g, b] = [0, 0, 0];
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const p = px(2 * x + dx, 2 * y + dy);
        [r, g, b] = [r + p[0] / 4, g + p[1] / 4, b + p[2] / 4];
      }
      u[y * (w / 2) + x] = Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
      v[y * (w / 2) + x] = Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
    }
  writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420jpeg\nFRAME\n`), yPlane, u, v]));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
};

/** What a server answers for a path: bytes or text, or a folder to serve files from. */
export type Route = string | Uint8Array | { dir: string };

/**
 * Serves `routes` on 127.0.0.1: an exact path maps to its content, a path ending in "/" to a
 * folder (no listing, nothing outside it). Anything else is a 404.
 */
export async function serve(routes: Record<string, Route>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (url === '/favicon.ico' && !routes[url]) return void res.writeHead(204).end();
    let body: string | Uint8Array | undefined;
    let file = url;
    const exact = routes[url];
    if (exact !== undefined && !(typeof exact === 'object' && 'dir' in exact)) body = exact;
    else {
      for (const [prefix, r] of Object.entries(routes)) {
        if (!prefix.endsWith('/') || !url.startsWith(prefix) || typeof r !== 'object' || !('dir' in r)) continue;
        const p = path.resolve(r.dir, `.${url.slice(prefix.length - 1)}`);
        if ((p === r.dir || p.startsWith(r.dir + path.sep)) && existsSync(p) && !p.endsWith(path.sep)) {
          try {
            body = readFileSync(p);
            file = p;
          } catch {
            // a folder or unreadable: 404
          }
        }
        if (body !== undefined) break;
      }
    }
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url}`);
      return;
    }
    const type = file.endsWith('/') ? TYPES['.html'] : TYPES[path.extname(file)];
    res.writeHead(200, { 'content-type': type ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** An esbuild plugin that fails the build on any Node built-in, naming the module that imports it. */
export const noNodeBuiltins: esbuild.Plugin = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) =>
      BUILTINS.has(args.path) || args.path.startsWith('node:')
        ? { errors: [{ text: `Node built-in "${args.path}" imported by ${args.importer}` }] }
        : undefined,
    );
  },
};

/**
 * Bundles a test page's module for the browser (ESM, one file). Test code written for vitest
 * gets the browser's platform: `vitest` is the in-page runner (vitest-shim.ts), and Node's
 * createDevice (src/gpu/dawn.ts) is the browser's (src/gpu/navigator.ts). Any Node built-in
 * left in the graph fails the build: shared tests are platform-free.
 */
export async function bundleForBrowser(entry: { file: string } | { code: string; dir: string }): Promise<string> {
  const swap: esbuild.Plugin = {
    name: 'browser-platform',
    setup(build) {
      build.onResolve({ filter: /^vitest$/ }, () => ({ path: path.join(ROOT, 'test/browser/vitest-shim.ts') }));
      build.onResolve({ filter: /gpu\/dawn\.js$/ }, () => ({ path: path.join(ROOT, 'src/gpu/navigator.ts') }));
    },
  };
  const result = await esbuild.build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.code, resolveDir: entry.dir, loader: 'ts', sourcefile: 'page.ts' } }),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
    plugins: [swap, noNodeBuiltins],
  });
  return result.outputFiles[0]!.text;
}

/** A page with the browser entry loaded as `window.fer`, served the way a built package is laid out. */
export interface EntryPage {
  browser: Browser;
  page: Page;
  url: string;
  /** Console errors and page errors seen so far. */
  log: string[];
  close: () => Promise<void>;
}

let entryBundle: Promise<string> | undefined;

/**
 * Opens a page that imports the browser entry (bundled from src/browser/index.ts, served at
 * /dist/browser.js with the shipped model at /models/, so that `new URL('../models/…',
 * import.meta.url)` finds it as in an installed package) and sets `window.fer` to it.
 */
export async function openEntryPage(
  options: { webgpu?: boolean; fakeCamera?: boolean; initScript?: string; routes?: Record<string, Route> } = {},
): Promise<EntryPage> {
  entryBundle ??= bundleForBrowser({ file: path.join(ROOT, 'src/browser/index.ts') });
  const server = await serve({
    '/': '<!doctype html><title>fer-gpu</title><script type="module">import * as fer from "/dist/browser.js"; window.fer = fer;</script>',
    '/dist/browser.js': await entryBundle,
    '/models/': { dir: path.join(ROOT, 'models') },
    ...options.routes,
  });
  const browser = await launchChromium(options);
  const log: string[] = [];
  const page = await newPage(browser, log);
  if (options.initScript) await page.addInitScript(options.initScript);
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => 'fer' in window, undefined, { timeout: 60_000 });
  return {
    browser,
    page,
    url: server.url,
    log,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
