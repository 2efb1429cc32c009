/**
 * `npm run bench -- [options]`: the same as `fer-gpu bench [options]` (see src/cli/bench.ts),
 * run from the sources. Uses ../shared/data/fer2013-sample.csv for the CSV row when it exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBench } from '../src/cli/bench.js';

const args = process.argv.slice(2);
const sample = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data/fer2013-sample.csv');
if (!args.includes('--csv') && !['compare', 'merge'].includes(args[0] ?? '') && fs.existsSync(sample)) args.push('--csv', sample);
process.exitCode = await runBench(args);
