/**
 * Measures where BlazeFace's box sits in FER2013's 48x48 faces, to frame the expression model's
 * crops the same way (BlazeFaceSpec.ferCrop): runs each detector on 60 test images per class and
 * prints the quartiles of the box side (fraction of 48) and centre.
 *
 *   npx tsx scripts/blazeface/fer-crop.ts [../shared/data/fer2013/test]
 *
 * ferCrop.scale = 1 / median side; ferCrop.shiftY = -(median cy - 0.5) / median side.
 */
import { readdirSync } from 'node:fs';
import { createDevice } from '../../src/gpu/dawn.js';
import { loadBlazeFace, detectFaces } from '../../src/faces/node.js';

async function main(): Promise<void> {
  const device = await createDevice();
  const root = process.argv[2] ?? '../shared/data/fer2013/test';
  const files: string[] = [];
  for (const c of readdirSync(root))
    files.push(
      ...readdirSync(`${root}/${c}`)
        .slice(0, 60)
        .map((f) => `${root}/${c}/${f}`),
    );
  for (const range of ['full', 'short'] as const) {
    const det = loadBlazeFace(device, range);
    const stats: number[][] = [];
    for (let i = 0; i < files.length; i += 64) {
      const res = await detectFaces(det, files.slice(i, i + 64), { maxFaces: 1, minScore: 0.5 });
      for (const faces of res)
        if (faces[0]) {
          const b = faces[0].box;
          stats.push([Math.max(b.width, b.height) / 48, (b.x + b.width / 2) / 48, (b.y + b.height / 2) / 48, b.height / b.width]);
        }
    }
    const med = (k: number) => {
      const v = stats.map((s) => s[k]!).sort((a, b) => a - b);
      return [v[Math.floor(v.length * 0.25)]!, v[Math.floor(v.length / 2)]!, v[Math.floor(v.length * 0.75)]!]
        .map((x) => x.toFixed(3))
        .join('/');
    };
    console.log(range, `found ${stats.length}/${files.length}`, 'side/48 (q1/med/q3)', med(0), 'cx', med(1), 'cy', med(2), 'h/w', med(3));
    det.dispose();
  }
  device.destroy();
}

void main();
