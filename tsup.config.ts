import { defineConfig } from 'tsup';

// The @stdlib special functions (drift p-values) are bundled into dist (they are devDependencies),
// so installing fer-gpu does not pull their ~210 packages; their licences go to dist/THIRD-PARTY-NOTICES.md.
const bundled = [/^@stdlib\//];

export default defineConfig([
  {
    // ESM: the library and the CLI share one copy of the code (code splitting: dist/chunk-*.js).
    entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
    format: ['esm'],
    splitting: true,
    dts: { entry: { index: 'src/index.ts' } },
    clean: true,
    target: 'node20',
    external: ['webgpu'],
    noExternal: bundled,
    onSuccess: 'node scripts/third-party-notices.mjs',
  },
  {
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: { entry: { index: 'src/index.ts' } },
    target: 'node20',
    external: ['webgpu'],
    noExternal: bundled,
  },
  {
    // fer-gpu/browser: no Node built-ins; the shipped weights are fetched from ../models/ (see src/browser/pretrained.ts)
    entry: { browser: 'src/browser/index.ts' },
    format: ['esm'],
    dts: true,
    platform: 'browser',
    target: 'es2022',
  },
]);
