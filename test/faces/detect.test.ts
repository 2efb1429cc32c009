/**
 * Face detection and recognition behaviour: MediaPipe's post-processing rules, faces where there
 * are faces and none where there are none, batches in two GPU submissions, bad input, and
 * predict()'s warning on photos.
 */
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createDevice } from '../../src/gpu/dawn.js';
import { detectFaces, loadBlazeFace, loadFaceModels, readImageInput, recognize } from '../../src/faces/node.js';
import { faceCrop, fitImage, type PixelImage } from '../../src/faces/detect.js';
import { anchorCentres, iou, letterbox, project, weightedNms, type Detection } from '../../src/faces/postprocess.js';
import { blazeFaceSpec } from '../../src/faces/spec.js';
import { predict } from '../../src/train/predict.js';
import { defaultWeightsPath, loadPretrained } from '../../src/train/pretrained.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { calibrationMetadata } from '../../src/io/fer-metadata.js';
import { FER_CLASSES } from '../../src/classes.js';
import { Rng } from '../../src/random.js';
import { useDevice } from '../helpers.js';

const require = createRequire(import.meta.url);
const DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const photo = (i: number) => path.join(DEMO, `sample${i}.jpg`);

/** A region of an image as a new image. */
function crop(image: PixelImage, x: number, y: number, w: number, h: number): PixelImage {
  const c = image.channels ?? 4;
  const data = new Uint8Array(w * h * c);
  for (let r = 0; r < h; r++)
    data.set(image.data.subarray(((y + r) * image.width + x) * c, ((y + r) * image.width + x + w) * c), r * w * c);
  return { width: w, height: h, channels: c, data };
}

function det(x: number, y: number, size: number, score: number): Detection {
  return { box: { x, y, width: size, height: size }, score, keypoints: new Float64Array(12).fill(x) };
}

describe('BlazeFace post-processing (MediaPipe rules)', () => {
  it('anchors: 2304 at stride 4 (full), 512 + 384 (short), centred in their cells', () => {
    const full = anchorCentres(blazeFaceSpec('full'));
    expect(full.length / 2).toBe(2304);
    expect([full[0], full[1], full[2], full[2 * 48 + 1]]).toEqual([0.5 / 48, 0.5 / 48, 1.5 / 48, 1.5 / 48]);
    const short = anchorCentres(blazeFaceSpec('short'));
    expect(short.length / 2).toBe(896);
    expect([short[0], short[2], short[4]]).toEqual([0.5 / 16, 0.5 / 16, 1.5 / 16]); // two anchors per cell
    expect([short[1024], short[1024 + 10], short[1024 + 12]]).toEqual([0.5 / 8, 0.5 / 8, 1.5 / 8]); // six per cell at 8x8
  });

  it('weighted NMS: overlapping boxes merge, weighted by score, keeping the best score; separate ones stay', () => {
    const out = weightedNms([det(0, 0, 10, 0.6), det(1, 0, 10, 0.9), det(50, 50, 10, 0.7)], 0.3);
    expect(out.map((d) => d.score)).toEqual([0.9, 0.7]);
    expect(out[0]!.box.x).toBeCloseTo((0 * 0.6 + 1 * 0.9) / 1.5, 12);
    expect(out[0]!.keypoints[0]).toBeCloseTo((0 * 0.6 + 1 * 0.9) / 1.5, 12);
    expect(out[1]!.box).toEqual({ x: 50, y: 50, width: 10, height: 10 });
    // IoU exactly at the threshold does not merge (MediaPipe: similarity > threshold)
    expect(weightedNms([det(0, 0, 10, 0.9), det(5, 0, 10, 0.8)], 1 / 3).length).toBe(2);
    expect(weightedNms([det(0, 0, 10, 0.9), det(50, 0, 10, 0.8)], 0.3, 1).length).toBe(1);
  });

  it('letterbox: a non-square image sits centred in a black square; projection maps back to its pixels', () => {
    expect(letterbox(640, 480)).toEqual({ x: 0, y: -80, width: 640, height: 640 });
    expect(letterbox(101, 200)).toEqual({ x: -49, y: 0, width: 200, height: 200 });
    const p = project(det(0.25, 0.5, 0.25, 1), letterbox(640, 480));
    expect(p.box).toEqual({ x: 160, y: 240, width: 160, height: 160 });
    expect(iou(p.box, p.box)).toBe(1);
  });

  it('face crops are square, larger than the box, framed as FER2013 frames faces', () => {
    const c = faceCrop({ x: 100, y: 100, width: 100, height: 100 }, blazeFaceSpec('full'));
    expect(c.width).toBe(c.height);
    expect(c.width).toBeCloseTo(122, 9);
    expect(c.y + c.height / 2).toBeLessThan(150); // centred a little above the box's centre
  });

  it('fitImage shrinks an image too large for one GPU buffer by an integer factor (block means)', () => {
    const img: PixelImage = { width: 4, height: 2, channels: 1, data: Uint8Array.from([0, 2, 4, 6, 2, 4, 6, 8]) };
    const { image, factor } = fitImage(img, 8);
    expect(factor).toBe(2);
    expect([image.width, image.height, Array.from(image.data)]).toEqual([2, 1, [2, 6]]);
    expect(fitImage(img, 32).factor).toBe(1);
  });
});

describe.skipIf(!existsSync(photo(1)))('faces in photos', () => {
  const device = useDevice();

  it('one face on a portrait; none on images without people', async () => {
    const d = device();
    const group = readImageInput(photo(3)).image;
    const portrait = crop(group, 880, 80, 480, 600); // one woman of the group, head and shoulders
    const rng = new Rng(3);
    const noise: PixelImage = {
      width: 320,
      height: 240,
      channels: 3,
      data: Uint8Array.from({ length: 320 * 240 * 3 }, () => Math.floor(rng.next() * 256)),
    };
    const blank: PixelImage = { width: 64, height: 64, channels: 1, data: new Uint8Array(64 * 64).fill(128) };
    for (const range of ['full', 'short'] as const) {
      const detector = loadBlazeFace(d, range);
      const [onPortrait, onNoise, onBlank, onPlot] = await detectFaces(detector, [
        portrait,
        noise,
        blank,
        'docs/results/confusion-matrix.png',
      ]);
      expect(onPortrait!.length, `${range}: faces on the portrait`).toBe(1);
      expect(onPortrait![0]!.score).toBeGreaterThan(0.6);
      const k = onPortrait![0]!.keypoints;
      expect(k.map((p) => p.name)).toEqual(['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEar', 'leftEar']);
      expect(k[0]!.x).toBeLessThan(k[1]!.x); // the subject's right eye is on the image's left
      expect(k[2]!.y).toBeLessThan(k[3]!.y); // nose above mouth
      for (const p of k.slice(0, 4)) {
        const b = onPortrait![0]!.box;
        expect(p.x > b.x && p.x < b.x + b.width && p.y > b.y && p.y < b.y + b.height, `${p.name} inside the box`).toBe(true);
      }
      expect([onNoise!.length, onBlank!.length, onPlot!.length], `${range}: faces on noise, a gray square, a chart`).toEqual([0, 0, 0]);
      detector.dispose();
    }
  });

  it('recognize: a batch of photos is one GPU submission for detection and one for every face', async () => {
    const d = device();
    const models = loadFaceModels(d, { ranges: ['full'] });
    const images = [photo(1), photo(4)].map((f) => readImageInput(f).image);
    await recognize(models, images[0]!); // compile the pipelines
    const before = d.submits;
    const [a, b] = await recognize(models, images);
    expect(d.submits - before).toBe(2);
    expect([a!.length, b!.length]).toEqual([3, 4]);
    for (const f of [...a!, ...b!]) {
      expect(FER_CLASSES).toContain(f.label);
      expect(Object.values(f.probabilities).reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
      expect(f.probabilities[f.label]).toBe(Math.max(...Object.values(f.probabilities)));
    }
    models.dispose();
  });

  it("recognize applies the expression checkpoint's calibration, as predict() does", async () => {
    const d = device();
    const calibration = { temperature: 2, logitBias: [0.5, -0.3, 0.2, -0.6, 0.1, 0, 0.1] };
    const { tensors, metadata } = readSafetensors(defaultWeightsPath());
    const weights = path.join(mkdtempSync(path.join(os.tmpdir(), 'fer-faces-')), 'calibrated.safetensors');
    writeSafetensors(weights, tensors, { ...metadata, ...calibrationMetadata(calibration, FER_CLASSES.length) });
    const models = loadFaceModels(d, { ranges: ['full'], weights });
    expect(models.expression.calibration).toEqual(calibration);
    const image = readImageInput(photo(1)).image;
    const calibrated = await recognize(models, image);
    models.expression.calibration = null; // what fer-gpu detect --no-calibration does
    const raw = await recognize(models, image);
    expect(calibrated.length).toBe(3);
    calibrated.forEach((f, i) => {
      expect(f.box).toEqual(raw[i]!.box);
      // log-probabilities are the logits up to a per-row constant, which the softmax ignores
      const z = FER_CLASSES.map((c, j) => Math.log(raw[i]!.probabilities[c]!) / calibration.temperature + calibration.logitBias[j]!);
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const sum = e.reduce((a, b) => a + b, 0);
      FER_CLASSES.forEach((c, j) => expect(f.probabilities[c]).toBeCloseTo(e[j]! / sum, 5));
    });
    models.dispose();
  });

  it('recognize(file) with the shipped models and no device; range short', async () => {
    const faces = await recognize(photo(3), { range: 'short', maxFaces: 2 });
    expect(faces.length).toBe(2);
    expect(faces[0]!.score).toBeGreaterThanOrEqual(faces[1]!.score);
  });

  it('huge images are shrunk to fit a GPU buffer, and boxes come back in their own pixels', async () => {
    const small = await createDevice({ maxTensorBytes: 4 << 20 }); // 4 MiB: a 1920x1350 RGBA photo (10 MB) does not fit
    try {
      const image = readImageInput(photo(3)).image;
      const shrunk = await detectFaces(loadBlazeFace(small, 'full'), image);
      const full = await detectFaces(loadBlazeFace(device(), 'full'), image);
      expect(shrunk.length).toBe(full.length);
      shrunk.forEach((f, i) => expect(iou(f.box, full[i]!.box)).toBeGreaterThan(0.8));
    } finally {
      small.destroy();
    }
  });

  it('bad input: empty file, 1x1, gray, RGBA, CMYK, not an image; each works or is one clear error', async () => {
    const d = device();
    const detector = loadBlazeFace(d, 'full');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fer-faces-'));
    const empty = path.join(dir, 'empty.jpg');
    writeFileSync(empty, '');
    const text = path.join(dir, 'notes.png');
    writeFileSync(text, 'not an image');
    await expect(detectFaces(detector, empty)).rejects.toThrow(/empty\.jpg.*empty image file/);
    // a 20000x20000 PNG: refused from its header, before anything is allocated
    const huge = path.join(dir, 'huge.png');
    const ihdr = Buffer.alloc(25);
    ihdr.writeUInt32BE(13, 0);
    ihdr.write('IHDR', 4);
    ihdr.writeUInt32BE(20000, 8);
    ihdr.writeUInt32BE(20000, 12);
    ihdr.set([8, 2, 0, 0, 0], 16); // 8-bit RGB (the CRC is not checked before the size)
    writeFileSync(huge, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]));
    await expect(detectFaces(detector, huge)).rejects.toThrow(/huge\.png.*20000x20000.*megapixels/);
    await expect(detectFaces(detector, text)).rejects.toThrow(/notes\.png.*not a JPEG or PNG/);
    await expect(detectFaces(detector, path.join(dir, 'missing.jpg'))).rejects.toThrow(/missing\.jpg: cannot read \(ENOENT\)/);
    await expect(detectFaces(detector, { width: 0, height: 0, data: new Uint8Array(0) })).rejects.toThrow(/no pixels/);
    await expect(detectFaces(detector, photo(1), { minScore: 2 })).rejects.toThrow(/minScore must be in \[0, 1\]/);
    await expect(detectFaces(detector, photo(1), { range: 'short' })).rejects.toThrow(/full-range BlazeFace/);
    const [one, gray, rgba] = await detectFaces(detector, [
      { width: 1, height: 1, data: Uint8Array.from([200, 100, 50]) },
      'test/data/fixtures/gray-30x20.png',
      'test/data/fixtures/rgba-48x131.png',
    ]);
    expect([one, gray, rgba].map((f) => f!.length)).toEqual([0, 0, 0]);
    // a gray photo finds the same faces as the colour one
    const colour = readImageInput(photo(4)).image;
    const luma = new Uint8Array(colour.width * colour.height);
    for (let i = 0; i < luma.length; i++)
      luma[i] = Math.round(0.299 * colour.data[4 * i]! + 0.587 * colour.data[4 * i + 1]! + 0.114 * colour.data[4 * i + 2]!);
    const fromGray = await detectFaces(detector, { width: colour.width, height: colour.height, channels: 1, data: luma });
    const fromColour = await detectFaces(detector, colour);
    expect(fromGray.length).toBeGreaterThanOrEqual(3); // colour helps the detector a little: 3 of the 4 faces score over 0.6 in gray
    for (const f of fromGray) expect(Math.max(...fromColour.map((c) => iou(c.box, f.box)))).toBeGreaterThan(0.8);
    // a CMYK JPEG (Adobe, inverted, as Photoshop and Pillow write it: the shipped sample photo at
    // 360x262) finds the sample photo's faces at the same places, scaled
    const cmyk = await detectFaces(detector, 'test/data/fixtures/cmyk-group-photo.jpg');
    const sample = readImageInput('samples/group-photo.jpg').image;
    const scale = 360 / sample.width;
    const fromRgb = (await detectFaces(detector, sample)).map((f) => ({
      x: f.box.x * scale,
      y: f.box.y * scale,
      width: f.box.width * scale,
      height: f.box.height * scale,
    }));
    const cmykPixels = readImageInput('test/data/fixtures/cmyk-group-photo.jpg').image;
    const meanRgb = (im: PixelImage) =>
      [0, 1, 2].map((c) => {
        let sum = 0;
        for (let i = c; i < im.data.length; i += im.channels ?? 4) sum += im.data[i]!;
        return sum / (im.width * im.height);
      });
    const [want, got] = [meanRgb(sample), meanRgb(cmykPixels)];
    for (let c = 0; c < 3; c++) expect(Math.abs(got[c]! - want[c]!)).toBeLessThan(4); // not inverted, channels in order
    expect(cmyk.length).toBe(fromRgb.length);
    for (const f of cmyk) expect(Math.max(...fromRgb.map((b) => iou(b, f.box)))).toBeGreaterThan(0.8);
    detector.dispose();
  });

  it('predict() warns, pointing to recognize, when given a photo rather than a face crop', async () => {
    const d = device();
    const { model, info } = loadPretrained(d);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await predict(model, [photo(1)], { mean: info.mean, std: info.std });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/sample1\.jpg \(1920x1280\) does not look like a face crop.*recognize\(\)/);
      warn.mockClear();
      await predict(model, [new Uint8Array(48 * 48)], { mean: info.mean, std: info.std });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      model.dispose();
    }
  });
});
