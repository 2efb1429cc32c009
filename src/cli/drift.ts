/**
 * `fer-gpu drift` and `fer-gpu drift history`: drift reports between two FER datasets, and the trend
 * over past reports. Exit codes: 0 done (drift or not), 3 drift found with --fail-on-drift,
 * 1 bad input (unreadable data, bad arguments), 2 runtime failure.
 */
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { createDevice, type Device } from '../gpu/device.js';
import { loadFer2013Csv } from '../data/csv.js';
import { loadImageFolder } from '../data/folder.js';
import { FerDataError, type FerDataset } from '../data/dataset.js';
import { InputError } from '../errors.js';
import { loadModel } from '../train/checkpoint.js';
import { driftReport, type DriftReport } from '../drift/report.js';
import { appendHistory, renderDriftHtml, renderTrendHtml } from '../drift/html.js';
import type { EmbeddingDriftMethod } from '../drift/embeddings.js';

/** Where the drift commands write; defaults to the process streams. */
export interface DriftCliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIO: DriftCliIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Exit code of a run that found drift with --fail-on-drift. */
export const EXIT_DRIFT = 3;

async function loadData(p: string): Promise<FerDataset> {
  if (!fs.existsSync(p)) throw new InputError(`${p}: no such file or folder`);
  return fs.statSync(p).isDirectory() ? loadImageFolder(p) : loadFer2013Csv(p);
}

function summaryText(r: DriftReport): string {
  const s = r.summary;
  const v = (f: boolean | null) => (f === null ? 'not computed' : f ? 'DRIFT' : 'ok');
  const lines = [
    `reference: ${r.reference.name} (${r.reference.rows} images)`,
    `current:   ${r.current.name} (${r.current.rows} images)`,
    `image features: ${v(s.featureDrift)} (${s.numberOfDriftedFeatures}/${s.numberOfFeatures} drifted)`,
    ...r.features.map((f) => `  ${f.name.padEnd(11)} ${f.method.padEnd(14)} score ${f.score.toPrecision(4).padStart(10)}  ${f.drifted ? 'DRIFT' : 'ok'}`),
    `embeddings:     ${v(s.embeddingDrift)}${r.embeddings ? ` (${r.embeddings.method} ${r.embeddings.driftScore.toPrecision(4)} vs ${r.embeddings.threshold.toPrecision(4)})` : ''}`,
    `predictions:    ${v(s.predictionDrift)}`,
    `labels:         ${v(s.labelDrift)}`,
    ...(s.accuracyDelta === null ? [] : [`accuracy change: ${s.accuracyDelta >= 0 ? '+' : ''}${s.accuracyDelta.toFixed(4)}`]),
    `verdict: ${s.drift ? 'DRIFT DETECTED' : 'no drift'}`,
  ];
  return lines.join('\n') + '\n';
}

/**
 * `fer-gpu drift --reference <csv|dir> --current <csv|dir> [--weights w.safetensors] [--out report.html]
 * [--json report.json] [--history h.jsonl] [--fail-on-drift] [--embedding-method m] [--cpu]`, or
 * `fer-gpu drift history <file.jsonl> --out trend.html`. `argv` holds the arguments after `drift`.
 * Prints a summary to stdout and returns the exit code.
 */
export async function runDrift(argv: readonly string[], io: DriftCliIO = processIO): Promise<number> {
  if (argv[0] === 'history') return runDriftHistory(argv.slice(1), io);
  const cmd = new Command('fer-gpu drift')
    .description('Drift report of a current FER dataset against a reference one (image features, embeddings, predictions, labels).')
    .requiredOption('--reference <path>', 'reference data: fer2013.csv-style file or image folder')
    .requiredOption('--current <path>', 'current data: fer2013.csv-style file or image folder')
    .option('--weights <file>', 'fer-resnet18 safetensors checkpoint: adds embedding, prediction and performance drift')
    .option('--out <file>', 'write the HTML report here')
    .option('--json <file>', 'write the JSON report here')
    .option('--history <file>', 'append the summary to this JSONL history')
    .option('--embedding-method <method>', 'model, mmd, ratio or distance (default: model)')
    .option('--fail-on-drift', `exit with ${EXIT_DRIFT} when drift is detected`)
    .option('--cpu', 'do not use the GPU (image features on the CPU; no --weights)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  const o = cmd.opts<{
    reference: string;
    current: string;
    weights?: string;
    out?: string;
    json?: string;
    history?: string;
    embeddingMethod?: string;
    failOnDrift?: boolean;
    cpu?: boolean;
  }>();
  const methods: EmbeddingDriftMethod[] = ['model', 'mmd', 'ratio', 'distance'];
  if (o.embeddingMethod && !methods.includes(o.embeddingMethod as EmbeddingDriftMethod)) {
    io.stderr(`fer-gpu drift: --embedding-method must be one of ${methods.join(', ')}, got '${o.embeddingMethod}'\n`);
    return 1;
  }
  if (o.cpu && o.weights) {
    io.stderr('fer-gpu drift: --weights needs the GPU; drop --cpu\n');
    return 1;
  }
  let device: Device | undefined;
  try {
    const [reference, current] = [await loadData(o.reference), await loadData(o.current)];
    if (!o.cpu) device = await createDevice();
    let model;
    let classNames: string[] | undefined;
    let normalize: { mean: number; std: number } | undefined;
    if (o.weights) {
      const loaded = loadModel(device!, o.weights);
      model = loaded.model.eval();
      classNames = loaded.info.classes;
      normalize = { mean: loaded.info.mean, std: loaded.info.std };
    }
    const report = await driftReport({
      reference,
      current,
      model,
      device,
      options: {
        classNames,
        normalize,
        referenceName: o.reference,
        currentName: o.current,
        embedding: o.embeddingMethod ? { method: o.embeddingMethod as EmbeddingDriftMethod } : undefined,
      },
    });
    model?.dispose();
    if (o.json) fs.writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
    if (o.out) fs.writeFileSync(o.out, renderDriftHtml(report));
    if (o.history) appendHistory(o.history, report);
    io.stdout(summaryText(report));
    return o.failOnDrift && report.summary.drift ? EXIT_DRIFT : 0;
  } catch (e) {
    io.stderr(`fer-gpu drift: ${(e as Error).message}\n`);
    return e instanceof InputError || e instanceof FerDataError ? 1 : 2;
  } finally {
    device?.destroy();
  }
}

/** `fer-gpu drift history <file.jsonl> --out trend.html`: one chart per metric over the runs. */
async function runDriftHistory(argv: readonly string[], io: DriftCliIO): Promise<number> {
  const cmd = new Command('fer-gpu drift history')
    .description('Trend charts of the drift history written by `fer-gpu drift --history`.')
    .argument('<file>', 'JSONL history file')
    .requiredOption('--out <file>', 'write the HTML trend here')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    throw e;
  }
  const file = cmd.args[0]!;
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(cmd.opts<{ out: string }>().out, renderTrendHtml(lines, file));
    io.stdout(`${lines.filter((l) => l.trim()).length} reports → ${cmd.opts<{ out: string }>().out}\n`);
    return 0;
  } catch (e) {
    const message = (e as Error).message;
    io.stderr(`fer-gpu drift history: ${message.startsWith(file) ? message : `${file}: ${message}`}\n`);
    return 1;
  }
}
