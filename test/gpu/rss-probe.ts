/**
 * Measures RSS growth per createDevice()+destroy() cycle and per one-call predict([file]) in a
 * process of its own (run by memory.test.ts; also by hand):
 *   MALLOC_ARENA_MAX=2 node --expose-gc --import tsx test/gpu/rss-probe.ts <image> [cycles] [calls]
 * (RSS_SAMPLES=1 prints the RSS after every round to stderr).
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

/**
 * RSS growth per round (MB) over `rounds` rounds of `fn`, after `warmup` rounds: the Theil–Sen
 * slope of RSS against the round (the median of the slopes between every two samples), so a leak
 * shows as it is, every round or every few, while one late jump (a malloc arena or a driver pool
 * growing once, more likely on a loaded machine) does not pass for one.
 */
async function growthPerRound(fn: () => Promise<unknown>, warmup: number, rounds: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [await rssMB()];
  for (let i = 0; i < rounds; i++) {
    await fn();
    samples.push(await rssMB());
  }
  const slopes: number[] = [];
  for (let i = 0; i < samples.length; i++) for (let j = i + 1; j < samples.length; j++) slopes.push((samples[j]! - samples[i]!) / (j - i));
  if (process.env.RSS_SAMPLES) console.error(samples.map((s) => s.toFixed(1)).join(' '));
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

const deviceMBPerCycle = await growthPerRound(async () => (await createDevice()).destroy(), 30, Number(cycles));
const predictMBPerCall = await growthPerRound(() => predict([image]), 8, Number(calls));
console.log(JSON.stringify({ deviceMBPerCycle, predictMBPerCall }));
