/**
 * A software WebGPU driver for machines without a GPU (Mesa's lavapipe Vulkan driver, and
 * EGL/OpenGL for the compatibility fallback): the installer script that ships in the package
 * (`scripts/install-software-gpu.sh`, Debian/Ubuntu), the command that runs it
 * (`fer-gpu setup-software-gpu`) and the help printed when no adapter is found.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isCheckout, packageRoot } from '../package-root.js';

/** The installer, relative to the package root (it is in the package's `files`). */
export const INSTALL_SCRIPT = 'scripts/install-software-gpu.sh';

/** The command a user runs to install the software driver, where fer-gpu is installed. */
export const SETUP_COMMAND = 'npx fer-gpu setup-software-gpu';

/** The installer's path in this installation, or null when the package folder cannot be found. */
export function installScriptPath(): string | null {
  const root = packageRoot();
  return root ? path.join(root, INSTALL_SCRIPT) : null;
}

/** The commands that install the software driver here: in a checkout, the script; in an installed package, `npx fer-gpu setup-software-gpu`. */
export function installCommands(): string[] {
  const script = installScriptPath();
  if (isCheckout() && script) {
    const rel = path.relative(process.cwd(), script);
    return [`sudo bash ${rel.startsWith('..') || path.isAbsolute(rel) ? script : rel}`];
  }
  return [SETUP_COMMAND, ...(script ? [`sudo bash ${script}`] : [])];
}

/** The help printed when no WebGPU adapter is found. */
export function softwareDriverHelp(): string {
  const lines = ['fer-gpu: no WebGPU adapter found.'];
  if (process.platform === 'linux') {
    const [first, ...others] = installCommands();
    lines.push(
      'On a machine without a GPU, install a software driver (Debian/Ubuntu; Mesa lavapipe, and EGL/OpenGL for the fallback):',
      `  ${first}`,
      ...others.map((c) => `  (or: ${c})`),
      'With an NVIDIA/AMD/Intel GPU, install its Vulkan driver and loader (libvulkan1).',
    );
  } else {
    lines.push(
      process.platform === 'darwin'
        ? 'On macOS, WebGPU runs on Metal: check that this Mac supports Metal.'
        : 'On Windows, WebGPU runs on D3D12: update the GPU driver.',
    );
  }
  return lines.join('\n');
}

/** Why the installer cannot run here, or null when it can (Linux with bash and apt-get). */
export function cannotInstallReason(): string | null {
  if (process.platform !== 'linux') return `the installer is for Debian/Ubuntu Linux; this is ${process.platform}`;
  const found = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  if (!found('apt-get')) {
    return 'the installer needs apt-get (Debian/Ubuntu); elsewhere install Mesa >= 24 with its Vulkan software driver (lavapipe) from your package manager';
  }
  if (!found('bash')) return 'the installer needs bash';
  return null;
}

/**
 * Runs the installer (it uses sudo when not root) with its output on this process's terminal.
 * @returns its exit code.
 */
export function runInstaller(): number {
  const script = installScriptPath();
  if (!script || !existsSync(script)) throw new Error(`the installer ${script ?? INSTALL_SCRIPT} is missing from this installation`);
  const r = spawnSync('bash', [script], { stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 1;
}
