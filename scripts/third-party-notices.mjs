/**
 * Writes dist/THIRD-PARTY-NOTICES.md: the licences of the code bundled into dist (the @stdlib
 * special functions behind the drift p-values, Apache-2.0, with the attributions of the Boost,
 * Cephes and FreeBSD code they port; ONNX's onnx.proto as the ONNX exporter's schema, Apache-2.0).
 * Run by the build (tsup.config.ts); the list of packages comes from bundling
 * src/drift/special.ts, so it is exactly what dist holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const { metafile } = await build({
  entryPoints: [path.join(root, 'src/drift/special.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  write: false,
  metafile: true,
  outfile: 'special.js',
  logLevel: 'silent',
});
const dirs = new Set();
for (const input of Object.keys(metafile.inputs)) {
  const m = input.match(/^(.*node_modules\/@stdlib\/[^/]+)\//);
  if (m) dirs.add(path.resolve(root, m[1]));
}
const packages = [...dirs].sort().map((dir) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const license = fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8');
  const notice = fs.existsSync(path.join(dir, 'NOTICE')) ? fs.readFileSync(path.join(dir, 'NOTICE'), 'utf8').trim() : '';
  return { name: pkg.name, version: pkg.version, license: pkg.license, text: license, notice };
});
if (packages.length === 0) throw new Error('third-party-notices: no @stdlib package found in the bundle of src/drift/special.ts');
for (const p of packages) {
  // Licences reviewed for bundling: Apache-2.0, some with Boost's (BSL-1.0) for the Boost code they port.
  if (!/^Apache-2\.0( AND BSL-1\.0)?$/.test(p.license))
    throw new Error(`third-party-notices: ${p.name} is ${p.license}: review before bundling`);
}
// Each LICENSE is the Apache-2.0 text, sometimes followed by "DEPENDENCIES & ATTRIBUTION" for the code it ports.
const MARK = 'DEPENDENCIES & ATTRIBUTION';
const apache = packages[0].text.split(MARK)[0].trim();
const attributions = [...new Set(packages.filter((p) => p.text.includes(MARK)).map((p) => p.text.slice(p.text.indexOf(MARK)).trim()))];
const notices = [...new Set(packages.map((p) => p.notice).filter(Boolean))];
const out = [
  '# Third-party code bundled in dist/',
  '',
  `fer-gpu's dist/ bundles these ${packages.length} packages of stdlib (https://github.com/stdlib-js/stdlib), licensed under the Apache License 2.0 (some also under the Boost Software License 1.0 for the Boost code they port, as their attributions below say):`,
  '',
  ...packages.map((p) => `- ${p.name}@${p.version} (${p.license})`),
  '',
  "It also holds ONNX's schema `onnx.proto` (ONNX 1.12.0, https://github.com/onnx/onnx, Copyright ONNX Project Contributors, " +
    'Apache License 2.0, text below) as a protobufjs descriptor, for the ONNX export (src/onnx/schema.ts).',
  '',
  '## NOTICE',
  '',
  ...notices,
  '',
  ...attributions.flatMap((a) => ['## Attribution', '', a, '']),
  '## Apache License 2.0',
  '',
  apache,
  '',
].join('\n');
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
fs.writeFileSync(path.join(root, 'dist/THIRD-PARTY-NOTICES.md'), out);
