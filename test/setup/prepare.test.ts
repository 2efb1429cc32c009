/**
 * `npm install`'s prepare hook (scripts/prepare.mjs) and the "no adapter" help of a checkout:
 * quick with an adapter, silent where it must not act, never failing the install.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { softwareDriverHelp } from '../../src/gpu/software-driver.js';

const root = path.resolve(__dirname, '../..');

function prepare(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['scripts/prepare.mjs'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', INIT_CWD: root, npm_command: 'install', FER_GPU_SKIP_SETUP: '', ...env },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('scripts/prepare.mjs (npm install in a checkout)', () => {
  it("is the package's prepare script, and `npm start` runs the CLI's demo", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      files: string[];
    };
    expect(pkg.scripts.prepare).toBe('node scripts/prepare.mjs');
    expect(pkg.scripts.start).toBe('tsx src/cli/main.ts demo');
    expect(pkg.files).toContain('scripts/install-software-gpu.sh');
  });

  it('names the adapter when there is one', () => {
    const r = prepare({});
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^fer-gpu setup: WebGPU adapter: .+$/m);
  });

  it('does nothing for npm pack, for installs from another folder, or when asked not to', () => {
    const cases: Record<string, string>[] = [
      { npm_command: 'pack' },
      { npm_command: 'publish' },
      { INIT_CWD: path.dirname(root) },
      { FER_GPU_SKIP_SETUP: '1' },
    ];
    for (const env of cases) {
      const r = prepare(env);
      expect(r.code).toBe(0);
      expect(r.out).toBe('');
    }
  });

  it('without an adapter, installs the driver as root on Debian/Ubuntu, else prints the command; exit 0 either way', () => {
    // No Vulkan driver manifest: Dawn finds no core adapter. Dry run: say, do not install.
    const r = prepare({ VK_ICD_FILENAMES: '/nonexistent/icd.json', FER_GPU_SETUP_DRY_RUN: '1' });
    expect(r.code).toBe(0);
    const isRoot = process.getuid?.() === 0;
    const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
    if (process.platform === 'linux' && isRoot && apt) {
      expect(r.out).toContain('no WebGPU adapter found: installing a software driver (Mesa lavapipe) with scripts/install-software-gpu.sh');
      expect(r.out).toContain('(dry run: not installed)');
    } else {
      expect(r.out).toContain('run:  sudo bash scripts/install-software-gpu.sh');
    }
  });
});

describe('the "no adapter" help in a checkout', () => {
  it('names the installer script of the checkout', () => {
    const help = softwareDriverHelp();
    expect(help.split('\n')[0]).toBe('fer-gpu: no WebGPU adapter found.');
    if (process.platform === 'linux') {
      expect(process.cwd()).toBe(root);
      expect(help).toContain('\n  sudo bash scripts/install-software-gpu.sh\n');
      expect(fs.existsSync(path.join(root, 'scripts/install-software-gpu.sh'))).toBe(true);
    }
  });
});
