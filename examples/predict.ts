/**
 * Predicts the expression of face images (PNG or JPEG, any size; converted to 48x48 gray).
 *
 *   npx tsx examples/predict.ts face1.jpg face2.png                    # the model shipped in the package
 *   npx tsx examples/predict.ts --weights runs/example/best.safetensors face1.jpg   # your own
 */
import { parseArgs } from 'node:util';
import { createDevice, loadPretrained, predict } from '../src/index.js';

const { values: a, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { weights: { type: 'string' }, tta: { type: 'boolean', default: false } },
});
if (files.length === 0) {
  console.error('usage: npx tsx examples/predict.ts [--weights w.safetensors] [--tta] <image files…>');
  process.exit(1);
}
const device = await createDevice();
const { model, info } = loadPretrained(device, a.weights); // a.weights, else the shipped model
for (const p of await predict(model, files, { mean: info.mean, std: info.std, tta: a.tta, classNames: info.classes })) {
  const top = Object.entries(p.probabilities)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 3);
  console.log(`${p.file}: ${p.label}  (${top.map(([c, v]) => `${c} ${(100 * v).toFixed(1)}%`).join(', ')})`);
}
device.destroy();
