#!/usr/bin/env node
/**
 * The `fer-gpu` command line. Exit codes: 0 ok, 1 bad input, 2 runtime failure.
 */
import { Command, CommanderError } from 'commander';
import { createDevice, type Backend } from '../gpu/device.js';
import { VERSION } from '../version.js';
import { InputError } from '../errors.js';
import { registerWorkflow } from './workflow.js';
import { registerDetect } from './detect.js';
import { runDataCheck } from './data.js';
import { runDrift } from './drift.js';
import { runBench } from './bench.js';
import { registerDemo } from './demo.js';
import { registerSetup } from './setup.js';
import { registerExport } from './export.js';


const program = new Command();
program
  .name('fer-gpu')
  .description('Facial-expression recognition on WebGPU: train, evaluate, predict, export to ONNX, check data, benchmark.')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

program
  .command('info')
  .description('print the WebGPU adapter fer-gpu would use')
  .option('--backend <name>', 'force a backend: vulkan, metal, d3d12, opengl, opengles')
  .option('--json', 'print JSON')
  .action(async (opts: { backend?: Backend; json?: boolean }) => {
    const device = await createDevice({ backend: opts.backend });
    try {
      const i = device.info;
      if (opts.json) {
        console.log(JSON.stringify({ version: VERSION, ...i }, null, 2));
      } else {
        console.log(`fer-gpu ${VERSION}`);
        console.log(`adapter:       ${i.description || i.device || '(unnamed)'}`);
        console.log(`vendor:        ${i.vendor || '-'}   architecture: ${i.architecture || '-'}`);
        console.log(`backend:       ${i.backend}   feature level: ${i.featureLevel}`);
        console.log(`features:      ${i.features.join(', ') || '-'}`);
        const l = i.limits;
        console.log(
          `limits:        maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize}, ` +
            `maxComputeInvocationsPerWorkgroup ${l.maxComputeInvocationsPerWorkgroup}, ` +
            `maxComputeWorkgroupStorageSize ${l.maxComputeWorkgroupStorageSize}`,
        );
      }
    } finally {
      device.destroy();
    }
  });

registerWorkflow(program);
registerDemo(program);
registerSetup(program);
registerExport(program);
registerDetect(program);

/**
 * Commands that parse their own arguments (they are also usable as functions: runDataCheck,
 * runDrift, runBench) and return an exit code.
 */
function delegate(name: string, description: string, run: (argv: string[]) => Promise<number>): void {
  program
    .command(name)
    .description(description)
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (_opts, cmd: Command) => {
      process.exitCode = await run(cmd.args);
    });
}

delegate('data', 'check a FER2013 CSV or image folder: `fer-gpu data check <csv|dir> [--json]`', async (argv) => {
  if (argv[0] !== 'check') throw new InputError(`unknown data action '${argv[0] ?? ''}' (expected: fer-gpu data check <csv|dir>)`);
  return runDataCheck(argv.slice(1));
});
delegate(
  'bench',
  'benchmark kernels, training, inference and data loading: `fer-gpu bench [--suite …] [--json out.json] [--peers]`, `fer-gpu bench compare a.json b.json`',
  (argv) => runBench(argv),
);
delegate('drift', 'drift report between two datasets; `fer-gpu drift history <file.jsonl>` draws the trend', (argv) => runDrift(argv));

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    const message = (e as Error).message.replace(/^fer-gpu: /, '');
    console.error(`fer-gpu: ${message}`);
    return e instanceof InputError ? 1 : 2;
  }
}

process.exitCode = await main(process.argv);
