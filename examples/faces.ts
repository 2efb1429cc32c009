/**
 * Finds the faces in photos and the expression of each, and writes each photo with the faces
 * drawn (PNG) beside it as <name>.faces.png.
 *
 *   npx tsx examples/faces.ts group.jpg selfie.png            # full-range detector (small faces)
 *   npx tsx examples/faces.ts --range short selfie.png         # short range (faces near the camera)
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pngjs from 'pngjs';
import { createDevice, drawFaces, loadFaceModels, readImageInput, recognize, type BlazeFaceRange } from '../src/index.js';

const { values: a, positionals: files } = parseArgs({ allowPositionals: true, options: { range: { type: 'string', default: 'full' } } });
if (files.length === 0) {
  console.error('usage: npx tsx examples/faces.ts [--range full|short] <photos…>');
  process.exit(1);
}
const range = a.range as BlazeFaceRange;
const device = await createDevice();
const models = loadFaceModels(device, { ranges: [range] }); // load once; recognize() per photo or frame
for (const file of files) {
  const { image } = readImageInput(file);
  const faces = await recognize(models, image, { range });
  console.log(`${file}: ${faces.length} face(s)`);
  for (const f of faces) {
    const { x, y, width, height } = f.box;
    console.log(
      `  ${f.label.padEnd(8)} ${(100 * f.probabilities[f.label]!).toFixed(0)}%  at (${x.toFixed(0)}, ${y.toFixed(0)}) ${width.toFixed(0)}x${height.toFixed(0)}, detector score ${f.score.toFixed(2)}`,
    );
  }
  const drawn = drawFaces(image, faces);
  const png = new pngjs.PNG({ width: drawn.width, height: drawn.height });
  png.data = Buffer.from(drawn.data);
  writeFileSync(file.replace(/\.[^./]+$/, '') + '.faces.png', pngjs.PNG.sync.write(png));
}
models.dispose();
device.destroy();
