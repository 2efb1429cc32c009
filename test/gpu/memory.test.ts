/**
 * Process memory over many devices (issue 14 item 7): each createDevice() + destroy() used to
 * keep ~2.3 MB (a dawn.node instance per device, never freed) and each one-call
 * predict(['face.png']) ~2.6 MB. Measured in a process of its own (rss-probe.ts, with glibc's
 * malloc arenas capped so that RSS settles quickly) after warm-up rounds, and held to bounds
 * several times above the noise and several times below the old leak.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('createDevice()+destroy() and one-call predict([file]) do not grow the process', () => {
  const probe = fileURLToPath(new URL('./rss-probe.ts', import.meta.url));
  const face = fileURLToPath(new URL('../data/fixtures/rgb-100x75.png', import.meta.url));
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', probe, face, '60', '16'], {
    encoding: 'utf8',
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
    timeout: 240_000,
  });
  expect(run.status, run.stderr).toBe(0);
  const { deviceMBPerCycle, predictMBPerCall } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
  console.log(
    `RSS growth: ${deviceMBPerCycle!.toFixed(3)} MB per createDevice+destroy, ${predictMBPerCall!.toFixed(3)} MB per predict([file])`,
  );
  expect(deviceMBPerCycle).toBeLessThan(0.5); // was 2.3
  expect(predictMBPerCall).toBeLessThan(1.5); // was 2.6
}, 300_000);
