/**
 * The package as users get it: `npm pack` (which builds dist/), installed from the tarball into an
 * empty app, then used the three ways users use it: ESM import with the shipped model
 * (`predict(['face.png'])`, no weights, no device), CommonJS require, and the `fer-gpu` bin.
 * Installs offline from npm's cache, which `npm ci` has filled.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticFaces } from '../src/data/synthetic.js';
import { FER_PIXELS } from '../src/data/dataset.js';
import { FER_CLASSES } from '../src/classes.js';
import { VERSION } from '../src/version.js';

const root = path.resolve(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-package-'));
const app = path.join(dir, 'app');
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', FER_GPU_WEIGHTS: '' };

function sh(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('the packed package', () => {
  beforeAll(() => {
    sh('npm', ['run', 'build', '--silent'], root); // what prepack does; then pack without scripts for clean JSON
    const packed = JSON.parse(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/cli.js', 'models/fer-resnet18.safetensors', 'README.md']));
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    sh('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(dir, packed[0]!.filename)], app);
    const faces = syntheticFaces({ perClass: 1, seed: 3 });
    const png = new PNG({ width: 48, height: 48 });
    for (let i = 0; i < FER_PIXELS; i++) png.data.set([faces.pixels[i]!, faces.pixels[i]!, faces.pixels[i]!, 255], i * 4);
    fs.writeFileSync(path.join(app, 'face.png'), PNG.sync.write(png));
  }, 300_000);

  it('ESM: predict() with the shipped model and no device', () => {
    fs.writeFileSync(
      path.join(app, 'predict.mjs'),
      "import { predict } from 'fer-gpu';\nconst [p] = await predict(['face.png']);\nconsole.log(JSON.stringify(p));\n",
    );
    const p = JSON.parse(sh(process.execPath, ['predict.mjs'], app).trim().split('\n').at(-1)!) as { label: string; probabilities: Record<string, number> };
    expect(FER_CLASSES).toContain(p.label);
    expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  }, 120_000);

  it('CommonJS require and the fer-gpu bin', () => {
    fs.writeFileSync(path.join(app, 'require.cjs'), "const f = require('fer-gpu');\nconsole.log(f.VERSION, typeof f.createDevice, f.FER_CLASSES.length);\n");
    expect(sh(process.execPath, ['require.cjs'], app).trim()).toBe(`${VERSION} function 7`);
    const info = JSON.parse(sh(path.join(app, 'node_modules/.bin/fer-gpu'), ['info', '--json'], app)) as { version: string; backend: string };
    expect(info.version).toBe(VERSION);
    expect(info.backend).toMatch(/^(vulkan|metal|d3d12|opengl|opengles)$/);
    const predicted = sh(path.join(app, 'node_modules/.bin/fer-gpu'), ['predict', 'face.png'], app);
    expect(FER_CLASSES).toContain((JSON.parse(predicted.trim()) as { label: string }).label);
  }, 120_000);
});
