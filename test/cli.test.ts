/** The command line and the hello-gpu example, run as a user would (through tsx). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
function run(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('fer-gpu CLI', () => {
  it('info --json prints the adapter', () => {
    const r = run(['src/cli/main.ts', 'info', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out);
    expect(info).toMatchObject({ featureLevel: expect.stringMatching(/core|compatibility/) });
    expect(typeof info.description).toBe('string');
  });

  it('exits 1 on bad input, naming what is wrong', () => {
    const bad = run(['src/cli/main.ts', 'info', '--backend', 'glide']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/unknown backend 'glide'/);
    const missing = run(['src/cli/main.ts', 'predict', '--weights', 'no/such.safetensors', 'x.jpg']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no\/such\.safetensors/);
    expect(run(['src/cli/main.ts', 'train', '--epochs', 'many']).code).toBe(1);
  });

  it('examples/hello-gpu.ts checks conv2d against the CPU reference', () => {
    const r = run(['examples/hello-gpu.ts']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/adapter: /);
    expect(r.out.match(/ ok$/gm)).toHaveLength(3);
  });
});

describe('package', () => {
  it('VERSION matches package.json', async () => {
    const { VERSION } = await import('../src/version.js');
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
