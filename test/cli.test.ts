/** The command line and the hello-gpu example, run as a user would (through tsx). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
function run(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
  });
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

  it('exits 1 on bad input, naming what is wrong, in one line with one prefix', () => {
    const bad = run(['src/cli/main.ts', 'info', '--backend', 'glide']);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe("fer-gpu: unknown backend 'glide'; expected one of vulkan, metal, d3d12, opengl, opengles\n");
    const missing = run(['src/cli/main.ts', 'predict', '--weights', 'no/such.safetensors', 'x.jpg']);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('fer-gpu: --weights no/such.safetensors: no such file\n');
    const epochs = run(['src/cli/main.ts', 'train', '--epochs', 'many']);
    expect(epochs.code).toBe(1);
    expect(epochs.err).toBe("fer-gpu: --epochs must be a positive integer, got 'many'\n");
  });

  it('exits 2 on bad usage, with the command whose --help to read', () => {
    const cases: [string[], string][] = [
      [['train', '--bogus'], "fer-gpu: unknown option '--bogus' (see fer-gpu train --help)\n"],
      [['predict'], "fer-gpu: missing required argument 'inputs' (see fer-gpu predict --help)\n"],
      [['frobnicate'], "fer-gpu: unknown command 'frobnicate' (see fer-gpu --help)\n"],
      [['data'], "fer-gpu: missing required argument 'action' (see fer-gpu data --help)\n"],
      [['data', 'frob'], "fer-gpu: unknown action 'frob' (expected: fer-gpu data check <csv|dir>) (see fer-gpu data --help)\n"],
      [['data', 'check'], "fer-gpu: missing required argument 'path' (see fer-gpu data check --help)\n"],
      [['drift', '--reference', 'a.csv'], "fer-gpu: required option '--current <path>' not specified (see fer-gpu drift --help)\n"],
      [['bench', 'merge', 'a.json'], 'fer-gpu: bench merge needs two or more JSON files (see fer-gpu bench --help)\n'],
    ];
    for (const [args, err] of cases) {
      const r = run(['src/cli/main.ts', ...args]);
      expect([r.code, r.err], args.join(' ')).toEqual([2, err]);
    }
  });

  it('--help works on every command, data included', () => {
    for (const args of [
      ['--help'],
      ['data', '--help'],
      ['data', 'check', '--help'],
      ['drift', '--help'],
      ['bench', '--help'],
      ['predict', '--help'],
      ['help', 'data'],
    ]) {
      const r = run(['src/cli/main.ts', ...args]);
      expect([r.code, r.err], args.join(' ')).toEqual([0, '']);
      expect(r.out).toMatch(/^Usage: fer-gpu/);
    }
    expect(run(['src/cli/main.ts', 'data', '--help']).out).toMatch(/check <csv\|dir>/);
  });

  it("keeps Dawn's 'artificially reduced' lines out of stderr on a pipe (as on a terminal), other native output kept", () => {
    // stderr through a shell pipe (spawnSync's own pipes are sockets, which cannot be reopened)
    const viaPipe = (script: string) =>
      spawnSync('bash', ['-c', `node --import tsx ${script} 2>&1 >/dev/null | cat`], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' },
      });
    const info = viaPipe('src/cli/main.ts info');
    expect(info.status).toBe(0);
    expect(info.stdout).toBe('');
    // the filter itself: native-level writes to fd 2 during the call come back, less Dawn's two lines
    const probe = path.join(os.tmpdir(), `fer-stderr-probe-${process.pid}.mts`);
    fs.writeFileSync(
      probe,
      `import fs from 'node:fs';
import { filterDawnWarnings, withFilteredStderr } from '${path.join(root, 'src/gpu/native-stderr.ts')}';
filterDawnWarnings();
process.stderr.write('before\\n');
await withFilteredStderr(async () => {
  fs.writeSync(2, 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\\nkept line\\n');
});
process.stderr.write('after\\n');
`,
    );
    try {
      const r = viaPipe(probe);
      expect(r.stdout).toBe('before\nkept line\nafter\n');
    } finally {
      fs.rmSync(probe);
    }
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
