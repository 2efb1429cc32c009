/**
 * Predicts the expression of face images (PNG or JPEG, any size; converted to 48x48 gray).
 *
 *   npx tsx examples/predict.ts --weights runs/example/best.safetensors face1.jpg face2.png
 */
import { parseArgs } from 'node:util';
import { createDevice, loadModel, predict } from '../src/index.js';

const { values: a, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { weights: { type: 'string', default: 'runs/example/best.safetensors' }, tta: { type: 'boolean', default: false } },
});
if (files.length === 0) {
  console.error('usage: npx tsx examples/predict.ts --weights w.safetensors <image files…>');
  process.exit(1);
}
const device = await createDevice();
const { model, info } = loadModel(device, a.weights!);
for (const p of await predict(device, model, files, { mean: info.mean, std: info.std, tta: a.tta, classNames: info.classes })) {
  const top = Object.entries(p.probabilities).sort((x, y) => y[1] - x[1]).slice(0, 3);
  console.log(`${p.file}: ${p.label}  (${top.map(([c, v]) => `${c} ${(100 * v).toFixed(1)}%`).join(', ')})`);
}
device.destroy();
