#!/usr/bin/env node
/**
 * The `fer-gpu` command line. Exit codes (src/cli/common.ts): 0 done, 1 bad input or a failed
 * run, 2 bad usage; errors print as one line `fer-gpu: ...`.
 */
import { Command } from 'commander';
import { createDevice, type Backend } from '../gpu/dawn.js';
import { filterDawnWarnings } from '../gpu/native-stderr.js';
import { VERSION } from '../version.js';
import { cliCommand, configureCli, reportError } from './common.js';
import { registerWorkflow } from './workflow.js';
import { registerDetect } from './detect.js';
import { registerCalibrate } from './calibrate.js';
import { runData } from './data.js';
import { runDrift } from './drift.js';
import { runBench } from './bench.js';
import { registerDemo } from './demo.js';
import { registerSetup } from './setup.js';
import { registerExport } from './export.js';

// Keep Dawn's two "maxDynamic...artificially reduced" lines out of the user's terminal.
filterDawnWarnings();

const program = cliCommand('fer-gpu')
  .description('Facial-expression recognition on WebGPU: train, evaluate, calibrate, predict, export to ONNX, check data, benchmark.')
  .version(VERSION);

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
registerCalibrate(program);

/**
 * Commands that parse their own arguments (they are also usable as functions: runData,
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

delegate('data', 'check a FER2013 CSV or image folder: `fer-gpu data check <csv|dir> [--json]`', (argv) => runData(argv));
delegate(
  'bench',
  'benchmark kernels, training, inference and data loading: `fer-gpu bench [--suite …] [--out r.json] [--peers]`, `fer-gpu bench compare a.json b.json`',
  (argv) => runBench(argv),
);
delegate('drift', 'drift report between two datasets; `fer-gpu drift history <file.jsonl>` draws the trend', (argv) => runDrift(argv));

// Commander's errors name the subcommand's help: `fer-gpu: ... (see fer-gpu train --help)`.
for (const cmd of program.commands) configureCli(cmd, undefined, `fer-gpu ${cmd.name()}`);

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e);
  }
}

process.exitCode = await main(process.argv);
