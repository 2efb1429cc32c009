/**
 * The faces rows of the infer suite: detection (BlazeFace) and expression (the shipped
 * fer-resnet18) of every face in a 640x480 frame, as recognize() runs them per video frame:
 * upload, letterbox, detector, crops, expression model, two read-backs. Frames/s.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Device } from '../gpu/device.js';
import type { PixelImage } from '../kernels/crop-resize/index.js';
import { fitImage, recognizeInImages } from '../faces/detect.js';
import { loadFaceModels, readImageInput } from '../faces/node.js';
import type { BlazeFaceRange } from '../faces/spec.js';
import { Rng } from '../random.js';
import type { BenchRow } from './schema.js';
import { makeRow, plan, wanted, type SuiteOptions, type Workload } from './measure.js';

/**
 * The benchmark frame: @vladmandic/face-api's demo/sample4.jpg (four faces; a dev dependency,
 * in a checkout) cut to 1920x1440 and shrunk 3x to 640x480, else 640x480 of seeded noise.
 */
export function benchFrame(): { frame: PixelImage; source: string } {
  try {
    const require = createRequire(import.meta.url);
    const file = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample4.jpg');
    const { image } = readImageInput(file);
    const cut: PixelImage = { width: 1920, height: 1440, channels: 4, data: image.data.subarray(0, 1920 * 1440 * 4) };
    return { frame: fitImage(cut, 640 * 480 * 4).image, source: 'face-api demo/sample4.jpg shrunk to 640x480 (4 faces)' };
  } catch {
    const rng = new Rng(5);
    return {
      frame: { width: 640, height: 480, channels: 3, data: Uint8Array.from({ length: 640 * 480 * 3 }, () => Math.floor(rng.next() * 256)) },
      source: 'seeded noise (no faces: face-api is not installed)',
    };
  }
}

/** Runs the faces rows, one fresh device per row. */
export async function runFacesSuite(newDevice: () => Promise<Device>, opts: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const range of ['full', 'short'] as BlazeFaceRange[]) {
    const w: Workload = {
      id: `infer.faces-${range}-640x480`,
      name: `detection + expression, ${range}-range BlazeFace`,
      suite: 'infer',
      shape: '1 frame 640x480 RGB: letterbox, BlazeFace, 48x48 crops, fer-resnet18(8)',
      unit: 'images/s',
      work: 1,
    };
    if (!wanted(opts, w.id)) continue;
    opts.log(`infer: ${w.name}`);
    const device = await newDevice();
    try {
      const { frame, source } = benchFrame();
      const models = loadFaceModels(device, { ranges: [range] });
      const it = plan(opts);
      const times: number[] = [];
      let first = NaN;
      let faces = 0;
      for (let i = 0; i < it.warmup + it.timed; i++) {
        const t0 = performance.now();
        const [found] = await recognizeInImages(models, [frame], { range });
        const ms = performance.now() - t0;
        faces = found!.length;
        if (i === 0) first = ms;
        if (i >= it.warmup) times.push(ms);
      }
      models.dispose();
      rows.push(
        makeRow(w, times, it, {
          firstIterationMs: first,
          note: [`first frame ${(first / 1000).toFixed(2)} s (shader compilation)`, `${source}: ${faces} faces found`],
        }),
      );
    } catch (e) {
      opts.fail(w, (e as Error).message);
    } finally {
      device.destroy();
    }
  }
  return rows;
}
