/**
 * `fer-gpu setup-software-gpu`: installs a software WebGPU driver where no adapter is found
 * (the package's scripts/install-software-gpu.sh, Debian/Ubuntu).
 */
import type { Command } from 'commander';
import { createDevice } from '../gpu/dawn.js';
import type { Device } from '../gpu/device.js';
import { cannotInstallReason, runInstaller } from '../gpu/software-driver.js';

/** The adapter fer-gpu would use, or null when there is none. */
async function tryDevice(): Promise<Device | null> {
  try {
    return await createDevice();
  } catch {
    return null;
  }
}

function describe(device: Device): string {
  const i = device.info;
  return `${i.description || i.device || '(unnamed adapter)'} (${i.backend}, ${i.featureLevel} feature level)`;
}

/** Checks for an adapter, installs the driver when there is none (or only a compatibility one), checks again; returns the exit code. */
export async function setupSoftwareGpu(options: { force?: boolean } = {}): Promise<number> {
  const before = await tryDevice();
  if (before) {
    const line = describe(before);
    const core = before.info.featureLevel === 'core';
    before.destroy();
    if (core && !options.force) {
      console.log(`WebGPU adapter found: ${line}. No software driver needed (--force installs it anyway).`);
      return 0;
    }
    console.log(`WebGPU adapter found: ${line}.${core ? '' : ' Installing the Vulkan software driver for the core feature level.'}`);
  }
  const reason = cannotInstallReason();
  if (reason) {
    console.error(`fer-gpu: cannot install the software driver: ${reason}`);
    return 2;
  }
  const code = runInstaller();
  if (code !== 0) {
    console.error(`fer-gpu: the installer exited with ${code}`);
    return 2;
  }
  const after = await tryDevice();
  if (!after) {
    console.error('fer-gpu: the driver is installed but no adapter is found yet; run `npx fer-gpu info` in a new shell to check.');
    return 2;
  }
  console.log(`WebGPU adapter: ${describe(after)}`);
  after.destroy();
  return 0;
}

export function registerSetup(program: Command): void {
  program
    .command('setup-software-gpu')
    .description('install a software WebGPU driver (Mesa lavapipe) on a Debian/Ubuntu machine without a GPU; uses sudo when not root')
    .option('--force', 'install even when a WebGPU adapter is found')
    .action(async (o: { force?: boolean }) => {
      process.exitCode = await setupSoftwareGpu(o);
    });
}
