/**
 * `npm run bench -- [options]`: the same as `fer-gpu bench [options]` (see src/cli/bench.ts),
 * run from the sources, plus `--results <dir>` (saves <dir>/<adapter>[-<suites>]-<date>.json; the default
 * is bench/results unless --out is given). Uses ../shared/data/fer2013-sample.csv for the CSV row when it exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBench } from '../src/cli/bench.js';
import { adapterSlug, SUITES, type BenchReport } from '../src/bench/index.js';

const args = process.argv.slice(2);
// --results <dir>: save the JSON as <dir>/<adapter>-<date>.json (bench/device.sh uses it);
// a run with neither --results nor --out saves into bench/results
const ri = args.indexOf('--results');
const action = ['compare', 'merge'].includes(args[0] ?? '');
const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir =
  ri >= 0 ? args.splice(ri, 2)[1] : !action && !args.includes('--out') && !args.includes('--help') ? path.join(here, 'results') : undefined;
const tmpJson = resultsDir ? path.join(resultsDir, `.partial-${process.pid}.json`) : undefined;
if (tmpJson) args.push('--out', tmpJson);
const sample = path.resolve(here, '../../shared/data/fer2013-sample.csv');
if (!args.includes('--csv') && !action && fs.existsSync(sample)) args.push('--csv', sample);
process.exitCode = await runBench(args);
if (tmpJson && fs.existsSync(tmpJson)) {
  const report = JSON.parse(fs.readFileSync(tmpJson, 'utf8')) as BenchReport;
  // <adapter>[-<suites>]-<date>.json: runs of different suites on one day keep their own files
  const suites = SUITES.every((s) => report.options.suites.includes(s)) ? '' : `-${report.options.suites.join('+')}`;
  const file = path.join(resultsDir!, `${adapterSlug(report.adapter)}${suites}-${report.date.slice(0, 10)}.json`);
  fs.renameSync(tmpJson, file);
  console.log(`results saved as ${file}`);
}
