/**
 * Trains fer-resnet18 on FER2013, or, with no --data, on the built-in synthetic faces with tiny
 * defaults that finish in a few minutes on a software adapter.
 *
 *   npx tsx examples/train-fer2013.ts                                   # synthetic faces, quick
 *   npx tsx examples/train-fer2013.ts --data ../fer2013 --width 16 --epochs 30 --out runs/w16
 *
 * A second run into the same --out is refused: pass --resume to continue it, --overwrite to replace it.
 */
import { parseArgs } from 'node:util';
import { createDevice, ferResNet18, holdout, loadFer2013, syntheticFaces, train } from '../src/index.js';

const { values: a } = parseArgs({
  options: {
    data: { type: 'string' },
    width: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.05' },
    out: { type: 'string', default: 'runs/example' },
    resume: { type: 'boolean', default: false },
    overwrite: { type: 'boolean', default: false },
  },
});

let data;
if (a.data) {
  data = await loadFer2013(a.data);
} else {
  console.log('No --data: training on 1,400 built-in synthetic faces. Pass --data <fer2013.csv|folder> for FER2013.');
  data = syntheticFaces({ count: 1400, seed: 1 });
}
// Validation: PublicTest when the data has it, else a stratified 10% of Training.
if (!data.splits.includes(1)) data = holdout(data, { fraction: 0.1, seed: 0 });

const device = await createDevice();
console.log(`adapter: ${device.info.description}`);
const model = ferResNet18(device, { width: Number(a.width), seed: 0 });
const result = await train({
  device,
  model,
  trainSet: data,
  epochs: Number(a.epochs),
  batchSize: Number(a['batch-size']),
  optimizer: 'sgd',
  lr: Number(a.lr),
  nesterov: true,
  schedule: { kind: 'cosine', warmupEpochs: 0 },
  labelSmoothing: 0.1,
  augment: true,
  seed: 0,
  outDir: a.out,
  resume: a.resume,
  overwrite: a.overwrite,
});
console.log(
  `best validation accuracy ${(100 * (result.best?.metric ?? 0)).toFixed(2)}% at epoch ${result.best?.epoch}; weights in ${a.out}/best.safetensors`,
);
device.destroy();
