/**
 * `fer-gpu drift` and `fer-gpu drift history`: drift reports between two FER datasets, and the trend
 * over past reports. Exit codes: 0 done (drift or not), 3 drift found with --fail-on-drift,
 * 1 bad input (unreadable data, bad values) or a failed run, 2 bad usage (see ./common.ts).
 */
import { createDevice } from '../gpu/dawn.js';
import type { Device } from '../gpu/device.js';
import { loadFer2013 } from '../data/auto.js';
import type { FerDataset } from '../data/dataset.js';
import { InputError } from '../errors.js';
import { loadModel } from '../train/checkpoint.js';
import { DEFAULT_WEIGHTS_FILE, WEIGHTS_ENV } from '../train/pretrained.js';
import { driftReport, type DriftReport } from '../drift/report.js';
import { appendHistory, renderDriftHtml, renderTrendHtml } from '../drift/html.js';
import type { EmbeddingDriftMethod } from '../drift/embedding-drift.js';
import {
  checkOutputFile,
  cliCommand,
  collect,
  processIO,
  readInputText,
  runCli,
  weightsFile,
  writeOutputFile,
  type CliIO,
} from './common.js';

/** Where the drift commands write; defaults to the process streams. */
export type DriftCliIO = CliIO;

/** Exit code of a run that found drift with --fail-on-drift. */
export const EXIT_DRIFT = 3;

function summaryText(r: DriftReport): string {
  const s = r.summary;
  const v = (f: boolean | null) => (f === null ? 'not computed' : f ? 'DRIFT' : 'ok');
  const lines = [
    `reference: ${r.reference.name} (${r.reference.rows} images)`,
    `current:   ${r.current.name} (${r.current.rows} images)`,
    `image features: ${v(s.featureDrift)} (${s.numberOfDriftedFeatures}/${s.numberOfFeatures} drifted)`,
    ...r.features.map(
      (f) => `  ${f.name.padEnd(11)} ${f.method.padEnd(14)} score ${f.score.toPrecision(4).padStart(10)}  ${f.drifted ? 'DRIFT' : 'ok'}`,
    ),
    `embeddings:     ${v(s.embeddingDrift)}${r.embeddings ? ` (${r.embeddings.method} ${r.embeddings.driftScore.toPrecision(4)} vs ${r.embeddings.threshold.toPrecision(4)})` : ''}`,
    `predictions:    ${v(s.predictionDrift)}`,
    `labels:         ${v(s.labelDrift)}`,
    ...(s.accuracyDelta === null ? [] : [`accuracy change: ${s.accuracyDelta >= 0 ? '+' : ''}${s.accuracyDelta.toFixed(4)}`]),
    `verdict: ${s.drift ? 'DRIFT DETECTED' : 'no drift'}`,
  ];
  return lines.join('\n') + '\n';
}

/**
 * `fer-gpu drift --reference <csv|dir> --current <csv|dir> [--weights w.safetensors | --no-model]
 * [--out report.html] [--out report.json] [--json] [--history h.jsonl] [--fail-on-drift]
 * [--embedding-method m] [--cpu]`, or `fer-gpu drift history <file.jsonl> --out trend.html`.
 * `argv` holds the arguments after `drift`. Without --weights the model shipped in the package
 * ($FER_GPU_WEIGHTS) adds the embedding, prediction and performance sections, as in predict and
 * eval. Prints a summary (the JSON report with --json) to stdout and returns the exit code.
 */
export async function runDrift(argv: readonly string[], io: DriftCliIO = processIO): Promise<number> {
  if (argv[0] === 'history') return runDriftHistory(argv.slice(1), io);
  const cmd = cliCommand('fer-gpu drift', io)
    .description('Drift report of a current FER dataset against a reference one (image features, embeddings, predictions, labels).')
    .requiredOption('--reference <path>', 'reference data: fer2013.csv-style file or image folder')
    .requiredOption('--current <path>', 'current data: fer2013.csv-style file or image folder (class folders, or unlabelled images)')
    .option(
      '--weights <file>',
      `fer-resnet18 checkpoint for the embedding, prediction and performance sections (default: the package's ${DEFAULT_WEIGHTS_FILE}, or $${WEIGHTS_ENV})`,
    )
    .option('--no-model', 'no model: image features and labels only')
    .option('--out <file>', 'write the report: .html (self-contained page) or .json (repeatable)', collect)
    .option('--json', 'print the JSON report to stdout instead of the summary')
    .option('--history <file>', 'append the summary to this JSONL history')
    .option('--embedding-method <method>', 'model, mmd, ratio or distance (default: model)')
    .option('--fail-on-drift', `exit with ${EXIT_DRIFT} when drift is detected`)
    .option('--cpu', 'do not use the GPU (image features on the CPU; no model)');
  return runCli(cmd, argv, io, async () => {
    const o = cmd.opts<{
      reference: string;
      current: string;
      weights?: string;
      model: boolean;
      out?: string[];
      json?: boolean;
      history?: string;
      embeddingMethod?: string;
      failOnDrift?: boolean;
      cpu?: boolean;
    }>();
    const methods: EmbeddingDriftMethod[] = ['model', 'mmd', 'ratio', 'distance'];
    if (o.embeddingMethod && !methods.includes(o.embeddingMethod as EmbeddingDriftMethod)) {
      throw new InputError(`--embedding-method must be one of ${methods.join(', ')}, got '${o.embeddingMethod}'`);
    }
    if (o.weights && !o.model) throw new InputError('--weights and --no-model contradict each other: pass one of them');
    if (o.weights && o.cpu) throw new InputError('--weights needs the GPU; drop --cpu');
    const inputs = [o.reference, o.current];
    const outputs = (o.out ?? []).map((file) => ({ file, ext: checkOutputFile(file, '--out', ['.html', '.json'], inputs) }));
    if (o.history) checkOutputFile(o.history, '--history', ['.jsonl'], inputs);
    const weights = o.model && !o.cpu ? weightsFile(o.weights) : undefined;

    const [reference, current] = [await loadData(o.reference), await loadData(o.current)];
    let device: Device | undefined;
    try {
      if (!o.cpu) device = await createDevice();
      const loaded = weights ? loadModel(device!, weights) : undefined;
      let report: DriftReport;
      try {
        report = await driftReport({
          reference,
          current,
          model: loaded?.model,
          device,
          options: {
            classNames: loaded?.info.classes,
            normalize: loaded && { mean: loaded.info.mean, std: loaded.info.std },
            referenceName: o.reference,
            currentName: o.current,
            embedding: o.embeddingMethod ? { method: o.embeddingMethod as EmbeddingDriftMethod } : undefined,
          },
        });
      } finally {
        loaded?.model.dispose();
      }
      for (const { file, ext } of outputs)
        writeOutputFile(file, ext === '.json' ? JSON.stringify(report, null, 2) + '\n' : renderDriftHtml(report));
      if (o.history) appendHistory(o.history, report);
      io.stdout(o.json ? JSON.stringify(report, null, 2) + '\n' : summaryText(report));
      return o.failOnDrift && report.summary.drift ? EXIT_DRIFT : 0;
    } finally {
      device?.destroy();
    }
  });
}

/** `fer-gpu drift history <file.jsonl> --out trend.html`: one chart per metric over the runs. */
async function runDriftHistory(argv: readonly string[], io: DriftCliIO): Promise<number> {
  const cmd = cliCommand('fer-gpu drift history', io)
    .description('Trend charts of the drift history written by `fer-gpu drift --history`.')
    .argument('<file>', 'JSONL history file')
    .requiredOption('--out <file>', 'write the HTML trend here');
  return runCli(cmd, argv, io, async () => {
    const file = cmd.args[0]!;
    const out = cmd.opts<{ out: string }>().out;
    checkOutputFile(out, '--out', ['.html'], [file]);
    const lines = readInputText(file).split('\n');
    let html: string;
    try {
      html = renderTrendHtml(lines, file);
    } catch (e) {
      const message = (e as Error).message;
      throw new InputError(message.startsWith(file) ? message : `${file}: ${message}`);
    }
    writeOutputFile(out, html);
    io.stdout(`${lines.filter((l) => l.trim()).length} reports → ${out}\n`);
  });
}

async function loadData(p: string): Promise<FerDataset> {
  return loadFer2013(p);
}
