/**
 * Serves the demo page on http://127.0.0.1:<port> (a secure context, so WebGPU is on):
 *   npm run demo                  # port 5173
 *   npm run demo -- --port 8080
 * It bundles app.ts with fer-gpu's browser entry (esbuild, in memory) and serves the shipped
 * models from models/ and the sample photo from samples/. Nothing is written to disk.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

/** Starts the demo server; `port` 0 picks a free one. */
export async function startDemo(port = 5173): Promise<{ url: string; close: () => Promise<void> }> {
  const bundle = await esbuild.build({
    entryPoints: [path.join(HERE, 'app.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'inline',
    write: false,
    logLevel: 'warning',
  });
  const app = bundle.outputFiles[0]!.contents;
  // The files the page fetches, by URL: the shipped models and the sample photo.
  const files: Record<string, string> = Object.fromEntries(
    [
      'models/fer-resnet18.safetensors',
      'models/blazeface-full.safetensors',
      'models/blazeface-short.safetensors',
      'samples/group-photo.jpg',
    ].map((f) => [`/${f}`, path.join(ROOT, f)]),
  );
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (type: string, body: string | Uint8Array) =>
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    try {
      if (url === '/' || url === '/index.html') send('text/html; charset=utf-8', readFileSync(path.join(HERE, 'index.html')));
      // app.js sits in /dist/ like fer-gpu's browser build, which finds the models at ../models/
      else if (url === '/dist/app.js') send('text/javascript; charset=utf-8', app);
      else if (files[url]) send(url.endsWith('.jpg') ? 'image/jpeg' : 'application/octet-stream', readFileSync(files[url]!));
      else
        res
          .writeHead(url === '/favicon.ico' ? 204 : 404, { 'content-type': 'text/plain' })
          .end(url === '/favicon.ico' ? '' : `not found: ${url}`);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--port');
  const port = i >= 0 ? Number(process.argv[i + 1]) : 5173;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo: --port must be a port number, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  startDemo(port).then(
    ({ url }) => console.log(`fer-gpu demo: ${url}  (open it in a browser with WebGPU; Ctrl-C stops)`),
    (e: NodeJS.ErrnoException) => {
      console.error(`demo: ${e.code === 'EADDRINUSE' ? `port ${port} is in use: try --port <another>` : e.message}`);
      process.exit(1);
    },
  );
}
