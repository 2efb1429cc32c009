/**
 * `npm run bench -- [options]`: the same as `fer-gpu bench [options]` (see src/cli/bench.ts),
 * run from the sources, plus `--results <dir>` (saves <dir>/<adapter>-<date>.json). Uses ../shared/data/fer2013-sample.csv for the CSV row when it exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBench } from '../src/cli/bench.js';
import { adapterSlug, type BenchReport } from '../src/bench/index.js';

const args = process.argv.slice(2);
// --results <dir>: save the JSON as <dir>/<adapter>-<date>.json (bench/device.sh uses it)
const ri = args.indexOf('--results');
const resultsDir = ri >= 0 ? args.splice(ri, 2)[1] : undefined;
const tmpJson = resultsDir ? path.join(resultsDir, `.partial-${process.pid}.json`) : undefined;
if (tmpJson) args.push('--out', tmpJson);
const sample = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data/fer2013-sample.csv');
if (!args.includes('--csv') && !['compare', 'merge'].includes(args[0] ?? '') && fs.existsSync(sample)) args.push('--csv', sample);
process.exitCode = await runBench(args);
if (tmpJson && fs.existsSync(tmpJson)) {
  const report = JSON.parse(fs.readFileSync(tmpJson, 'utf8')) as BenchReport;
  const file = path.join(resultsDir!, `${adapterSlug(report.adapter)}-${report.date.slice(0, 10)}.json`);
  fs.renameSync(tmpJson, file);
  console.log(`results saved as ${file}`);
}
