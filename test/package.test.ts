/**
 * The package as users get it: `npm pack` (which builds dist/), installed from the tarball into an
 * empty app, then used the ways users use it: ESM import with the shipped model, CommonJS
 * require, the `fer-gpu` bin, and the three programs of the README, run as they are written there;
 * and `fer-gpu/browser` bundled for the browser by esbuild, Vite and webpack (no Node built-ins, the
 * weights emitted as assets).
 * The install reads npm's cache where it can and the registry otherwise, so it works on a machine
 * whose npm cache is empty (`npm_config_cache=$(mktemp -d) npx vitest run test/package.test.ts`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import * as esbuild from 'esbuild';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticFaces } from '../src/data/synthetic.js';
import { FER_PIXELS, type FerDataset } from '../src/data/dataset.js';
import { FER_CLASSES } from '../src/classes.js';
import { VERSION } from '../src/version.js';
import { noNodeBuiltins } from './browser/chromium.js';

const root = path.resolve(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-package-'));
const app = path.join(dir, 'app');
const { FER_GPU_BACKEND: _backend, ...inherited } = process.env; // the adapter the machine offers
const env = { ...inherited, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', FER_GPU_WEIGHTS: '' };
let packedFiles: string[] = [];

function run(cmd: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  return spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8' });
}
function sh(cmd: string, args: string[], cwd: string) {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function image(ds: FerDataset, i: number): Uint8Array {
  return ds.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS);
}
function png(gray: Uint8Array): Buffer {
  const p = new PNG({ width: 48, height: 48 });
  for (let i = 0; i < FER_PIXELS; i++) p.data.set([gray[i]!, gray[i]!, gray[i]!, 255], i * 4);
  return PNG.sync.write(p);
}
function jpg(gray: Uint8Array): Buffer {
  const data = Buffer.alloc(FER_PIXELS * 4);
  for (let i = 0; i < FER_PIXELS; i++) data.set([gray[i]!, gray[i]!, gray[i]!, 255], i * 4);
  return jpeg.encode({ data, width: 48, height: 48 }, 95).data;
}
/** Writes synthetic faces as a Kaggle-style folder: `<folder>/<split>/<class>/<n>.png`. */
function writeFaces(folder: string, split: 'train' | 'test', ds: FerDataset): void {
  for (let i = 0; i < ds.length; i++) {
    const cls = path.join(app, folder, split, FER_CLASSES[ds.labels[i]!]!);
    fs.mkdirSync(cls, { recursive: true });
    fs.writeFileSync(path.join(cls, `${i}.png`), png(image(ds, i)));
  }
}

/** The README's programs: a `<!-- readme-program: NAME -->` line, then a fenced code block. */
function readmePrograms(): Map<string, string> {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const programs = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- readme-program: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) programs.set(m[1]!, m[2]!);
  return programs;
}

/** A web app in `<app>/web` that uses `fer-gpu/browser` (weights, detectors, every namespace); returns its folder. */
function writeWebApp(): string {
  const web = path.join(app, 'web');
  fs.mkdirSync(web, { recursive: true });
  fs.writeFileSync(
    path.join(web, 'main.js'),
    "import { createDevice, loadPretrained, loadFaceModels, predict, recognize, ops, nn, optim, metrics } from 'fer-gpu/browser';\n" +
      'const device = await createDevice();\nconst { model } = await loadPretrained(device);\nconst faces = await loadFaceModels(device);\nconsole.log(predict, recognize, ops, nn, optim, metrics, model, faces);\n',
  );
  fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><script type="module" src="/main.js"></script>\n');
  return web;
}

/**
 * Names declared in a bundled .d.ts that no export reaches: types that public signatures use but
 * users cannot name. Exports of namespaces (`ops`, `metrics`, ...) count, through the aliases the
 * bundler writes for them (`type ops_X = X`, `declare const ops_f: typeof f`).
 */
function unexportedDeclarations(dts: string): string[] {
  const src = ts.createSourceFile('index.d.ts', dts, ts.ScriptTarget.Latest, true);
  const declared = new Set<string>();
  const exported = new Set<string>();
  const alias = new Map<string, string>();
  const isExported = (s: ts.Statement) =>
    ts.canHaveModifiers(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const visit = (statements: readonly ts.Statement[], inNamespace: boolean) => {
    for (const s of statements) {
      if (ts.isModuleDeclaration(s)) {
        if (!inNamespace) declared.add(s.name.text);
        if (s.body && ts.isModuleBlock(s.body)) visit(s.body.statements, true);
      } else if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) {
        for (const e of s.exportClause.elements) exported.add((e.propertyName ?? e.name).text);
      } else if (inNamespace) {
        continue;
      } else if (ts.isVariableStatement(s)) {
        for (const d of s.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) continue;
          declared.add(d.name.text);
          if (isExported(s)) exported.add(d.name.text);
          if (d.type && ts.isTypeQueryNode(d.type) && ts.isIdentifier(d.type.exprName)) alias.set(d.name.text, d.type.exprName.text);
        }
      } else if ('name' in s && s.name && ts.isIdentifier(s.name as ts.Node)) {
        const name = (s.name as ts.Identifier).text;
        declared.add(name);
        if (isExported(s)) exported.add(name);
        if (ts.isTypeAliasDeclaration(s) && ts.isTypeReferenceNode(s.type) && ts.isIdentifier(s.type.typeName))
          alias.set(name, s.type.typeName.text);
      }
    }
  };
  visit(src.statements, false);
  for (let grew = true; grew;) {
    grew = false;
    for (const [a, b] of alias) {
      if (exported.has(a) && !exported.has(b)) {
        exported.add(b);
        grew = true;
      }
    }
  }
  return [...declared].filter((n) => !exported.has(n)).sort();
}

describe('the packed package', () => {
  beforeAll(() => {
    sh('npm', ['run', 'build', '--silent'], root); // what prepack does; then pack without scripts for clean JSON
    const packed = JSON.parse(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    packedFiles = packed[0]!.files.map((f) => f.path);
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // --prefer-offline: the cache where it has the package, the registry otherwise (an empty cache has no metadata).
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, packed[0]!.filename)], app);
    const faces = syntheticFaces({ perClass: 1, seed: 3 });
    fs.writeFileSync(path.join(app, 'face.png'), png(image(faces, 3)));
    fs.writeFileSync(path.join(app, 'face.jpg'), jpg(image(faces, 5)));
    writeFaces('faces', 'train', syntheticFaces({ perClass: 20, seed: 4, split: 'Training' }));
    writeFaces('faces', 'test', syntheticFaces({ perClass: 3, seed: 5, split: 'Test' }));
    writeFaces('faces-january', 'test', syntheticFaces({ perClass: 8, seed: 6, split: 'Test' }));
    writeFaces('faces-june', 'test', syntheticFaces({ perClass: 8, seed: 7, split: 'Test' }));
  }, 300_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true })); // the app's node_modules is 140 MB

  it('holds dist (no source maps), the shipped model, the software-driver installer and the licences of the bundled code', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/cli.js',
        'dist/browser.js',
        'dist/browser.d.ts',
        'dist/THIRD-PARTY-NOTICES.md',
        'models/fer-resnet18.safetensors',
        'scripts/install-software-gpu.sh',
        'README.md',
        'models/blazeface-full.safetensors',
        'models/blazeface-short.safetensors',
        'models/NOTICE-blazeface.md',
        'models/LICENSE-blazeface.txt',
        'samples/group-photo.jpg',
        'samples/NOTICE.md',
      ]),
    );
    expect(packedFiles.filter((f) => f.endsWith('.map'))).toEqual([]);
    // One copy of the library's code: the CLI imports the chunk the ESM entry re-exports.
    const dist = path.join(app, 'node_modules/fer-gpu/dist');
    const chunks = (file: string) =>
      [...fs.readFileSync(path.join(dist, file), 'utf8').matchAll(/from "\.\/(chunk-[\w-]+\.js)"/g)].map((m) => m[1]!);
    expect(chunks('cli.js').length).toBeGreaterThan(0);
    expect(chunks('index.js')).toEqual(expect.arrayContaining(chunks('cli.js')));
    const size = (file: string) => fs.statSync(path.join(dist, file)).size;
    expect(size('cli.js')).toBeLessThan(chunks('index.js').reduce((a, c) => a + size(c), 0) / 10);
  });

  it('bundles the @stdlib special functions instead of installing their ~210 packages', () => {
    expect(fs.existsSync(path.join(app, 'node_modules/@stdlib'))).toBe(false);
    const notices = fs.readFileSync(path.join(app, 'node_modules/fer-gpu/dist/THIRD-PARTY-NOTICES.md'), 'utf8');
    expect(notices).toContain('@stdlib/math-base-special-betainc@');
    expect(notices).toContain('Apache License');
    // The drift p-values work from the bundle: chi-square (the incomplete gamma function) on counts
    // [15, 5] against expected [10, 10]: statistic 5 with 1 degree of freedom, p = erfc(sqrt(2.5)).
    const program =
      "import { drift } from 'fer-gpu';\nconst col = (a, b) => [...Array(a).fill('x'), ...Array(b).fill('y')];\nconsole.log(drift.columnDrift(col(10, 10), col(15, 5), { method: 'chisquare' }).pValue);\n";
    fs.writeFileSync(path.join(app, 'pvalue.mjs'), program);
    expect(Number(sh(process.execPath, ['pvalue.mjs'], app).trim())).toBeCloseTo(0.0253473187, 8);
  });

  it('ESM: predict() with the shipped model and no device', () => {
    fs.writeFileSync(
      path.join(app, 'predict-one.mjs'),
      "import { predict } from 'fer-gpu';\nconst [p] = await predict(['face.png']);\nconsole.log(JSON.stringify(p));\n",
    );
    const p = JSON.parse(sh(process.execPath, ['predict-one.mjs'], app).trim().split('\n').at(-1)!) as {
      label: string;
      probabilities: Record<string, number>;
    };
    expect(FER_CLASSES).toContain(p.label);
    expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  }, 120_000);

  it('ESM: recognize() finds the faces of a photo with the shipped models', () => {
    fs.copyFileSync(path.join(root, 'node_modules/@vladmandic/face-api/demo/sample3.jpg'), path.join(app, 'group.jpg'));
    fs.writeFileSync(
      path.join(app, 'recognize.mjs'),
      "import { recognize } from 'fer-gpu';\nconsole.log(JSON.stringify(await recognize('group.jpg')));\n",
    );
    const faces = JSON.parse(sh(process.execPath, ['recognize.mjs'], app).trim().split('\n').at(-1)!) as Array<{
      label: string;
      box: { width: number };
    }>;
    expect(faces).toHaveLength(3);
    for (const f of faces) expect(FER_CLASSES).toContain(f.label);
  }, 120_000);

  it('CommonJS require and the fer-gpu bin', () => {
    fs.writeFileSync(
      path.join(app, 'require.cjs'),
      "const f = require('fer-gpu');\nconsole.log(f.VERSION, typeof f.createDevice, f.FER_CLASSES.length);\n",
    );
    expect(sh(process.execPath, ['require.cjs'], app).trim()).toBe(`${VERSION} function 7`);
    const bin = path.join(app, 'node_modules/.bin/fer-gpu');
    const info = JSON.parse(sh(bin, ['info', '--json'], app)) as { version: string; backend: string };
    expect(info.version).toBe(VERSION);
    expect(info.backend).toMatch(/^(vulkan|metal|d3d12|opengl|opengles)$/);
    const predicted = sh(bin, ['predict', 'face.png', '--json'], app);
    expect(FER_CLASSES).toContain((JSON.parse(predicted.trim()) as { label: string }).label);
  }, 120_000);

  it('exports every type that its public signatures name', () => {
    expect(unexportedDeclarations(fs.readFileSync(path.join(app, 'node_modules/fer-gpu/dist/index.d.ts'), 'utf8'))).toEqual([]);
    // and the check sees a missing one
    expect(unexportedDeclarations('interface Hidden { a: number }\ndeclare function f(h: Hidden): void;\nexport { f };\n')).toEqual([
      'Hidden',
    ]);
  });

  it("without an adapter, the error names the installed package's setup command and script", () => {
    const r = run(path.join(app, 'node_modules/.bin/fer-gpu'), ['info'], app, {
      FER_GPU_BACKEND: process.platform === 'win32' ? 'metal' : 'd3d12',
    });
    expect(r.status).toBe(1); // a failed run; 2 is bad usage
    expect(r.stderr).toContain('fer-gpu: no WebGPU adapter found.');
    if (process.platform === 'linux') {
      expect(r.stderr).toContain('npx fer-gpu setup-software-gpu');
      const script = path.join(fs.realpathSync(app), 'node_modules/fer-gpu/scripts/install-software-gpu.sh');
      expect(r.stderr).toContain(`sudo bash ${script}`);
      expect(fs.existsSync(script)).toBe(true);
    }
  });

  it('fer-gpu setup-software-gpu finds the adapter and installs nothing when there is one', () => {
    const out = sh(path.join(app, 'node_modules/.bin/fer-gpu'), ['setup-software-gpu'], app);
    expect(out).toMatch(/WebGPU adapter found: .+\(\w+, core feature level\)\. No software driver needed/);
  }, 120_000);

  it('fer-gpu demo, the main job (small here: 1 epoch on 140 faces)', () => {
    const out = sh(path.join(app, 'node_modules/.bin/fer-gpu'), ['demo', '--epochs', '1', '--images', '140', '--out', 'demo'], app);
    expect(out).toMatch(/^fer-gpu demo on .+ feature level\); output in demo\/$/m);
    expect(out).toMatch(/ \d+ of 14 as drawn\./);
    expect(out).toContain('samples/group-photo.jpg (960x699, a group photo from @vladmandic/face-api, MIT): 5 faces found'); // the photo ships in the package
    expect(out).toMatch(/accuracy +\d\.\d\d +14\n/);
    for (const picture of ['sample-faces.png', 'group-photo.jpg', 'confusion-matrix.png'])
      expect(fs.existsSync(path.join(app, 'demo', picture))).toBe(true);
  }, 300_000);

  describe("the README's programs, as written there", () => {
    const programs = readmePrograms();

    it('are there: predict, train, drift', () => {
      expect([...programs.keys()]).toEqual(['predict.mjs', 'train.mjs', 'drift.mjs']);
    });

    it('predict.mjs', () => {
      fs.writeFileSync(path.join(app, 'predict.mjs'), programs.get('predict.mjs')!);
      const lines = sh(process.execPath, ['predict.mjs'], app)
        .trim()
        .split('\n')
        .filter((l) => /^face\./.test(l));
      expect(lines.map((l) => l.split(' ')[0])).toEqual(['face.jpg', 'face.png']);
      for (const l of lines) {
        const [, label, p] = l.split(' ');
        expect(FER_CLASSES).toContain(label);
        expect(Number(p)).toBeGreaterThan(1 / 7 - 1e-9);
      }
    }, 120_000);

    it('train.mjs', () => {
      fs.writeFileSync(path.join(app, 'train.mjs'), programs.get('train.mjs')!);
      const out = sh(process.execPath, ['train.mjs'], app);
      expect(out).toMatch(/accuracy\s+\d\.\d\d\s+21\n/); // the report on the 21 test faces
      expect(fs.existsSync(path.join(app, 'runs/mine/best.safetensors'))).toBe(true);
      expect(fs.readFileSync(path.join(app, 'confusion-matrix.png')).subarray(1, 4).toString()).toBe('PNG');
    }, 300_000);

    it('drift.mjs', () => {
      fs.writeFileSync(path.join(app, 'drift.mjs'), programs.get('drift.mjs')!);
      const out = sh(process.execPath, ['drift.mjs'], app);
      expect(out).toMatch(/^(drift detected|no drift) \(drift\.html\)$/m);
      expect(fs.readFileSync(path.join(app, 'drift.html'), 'utf8')).toContain('faces-june');
    }, 300_000);
  });

  it('the bin exports the shipped model to ONNX (protobufjs installed as a dependency)', () => {
    expect(sh(path.join(app, 'node_modules/.bin/fer-gpu'), ['export', '--onnx', 'fer.onnx'], app)).toMatch(
      /^wrote fer\.onnx \(\d+ KiB\): fer-resnet18/,
    );
    expect(fs.statSync(path.join(app, 'fer.onnx')).size).toBeGreaterThan(100_000);
  }, 120_000);

  it('fer-gpu/browser bundles for the browser with esbuild and Vite: no Node built-in, the weights and detectors as assets', async () => {
    const web = writeWebApp();
    const built = await esbuild.build({
      entryPoints: [path.join(web, 'main.js')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [noNodeBuiltins],
    });
    for (const file of ['fer-resnet18', 'blazeface-full', 'blazeface-short'])
      expect(built.outputFiles[0]!.text).toContain(`new URL("../models/${file}.safetensors", import.meta.url)`);
    const { build } = await import('vite');
    await build({ root: web, logLevel: 'silent', build: { outDir: path.join(web, 'dist'), target: 'es2022' } });
    const assets = fs.readdirSync(path.join(web, 'dist/assets'));
    const weights = assets.find((f) => /^fer-resnet18-.*\.safetensors$/.test(f));
    expect(weights, assets.join(', ')).toBeDefined();
    expect(fs.statSync(path.join(web, 'dist/assets', weights!)).size).toBe(
      fs.statSync(path.join(root, 'models/fer-resnet18.safetensors')).size,
    );
    const js = assets
      .filter((f) => f.endsWith('.js'))
      .map((f) => fs.readFileSync(path.join(web, 'dist/assets', f), 'utf8'))
      .join('\n');
    expect(js).toContain(`/assets/${weights}`);
    for (const range of ['full', 'short']) {
      const detector = assets.find((f) => new RegExp(`^blazeface-${range}-.*\\.safetensors$`).test(f));
      expect(detector, assets.join(', ')).toBeDefined();
      expect(fs.statSync(path.join(web, 'dist/assets', detector!)).size).toBe(
        fs.statSync(path.join(root, `models/blazeface-${range}.safetensors`)).size,
      );
      expect(js).toContain(`/assets/${detector}`);
    }
  }, 120_000);

  it('fer-gpu/browser bundles with webpack 5 (its defaults, target web): no Node built-in, the weights and detectors emitted as assets', async () => {
    const web = writeWebApp();
    const out = path.join(web, 'dist-webpack');
    const { default: webpack } = await import('webpack');
    const stats = await new Promise<import('webpack').Stats>((resolve, reject) =>
      webpack(
        { mode: 'production', context: web, entry: './main.js', target: 'web', output: { path: out }, performance: { hints: false } },
        (err, result) => (err || !result ? reject(err ?? new Error('webpack gave no result')) : resolve(result)),
      ),
    );
    // webpack 5 has no fallback for node: modules, so an import of one is an error here
    expect(stats.toJson({ all: false, errors: true }).errors?.map((e) => e.message) ?? []).toEqual([]);
    const emitted = fs.readdirSync(out);
    const js = emitted
      .filter((f) => f.endsWith('.js'))
      .map((f) => fs.readFileSync(path.join(out, f), 'utf8'))
      .join('\n');
    // default asset names are content hashes: find each model by its bytes, and its name in the code
    for (const model of ['fer-resnet18', 'blazeface-full', 'blazeface-short']) {
      const bytes = fs.readFileSync(path.join(root, `models/${model}.safetensors`));
      const asset = emitted.find((f) => f.endsWith('.safetensors') && fs.readFileSync(path.join(out, f)).equals(bytes));
      expect(asset, `${model} among ${emitted.join(', ')}`).toBeDefined();
      expect(js).toContain(asset);
    }
  }, 120_000);
});
