/**
 * `fer-gpu predict` and `eval` with the default weights ($FER_GPU_WEIGHTS pointing to a tiny
 * checkpoint made here, so the shipped model is not needed), and `eval --exclude-train-duplicates`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { saveModel } from '../../src/train/checkpoint.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { FER_CLASSES } from '../../src/classes.js';
import { WEIGHTS_ENV } from '../../src/train/pretrained.js';
import { useDevice } from '../helpers.js';
import { runCli } from '../run-cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-cli-workflow-'));
const weights = path.join(dir, 'tiny.safetensors');
const csv = path.join(dir, 'leaky.csv');
const face = path.join(dir, 'face.png');

const run = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, { [WEIGHTS_ENV]: weights, ...env });

describe('fer-gpu predict / eval with the default weights', () => {
  const device = useDevice();
  beforeAll(async () => {
    const m = ferResNet18(device(), { width: 4, seed: 5 });
    await saveModel(weights, m);
    m.dispose();
    // 14 Training images; 10 PrivateTest images of which 3 are pixel copies of Training images
    // (one of them labelled differently), and 4 PublicTest images of which 1 is a copy.
    const faces = syntheticFaces({ perClass: 4, seed: 21, split: 'Training' });
    const px = (i: number) => Array.from(faces.pixels.subarray(i * FER_PIXELS, (i + 1) * FER_PIXELS)).join(' ');
    const rows = ['emotion,pixels,Usage'];
    for (let i = 0; i < 14; i++) rows.push(`${faces.labels[i]},${px(i)},Training`);
    for (const i of [0, 1]) rows.push(`${faces.labels[i]},${px(i)},PrivateTest`);
    rows.push(`${(faces.labels[2]! + 1) % 7},${px(2)},PrivateTest`);
    for (let i = 14; i < 21; i++) rows.push(`${faces.labels[i]},${px(i)},PrivateTest`);
    rows.push(`${faces.labels[3]},${px(3)},PublicTest`);
    for (let i = 21; i < 24; i++) rows.push(`${faces.labels[i]},${px(i)},PublicTest`);
    fs.writeFileSync(csv, rows.join('\n') + '\n');
    const png = new PNG({ width: 48, height: 48 });
    for (let i = 0; i < FER_PIXELS; i++) png.data.set([faces.pixels[i]!, faces.pixels[i]!, faces.pixels[i]!, 255], i * 4);
    fs.writeFileSync(face, PNG.sync.write(png));
  });

  it('predict needs no --weights', () => {
    const r = run(['predict', face, '--json']);
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out.trim()) as { file: string; label: string; probabilities: Record<string, number> };
    expect(p.file).toBe(face);
    expect(FER_CLASSES).toContain(p.label);
    const explicit = run(['predict', '--weights', weights, face, '--json'], { [WEIGHTS_ENV]: undefined });
    expect(explicit.code, explicit.err).toBe(0);
    expect(explicit.out).toBe(r.out);
  });

  it('predict: a table, or JSON lines with --json; folders; with --on-error skip a bad file is reported and skipped, the others predicted', () => {
    const folder = path.join(dir, 'photos');
    fs.mkdirSync(folder, { recursive: true });
    fs.copyFileSync(face, path.join(folder, 'a.png'));
    fs.copyFileSync(face, path.join(folder, 'b.png'));
    fs.writeFileSync(path.join(folder, 'broken.png'), 'not a png');
    const table = run(['predict', face, folder, '--on-error', 'skip']);
    expect(table.code, table.err).toBe(0);
    const lines = table.out.trim().split('\n');
    expect(lines[0]).toMatch(/^file +label +p +angry +disgust +fear +happy +sad +surprise +neutral$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[0])).toEqual([face, path.join(folder, 'a.png'), path.join(folder, 'b.png')]);
    expect(lines[1]!.split(/ +/)[1]).toBe(lines[2]!.split(/ +/)[1]); // the same picture
    expect(table.err).toMatch(/^fer-gpu: .*broken\.png: .* \(skipped\)$/m);
    expect(table.err).toMatch(/^fer-gpu: skipped 1 of 4 images \(listed above\); the others were predicted$/m);
    const json = run(['predict', face, folder, '--json', '--on-error', 'skip']);
    expect(json.code, json.err).toBe(0);
    const preds = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; label: string; probabilities: Record<string, number> });
    expect(preds.map((p) => p.file)).toEqual([face, path.join(folder, 'a.png'), path.join(folder, 'b.png')]);
    expect(Object.keys(preds[0]!.probabilities)).toEqual([...FER_CLASSES]);
    const strict = run(['predict', face, folder]); // --on-error throw, as train, eval and detect
    expect([strict.code, strict.out]).toEqual([1, '']);
    expect(strict.err).toMatch(/^fer-gpu: .*broken\.png: [^\n]*\n$/);
    const good = run(['predict', face]);
    expect(good.code, good.err).toBe(0);
    expect(good.out.trim().split('\n')).toHaveLength(2);
  });

  it('eval --out writes the report (.json) and the confusion matrix (.png/.svg); outputs are checked before any work', () => {
    const json = path.join(dir, 'out', 'report.json');
    const png = path.join(dir, 'cm.png');
    const svg = path.join(dir, 'cm.svg');
    const r = run(['eval', '--data', csv, '--out', json, '--out', png, '--plot', svg, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(fs.readFileSync(json, 'utf8'))).toEqual(JSON.parse(r.out));
    expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(fs.readFileSync(svg, 'utf8')).toMatch(/^<svg/);
    // a bad output is found before the (missing) data is even looked at
    const bad = run(['eval', '--data', path.join(dir, 'none.csv'), '--plot', path.join(dir, 'cm.jpg')]);
    expect([bad.code, bad.err]).toEqual([
      1,
      `fer-gpu: --plot ${path.join(dir, 'cm.jpg')}: unsupported file type '.jpg' (expected .png, .svg)\n`,
    ]);
    // an ImageFolder (<dir>/<class>/*) is evaluated whole, as the split asked for; no output may land inside it
    const imageFolder = path.join(dir, 'imagefolder');
    fs.mkdirSync(path.join(imageFolder, 'happy'), { recursive: true });
    fs.copyFileSync(face, path.join(imageFolder, 'happy', 'face.png'));
    const inside = run(['eval', '--data', imageFolder, '--out', path.join(imageFolder, 'cm.png')]);
    expect(inside.code).toBe(1);
    expect(inside.err).toMatch(/cm\.png: is inside the input folder .*imagefolder; write the output elsewhere/);
    expect(fs.readdirSync(imageFolder)).toEqual(['happy']);
    const folderEval = run(['eval', '--data', imageFolder, '--json']);
    expect(folderEval.code, folderEval.err).toBe(0);
    expect((JSON.parse(folderEval.out) as { 'macro avg': { support: number } })['macro avg'].support).toBe(1);
  });

  it('a missing default is exit 1 with a message that says what to do', () => {
    const r = run(['predict', face], { [WEIGHTS_ENV]: path.join(dir, 'gone.safetensors') });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FER_GPU_WEIGHTS=.*gone\.safetensors: no such file/);
  });

  it('eval --exclude-train-duplicates leaves out the test images also in Training', () => {
    const all = run(['eval', '--data', csv, '--json']);
    expect(all.code, all.err).toBe(0);
    expect((JSON.parse(all.out) as { 'macro avg': { support: number } })['macro avg'].support).toBe(10);
    const dedup = run(['eval', '--data', csv, '--exclude-train-duplicates', '--json']);
    expect(dedup.code, dedup.err).toBe(0);
    expect(dedup.err).toMatch(
      /excluded 3 of 10 PrivateTest images whose pixels also occur in Training \(1 of them labelled differently there\); evaluating on 7/,
    );
    const report = JSON.parse(dedup.out) as { 'macro avg': { support: number }; 'excluded train duplicates': unknown };
    expect(report['macro avg'].support).toBe(7);
    expect(report['excluded train duplicates']).toEqual({ count: 3, of: 10, otherClass: 1 });
    const pub = run(['eval', '--data', csv, '--split', 'PublicTest', '--exclude-train-duplicates']);
    expect(pub.code, pub.err).toBe(0);
    expect(pub.err).toMatch(/excluded 1 of 4 PublicTest images/);
    expect(pub.out).toMatch(/(accuracy|micro avg) .* 3(\.0)?\n/); // "3.0": sklearn when nothing is right
  });

  it('eval --exclude-train-duplicates refuses the Training split and unknown splits', () => {
    const r = run(['eval', '--data', csv, '--split', 'Training', '--exclude-train-duplicates']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/needs a split other than Training/);
    expect(run(['eval', '--data', csv, '--split', 'Private']).err).toMatch(/--split must be one of/);
  });

  it('train --init starts from the given weights (width from the file) and checks its flags', async () => {
    const out = path.join(dir, 'ft');
    // lr 0 and no weight decay: one step leaves the convolution weights exactly as loaded.
    const r = run([
      'train',
      '--data',
      csv,
      '--init',
      weights,
      '--epochs',
      '1',
      '--batch-size',
      '4',
      '--lr',
      '0',
      '--weight-decay',
      '0',
      '--max-steps',
      '1',
      '--out',
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    const { readSafetensors } = await import('../../src/io/safetensors.js');
    const conv1 = (f: string) => readSafetensors(f).tensors['conv1.weight'] as { shape: readonly number[]; data: Float32Array };
    const tuned = conv1(path.join(out, 'last.safetensors'));
    expect(tuned.shape).toEqual([4, 1, 3, 3]);
    expect(Array.from(tuned.data)).toEqual(Array.from(conv1(weights).data));
    // --resume takes the width from the run's own checkpoint too (the default --width is 16).
    const resumed = run([
      'train',
      '--data',
      csv,
      '--epochs',
      '1',
      '--batch-size',
      '4',
      '--lr',
      '0',
      '--weight-decay',
      '0',
      '--max-steps',
      '2',
      '--out',
      out,
      '--resume',
    ]);
    expect(resumed.code, resumed.err).toBe(0);
    const wide = run(['train', '--data', csv, '--init', weights, '--width', '8', '--epochs', '1', '--out', path.join(dir, 'ft8')]);
    expect(wide.code).toBe(1);
    expect(wide.err).toMatch(/--width 8 does not match .*tiny\.safetensors, a fer-resnet18\(4\)/);
    const both = run(['train', '--data', csv, '--init', weights, '--resume', '--epochs', '1', '--out', out]);
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/--init .* --resume .*one of them/);
  });
});
