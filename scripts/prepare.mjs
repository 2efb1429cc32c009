/**
 * npm's `prepare` hook in a checkout (`npm install`, `npm ci`): makes WebGPU work here.
 * - A WebGPU adapter (core feature level) is found: prints it and stops (well under a second).
 * - None, as root on Debian/Ubuntu: installs the software driver with
 *   scripts/install-software-gpu.sh (what `npx fer-gpu setup-software-gpu` runs), then checks again.
 * - None, elsewhere: prints the one command that would install it.
 * It never fails the install (exit 0 always). Skipped by `npm pack`/`npm publish`, when npm runs
 * in another folder (fer-gpu installed as a git dependency), and with FER_GPU_SKIP_SETUP=1;
 * FER_GPU_SETUP_DRY_RUN=1 says what it would install without installing it.
 * Plain Node with no build step, since it runs before anything is built.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = 'scripts/install-software-gpu.sh';
const say = (line) => console.log(`fer-gpu setup: ${line}`);

/** The description of the core-feature-level adapter Dawn finds, or null (in a child process: a crash or hang in a driver cannot stop the install). */
function findAdapter() {
  const code = `
    const { create } = require('webgpu');
    create([]).requestAdapter({ featureLevel: 'core' }).then((a) => {
      console.log(JSON.stringify(a ? (a.info.description || a.info.device || 'unnamed adapter') : null));
      process.exit(0);
    }, () => { console.log('null'); process.exit(0); });`;
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  try {
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? 'null');
  } catch {
    return null;
  }
}

/** Why the installer cannot run here, or null when it can: Linux, root, apt-get. */
function cannotInstall() {
  if (process.platform !== 'linux') return `this is ${process.platform}, and the installer is for Debian/Ubuntu`;
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return 'apt-get (Debian/Ubuntu) is not here';
  if (process.getuid?.() !== 0) return 'it needs root';
  return null;
}

function main() {
  if (process.env.FER_GPU_SKIP_SETUP) return;
  if (['pack', 'publish'].includes(process.env.npm_command ?? '')) return;
  if (process.env.INIT_CWD && path.resolve(process.env.INIT_CWD) !== root) return;
  if (!fs.existsSync(path.join(root, 'node_modules', 'webgpu'))) return; // `npm install --omit=...` without it: nothing to check
  const adapter = findAdapter();
  if (adapter) {
    say(`WebGPU adapter: ${adapter}`);
    return;
  }
  const reason = cannotInstall();
  if (reason) {
    say(`no WebGPU adapter found. To install a software driver (Mesa lavapipe), run:  sudo bash ${SCRIPT}`);
    say(`(not run now: ${reason}; with a GPU, install its Vulkan driver instead)`);
    return;
  }
  say(`no WebGPU adapter found: installing a software driver (Mesa lavapipe) with ${SCRIPT}`);
  if (process.env.FER_GPU_SETUP_DRY_RUN) return say('(dry run: not installed)');
  const r = spawnSync('bash', [path.join(root, SCRIPT)], { stdio: 'inherit', timeout: 15 * 60_000 });
  if (r.status !== 0) {
    say(`the installer failed (${r.error?.message ?? `exit ${r.status}`}); run it again with:  sudo bash ${SCRIPT}`);
    return;
  }
  const after = findAdapter();
  say(after ? `WebGPU adapter: ${after}` : 'installed, but still no WebGPU adapter: run `npx tsx src/cli/main.ts info` to see why');
}

try {
  main();
} catch (e) {
  say(`skipped (${e.message})`);
}
