/** evaluate() and predict() call forms: model-first (its own device), device-first, tensors. */
import fs from 'node:fs';
import pngjs from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import { ferResNet18 } from '../../src/nn/resnet.js';
import { evaluate } from '../../src/train/evaluate.js';
import { predict } from '../../src/train/predict.js';
import { syntheticFaces } from '../../src/data/synthetic.js';
import { FER_PIXELS } from '../../src/data/dataset.js';
import { InputError } from '../../src/errors.js';
import { train } from '../../src/train/trainer.js';
import { useDevice } from '../helpers.js';

describe('evaluate and predict', () => {
  const device = useDevice();
  const faces = syntheticFaces({ perClass: 3, seed: 21 });
  const images = Array.from({ length: 6 }, (_, i) => faces.pixels.slice(i * FER_PIXELS, (i + 1) * FER_PIXELS));

  it('evaluate(model, data) equals evaluate(device, model, data)', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 4 });
    const a = await evaluate(model, faces, { split: 'Training' });
    const b = await evaluate(d, model, faces, { split: 'Training' });
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.confusionMatrix!.flat().reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
    model.dispose();
  });

  it('predict(model, images) equals predict(device, model, images); a tensor of the normalised images gives the same probabilities', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 5 });
    const a = await predict(model, images);
    const b = await predict(d, model, images);
    expect(a).toEqual(b);
    const x = new Float32Array(images.length * FER_PIXELS);
    images.forEach((img, i) => img.forEach((v, j) => (x[i * FER_PIXELS + j] = (v / 255 - 0.5) / 0.5)));
    const t = d.tensor(x, [images.length, 1, 48, 48]);
    const c = await predict(model, t);
    t.dispose();
    expect(c.map((p) => p.label)).toEqual(a.map((p) => p.label));
    c.forEach((p, i) => {
      expect(p.file).toBeUndefined();
      for (const [name, v] of Object.entries(p.probabilities)) expect(v).toBeCloseTo(a[i]!.probabilities[name]!, 5);
    });
    expect(model.training).toBe(true); // restored after the eval-mode pass
    model.dispose();
  });

  it('unlabelled images (labelled: false) cannot be evaluated or trained on: an InputError naming the source', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 7 });
    const unlabelled = { ...faces, labelled: false, source: 'photos/' };
    await expect(evaluate(model, unlabelled)).rejects.toThrow(/evaluate: photos\/ has no labels/);
    await expect(train({ model, trainSet: unlabelled, epochs: 1 })).rejects.toThrow(InputError);
    expect((await predict(model, images)).length).toBe(images.length); // predict needs none
    model.dispose();
  });

  it('a tensor of the wrong shape, or TTA on a tensor, is an InputError naming the shape', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 6 });
    const bad = d.zeros([2, 3, 48, 48]);
    await expect(predict(model, bad)).rejects.toThrow(InputError);
    await expect(predict(model, bad)).rejects.toThrow(/\[N, 1, 48, 48\].*\[2, 3, 48, 48\]/);
    const ok = d.zeros([1, 1, 48, 48]);
    await expect(predict(model, ok, { tta: true })).rejects.toThrow(/TTA/);
    bad.dispose();
    ok.dispose();
    model.dispose();
  });

  it('predict takes paths, PNG bytes, RGBA/RGB pixels and gray arrays alike, and names the bad one', async () => {
    const d = device();
    const model = ferResNet18(d, { width: 4, seed: 7 });
    const file = new URL('../data/fixtures/rgb-100x75.png', import.meta.url).pathname;
    const png = pngjs.PNG.sync.read(fs.readFileSync(file));
    const rgba = { data: new Uint8ClampedArray(png.data), width: png.width, height: png.height };
    const rgb = {
      data: Uint8Array.from({ length: png.width * png.height * 3 }, (_, i) => png.data[Math.floor(i / 3) * 4 + (i % 3)]!),
      width: png.width,
      height: png.height,
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const [fromPath, fromBytes, fromRgba, fromRgb, gray] = await predict(model, [file, fs.readFileSync(file), rgba, rgb, images[0]!]);
    // a 100x75 file is not a face crop: said once, naming it (inputs without a name are not)
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      expect.stringMatching(/^predict: .*rgb-100x75\.png \(100x75\) does not look like a face crop.*recognize\(\)/),
    ]);
    warn.mockRestore();
    expect(fromPath!.file).toBe(file);
    for (const p of [fromBytes, fromRgba, fromRgb]) {
      expect(p!.file).toBeUndefined();
      expect(p!.probabilities).toEqual(fromPath!.probabilities);
    }
    expect(gray!.probabilities).toEqual((await predict(model, [images[0]!]))[0]!.probabilities);
    const webp = Uint8Array.from([...Buffer.from('RIFF'), 0x24, 0, 0, 0, ...Buffer.from('WEBPVP8 '), ...new Array(40).fill(0)]);
    await expect(predict(model, [file, webp])).rejects.toThrow(/^predict input 1: not a JPEG or PNG file: a WebP image/);
    await expect(predict(model, ['/no/such.png'])).rejects.toThrow(/^\/no\/such\.png: cannot read \(ENOENT\)/);
    model.dispose();
  });
});
