/**
 * Dawn's robustness (bounds checks on every buffer access) can be turned off in Node
 * (`createDevice({ robustness: false })`, `FER_GPU_ROBUSTNESS=off`) because fer-gpu's kernels
 * guard their own bounds: everything the product runs — train steps of fer-resnet18 on a batch
 * that fills no tile evenly, inference, face detection and recognition on a photo — gives
 * bit-identical numbers with and without the checks. (The op tests can be run the same way:
 * `FER_GPU_ROBUSTNESS=off npx vitest run test/kernels`.)
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDevice } from '../../src/gpu/dawn.js';
import type { Device } from '../../src/gpu/device.js';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { crossEntropy } from '../../src/ops.js';
import { SGD } from '../../src/optim/index.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { loadFaceModels, readImageInput, recognize } from '../../src/faces/node.js';
import { InputError } from '../../src/errors.js';

const require = createRequire(import.meta.url);
const photo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');

/** What a device computes: losses and weights after train steps, eval-mode logits, faces on a photo. */
async function everything(device: Device) {
  const ds = syntheticFaces({ perClass: 3, seed: 4 }); // 21 images: no tile divides it
  const x = device.tensor(
    Float32Array.from(ds.pixels, (p) => p / 255 - 0.5),
    [ds.length, 1, 48, 48],
  );
  const labels = Int32Array.from(ds.labels);
  const model = ferResNet18(device, { width: 4, seed: 5 });
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    const loss = device.tidy(() => {
      const l = crossEntropy(model.forward(x), labels, { labelSmoothing: 0.1 });
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l;
    });
    losses.push(...(await loss.toArray()));
    loss.dispose();
  }
  const weights = await Promise.all(model.parameters().map((p) => p.toArray()));
  model.eval();
  const logits = device.noGrad(() => model.forward(x));
  const evalLogits = await logits.toArray();
  logits.dispose();
  model.dispose();
  x.dispose();
  const faceModels = loadFaceModels(device, { ranges: ['full'] });
  const faces = await recognize(faceModels, readImageInput(photo).image);
  faceModels.dispose();
  return { losses, weights, evalLogits, faces };
}

describe('robustness off', () => {
  const devices: Device[] = [];
  afterAll(() => devices.forEach((d) => d.destroy()));

  it('gives bit-identical training, inference and faces; device.info says which', async () => {
    const on = await createDevice();
    const off = await createDevice({ robustness: false });
    devices.push(on, off);
    expect([on.info.robustness, off.info.robustness]).toEqual([true, false]);
    const [a, b] = [await everything(on), await everything(off)];
    expect(b.losses).toEqual(a.losses);
    expect(b.losses.every(Number.isFinite)).toBe(true);
    b.weights.forEach((w, i) => expect(w, `parameter ${i}`).toEqual(a.weights[i]));
    expect(b.evalLogits).toEqual(a.evalLogits);
    expect(b.faces.length).toBe(3);
    expect(b.faces).toEqual(a.faces);
  }, 300_000);

  it('FER_GPU_ROBUSTNESS=off turns it off; a value that is not on/off is refused by name', async () => {
    const saved = process.env.FER_GPU_ROBUSTNESS;
    try {
      process.env.FER_GPU_ROBUSTNESS = 'off';
      const d = await createDevice();
      devices.push(d);
      expect(d.info.robustness).toBe(false);
      process.env.FER_GPU_ROBUSTNESS = 'maybe';
      await expect(createDevice()).rejects.toThrow(new InputError("fer-gpu: FER_GPU_ROBUSTNESS='maybe'; expected on or off"));
    } finally {
      if (saved === undefined) delete process.env.FER_GPU_ROBUSTNESS;
      else process.env.FER_GPU_ROBUSTNESS = saved;
    }
  });
});
