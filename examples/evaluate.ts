/**
 * Evaluates weights on a split: scikit-learn's classification report plus log loss, ROC AUC,
 * top-2 accuracy and calibration, and a confusion-matrix picture.
 *
 *   npx tsx examples/evaluate.ts --weights runs/example/best.safetensors [--data ../fer2013] [--split PrivateTest] [--tta]
 */
import { parseArgs } from 'node:util';
import { createDevice, evaluate, loadFer2013, loadModel, metrics, syntheticFaces, type FerSplit } from '../src/index.js';

const { values: a } = parseArgs({
  options: {
    weights: { type: 'string', default: 'runs/example/best.safetensors' },
    data: { type: 'string' },
    split: { type: 'string', default: 'PrivateTest' },
    tta: { type: 'boolean', default: false },
    plot: { type: 'string', default: 'confusion.png' },
  },
});

if (!a.data) console.log('no --data: evaluating on built-in synthetic faces (pass --data <fer2013.csv | image folder> for FER2013)');
const data = a.data ? await loadFer2013(a.data) : syntheticFaces({ count: 1400, seed: 1 });
const device = await createDevice();
const { model, info } = loadModel(device, a.weights!);
const report = await evaluate(model, data, {
  split: a.split as FerSplit,
  mean: info.mean,
  std: info.std,
  tta: a.tta,
  classNames: info.classes,
});
console.log(report.toString());
await metrics.writePlot(a.plot!, { type: 'confusionMatrix', cm: report.confusionMatrix!, classNames: info.classes, normalize: 'true' });
console.log(`confusion matrix: ${a.plot}`);
device.destroy();
