/**
 * Measures RSS growth per createDevice()+destroy() cycle and per one-call predict([file]) in a
 * process of its own (run by memory.test.ts; also by hand):
 *   MALLOC_ARENA_MAX=2 node --expose-gc --import tsx test/gpu/rss-probe.ts <image> [cycles] [calls]
 * Prints one JSON line: { deviceMBPerCycle, predictMBPerCall }.
 */
import { createDevice, predict } from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('rss-probe: run node with --expose-gc');
const [image, cycles = '60', calls = '10'] = process.argv.slice(2);
if (!image) throw new Error('rss-probe: usage: rss-probe.ts <image> [cycles] [calls]');

async function rssMB(): Promise<number> {
  await new Promise((r) => setTimeout(r, 20)); // let destroy()'s deferred releases run
  gc!();
  gc!();
  return process.memoryUsage().rss / 2 ** 20;
}

/** Average RSS growth per round (MB) over `rounds` rounds of `fn`, after `warmup` rounds. */
async function growthPerRound(fn: () => Promise<unknown>, warmup: number, rounds: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const before = await rssMB();
  for (let i = 0; i < rounds; i++) await fn();
  return ((await rssMB()) - before) / rounds;
}

const deviceMBPerCycle = await growthPerRound(async () => (await createDevice()).destroy(), 30, Number(cycles));
const predictMBPerCall = await growthPerRound(() => predict([image]), 8, Number(calls));
console.log(JSON.stringify({ deviceMBPerCycle, predictMBPerCall }));
