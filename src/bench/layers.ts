/**
 * The per-layer convolution rows: forward, backward-input and backward-weight of every distinct
 * convolution of fer-resnet18(16) at the training batch, so that each backward's rate can be read
 * against its forward's on the same shape (the table under the main one, see table.ts).
 */
import type { Device } from '../gpu/device.js';
import { Rng } from '../random.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../kernels/conv2d/index.js';
import type { BenchRow } from './schema.js';
import { makeRow, plan, timeGpu, wanted, type SuiteOptions } from './measure.js';
import { TRAIN_BATCH } from './e2e.js';

/** A distinct convolution of fer-resnet18(w) on 48x48 inputs, and how often it occurs. */
export interface ConvLayer {
  /** Stable id part, e.g. 'layer2-3x3-s2'. */
  id: string;
  name: string;
  C: number;
  K: number;
  H: number;
  R: number;
  stride: number;
  count: number;
}

/** The distinct convolutions of fer-resnet18(w) (stem, four stages, their 1x1 downsamples). */
export function ferConvLayers(w: number): ConvLayer[] {
  const l = (id: string, name: string, C: number, K: number, H: number, R: number, stride: number, count: number): ConvLayer => ({
    id,
    name,
    C,
    K,
    H,
    R,
    stride,
    count,
  });
  return [
    l('stem', 'stem', 1, w, 48, 3, 1, 1),
    l('layer1-3x3', 'layer1 3x3', w, w, 48, 3, 1, 4),
    l('layer2-3x3-s2', 'layer2 3x3 s2', w, 2 * w, 48, 3, 2, 1),
    l('layer2-3x3', 'layer2 3x3', 2 * w, 2 * w, 24, 3, 1, 3),
    l('layer2-1x1-s2', 'layer2 1x1 s2', w, 2 * w, 48, 1, 2, 1),
    l('layer3-3x3-s2', 'layer3 3x3 s2', 2 * w, 4 * w, 24, 3, 2, 1),
    l('layer3-3x3', 'layer3 3x3', 4 * w, 4 * w, 12, 3, 1, 3),
    l('layer3-1x1-s2', 'layer3 1x1 s2', 2 * w, 4 * w, 24, 1, 2, 1),
    l('layer4-3x3-s2', 'layer4 3x3 s2', 4 * w, 8 * w, 12, 3, 2, 1),
    l('layer4-3x3', 'layer4 3x3', 8 * w, 8 * w, 6, 3, 1, 3),
    l('layer4-1x1-s2', 'layer4 1x1 s2', 4 * w, 8 * w, 12, 1, 2, 1),
  ];
}

/** The width whose layers the rows measure. */
export const LAYER_WIDTH = 16;
export const PASSES = ['forward', 'backward-input', 'backward-weight'] as const;

/** Runs the per-layer rows (id `layers.fer-resnet18-16.<layer>.<pass>`) on `device`. */
export async function runLayerRows(device: Device, opts: SuiteOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const N = TRAIN_BATCH;
  const rng = new Rng(12);
  for (const s of ferConvLayers(LAYER_WIDTH)) {
    const conv = { stride: s.stride, padding: s.R === 3 ? 1 : 0 };
    const P = Math.floor((s.H + 2 * conv.padding - s.R) / s.stride) + 1;
    const xShape = [N, s.C, s.H, s.H];
    const wShape = [s.K, s.C, s.R, s.R];
    const flops = 2 * N * s.K * P * P * s.C * s.R * s.R;
    const passes = PASSES.filter((p) => wanted(opts, `layers.fer-resnet18-${LAYER_WIDTH}.${s.id}.${p}`))
      // the stem's input gradient is never computed in training (the images need none)
      .filter((p) => !(s.id === 'stem' && p === 'backward-input'));
    if (passes.length === 0) continue;
    opts.log(`kernels: fer-resnet18(${LAYER_WIDTH}) ${s.name}`);
    const x = device.tensor(rng.normals(N * s.C * s.H * s.H), xShape);
    const w = device.tensor(rng.normals(s.K * s.C * s.R * s.R), wShape);
    const gy = device.tensor(rng.normals(N * s.K * P * P), [N, s.K, P, P]);
    try {
      for (const pass of passes) {
        const run =
          pass === 'forward'
            ? () => conv2d(x, w, conv)
            : pass === 'backward-input'
              ? () => conv2dBackwardInput(gy, w, xShape, conv)
              : () => conv2dBackwardWeight(gy, x, wShape, conv);
        const it = plan(opts);
        const { times } = await timeGpu(device, () => device.tidy(() => void run()), it);
        const id = `layers.fer-resnet18-${LAYER_WIDTH}.${s.id}.${pass}`;
        const shape = `N=${N} C=${s.C} K=${s.K} ${s.H}x${s.H} ${s.R}x${s.R} stride ${s.stride}`;
        rows.push(
          makeRow({ id, name: `${s.name} ${pass}`, suite: 'kernels', shape, unit: 'GFLOP/s', work: flops }, times, it, {
            note: [`${s.count}x in the network`],
          }),
        );
      }
    } finally {
      for (const t of [x, w, gy]) t.dispose();
    }
  }
  return rows;
}
