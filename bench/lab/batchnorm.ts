/**
 * The batch-norm lab: train-mode batchNorm2d (+ fused ReLU, and + residual + ReLU) forward and
 * backward on the fer-resnet18(16) activation shapes at batch 64, checked against the CPU
 * reference on 2 images, then timed per 2 CPU-s (common.ts).
 *   npx tsx bench/lab/batchnorm.ts [rounds=3]
 *   BASE=/tmp/base npx tsx bench/lab/batchnorm.ts [rounds]   also times the batchNorm2d of the
 *       worktree at BASE (an older commit), interleaved in the same process
 *   npx tsx bench/lab/batchnorm.ts passes [rounds]   each dispatch of src alone (10 in a row),
 *       as GB/s of the bytes it must move, beside addRelu on the same shape
 *
 * Versions (lavapipe, 2 shared cores; fwd+bwd of bn+relu and bn+add+relu over the 4 shapes, ms
 * per 2 CPU-s):
 * - v1 (before): one workgroup of 64 per channel walking all N·H·W values for each reduction
 *   (statistics; Σg', Σg'·x̂, writing the ReLU-masked gradient), one vec4 per invocation in the
 *   element-wise passes: 117-125 ms (layer1 shape 27 ms per op; v1 and v2 alternately, load ~8).
 * - v2: reductions as partial sums over groups of ~512 items (no barrier, no per-item
 *   division) plus a per-channel finalize; 4 items per invocation in the element-wise passes; the
 *   ReLU mask applied again in the input pass instead of storing the masked gradient (stored only
 *   for a residual's gradient): 64 ms (layer1 shape 12-15 ms). Stats pass alone on
 *   [64,16,48,48]: 3.4 -> 0.8 ms; on [64,128,6,6] one workgroup per plane was slower (0.4 -> 0.9
 *   ms), hence groups of several planes.
 *   Why v2 was still slow (`passes`, load 3.7; addRelu moves 12 bytes per element at 10.6-14.6
 *   GB/s in the same run): the op moves 40 bytes per element (bn+relu: stats 4, normalise 8,
 *   backward partials 12, input gradient 16), and (a) its element-wise passes ran one workgroup
 *   of 64 per (image, channel) plane, 4 items each: a 12x12 plane (36 vec4) kept 9 of 64
 *   invocations busy, a 6x6 one 3: normalise 1.6 GB/s, input gradient 2.6 GB/s on
 *   [64,128,6,6], 4 GB/s on [64,64,12,12]; (b) the partial sums ran 16 invocations each on 4
 *   consecutive items of a plane, so on small planes most idled (6x6: 3 of 16) and on large ones
 *   neighbouring invocations read 64 bytes apart: backward partials 4.5 GB/s on [64,16,48,48],
 *   2.9 on [64,128,6,6].
 * - v3 (src): every kernel specialised on C and H·W (WGSL constants: an item's plane and channel
 *   by multiplication); element-wise passes over one flat grid of chunks of U consecutive items
 *   of a plane (U = 4, 3, 2 or 1 dividing the plane; all invocations busy on every shape);
 *   partial sums in workgroups of 8 (one SIMD batch) with neighbouring invocations on
 *   neighbouring items of the channel's images. Backward partials alone, GB/s on the 4 shapes
 *   (one run, load 9.8): 16 lanes x 4 consecutive items 4.5 / 6.0 / 8.1 / 8.3; 8 lanes x 4
 *   consecutive 6.8 / 6.6 / 8.5 / 7.4; 8 lanes on neighbouring items 9.3 / 10.2 / 11.8 / 7.0
 *   (16, 32, 64 lanes: 3.0-5.8 on the first three shapes; 2048 items per group instead of 512
 *   or two items per loop step, here and in the statistics pass: the same within noise).
 *   Element-wise chunks: U = 1 ran at half the speed of U = 4, U = 8 and workgroups of 256 no
 *   better. v3 passes (load 9.4):
 *   stats 5.8-8.2 GB/s, normalise 6.6-9.6, backward partials 9.0-12.1, input gradient 6.6-8.8,
 *   addRelu 10.7-11.4. Per-channel coefficients of the input gradient precomputed (4 loads per
 *   chunk instead of 7): within noise. Op totals, v2 (BASE=) and v3 interleaved in one run at
 *   load 8.1: 78.1 -> 56.6 ms ([64,128,6,6] 6.8 -> 2.8 ms per op, [64,64,12,12] 6.3-8.8 ->
 *   3.6-4.9, [64,32,24,24] 6.9-9.6 -> 5.8-7.3, [64,16,48,48] 15.3-17.3 -> 13.3-16.1; the op
 *   figures include a copy of the seed gradient and a submit per op). Whole train step
 *   (step-ab.ts, v2 and v3 interleaved, 12-20 rounds, load 8-11, best step / median of rounds):
 *   width 16 1.09 / 1.14, 1.15 / 1.06 (groups of 512 items), 1.09 / 0.96 (1024); width 8
 *   1.14 / 1.09, 1.24 / 1.04 (512), 0.95 / 0.89, 1.30 / 1.12 (1024): about 5-10% faster, with
 *   quartiles of the per-round ratio spanning 0.7-1.3 at this load.
 *   Groups of 1024 items (512 and 2048 measured the same): with 512, the Node-vs-Chromium
 *   lockstep test (test/browser/train.test.ts) failed at step 14 (conv1.weight 1.7e-3 apart,
 *   where 1024 items, 16 lanes and v2 agree to 2.4e-7): presumably the two adapters' ulp-level
 *   rounding differences (2.4e-7 in v2 too) putting one near-zero value on different sides of
 *   a ReLU; the op tests against the f64 reference pass either way.
 *   The partial sums stay 8 lanes only on CPU adapters (reduceLanes): a GPU's SIMD group is
 *   32-64 wide, so it gets 64.
 */
import { f32, type Kernel } from '../../src/gpu/device.js';
import { grid1d, type DispatchArgs } from '../../src/gpu/kernel.js';
import { isSoftware } from '../../src/kernels/gemm/tiling.js';
import { batchNorm2d, batchNorm2dBackward } from '../../src/kernels/batchnorm/reference.js';
import { batchNorm2d as gpuBatchNorm2d } from '../../src/kernels/batchnorm/index.js';
import * as bn from '../../src/kernels/batchnorm/wgsl.js';
import { ADD_RELU, ITEMS_PER_INVOCATION } from '../../src/kernels/elementwise/wgsl.js';
import { CpuTensor } from '../../src/reference/tensor.js';
import type { Tensor } from '../../src/tensor.js';
import { gflops, labDevice, loadNote, randTensor, timeVariants, toCpu, validate } from './common.js';

const passes = process.argv[2] === 'passes';
const rounds = Number(process.argv[passes ? 3 : 2] ?? 3);
const device = await labDevice();
const shapes: number[][] = [
  [64, 16, 48, 48],
  [64, 32, 24, 24],
  [64, 64, 12, 12],
  [64, 128, 6, 6],
];

/** Forward + backward of the model's two uses of the op, checked, then timed against BASE's if given. */
async function timeOps(): Promise<void> {
  const base = process.env.BASE
    ? ((await import(`${process.env.BASE}/src/kernels/batchnorm/index.js`)) as { batchNorm2d: typeof gpuBatchNorm2d }).batchNorm2d
    : null;
  const versions: Array<readonly [string, typeof gpuBatchNorm2d]> = [['', gpuBatchNorm2d], ...(base ? [['base ', base] as const] : [])];
  const totals = new Map<string, number>();
  for (const shape of shapes) {
    const C = shape[1]!;
    const params = () => ({
      weight: randTensor(device, [C], 2),
      bias: randTensor(device, [C], 3),
      runningMean: device.zeros([C]),
      runningVar: device.full([C], 1),
    });
    // check: relu variant on 2 images against the reference (forward and input gradient)
    const small = [2, ...shape.slice(1)];
    const x2 = randTensor(device, small, 4);
    x2.requiresGrad = true;
    const g2 = randTensor(device, small, 5);
    const p2 = params();
    const y2 = gpuBatchNorm2d(x2, { ...p2, training: true, relu: true });
    y2.backward(g2);
    const [xc, gc, wc, bc] = await Promise.all([toCpu(x2), toCpu(g2), toCpu(p2.weight), toCpu(p2.bias)]);
    const o = { weight: wc, bias: bc, training: true };
    const want = batchNorm2d(xc, { ...o, runningMean: CpuTensor.zeros([C]), runningVar: CpuTensor.zeros([C]) });
    const relu = want.data.map((v) => Math.max(v, 0));
    validate(`forward ${shape}`, await y2.toArray(), relu, 64);
    const gm = CpuTensor.from(
      gc.data.map((v, i) => (want.data[i]! > 0 ? v : 0)),
      small,
    );
    validate(`input gradient ${shape}`, await x2.grad!.toArray(), batchNorm2dBackward(gm, xc, o).gx, 2 * shape[2]! * shape[3]!);
    // time forward + backward of the model's two uses: bn + relu, and bn + residual + relu
    const x = randTensor(device, shape, 6);
    x.requiresGrad = true;
    const res = randTensor(device, shape, 7);
    res.requiresGrad = true;
    const g = randTensor(device, shape, 8);
    const p = params();
    for (const t of [p.weight, p.bias]) t.requiresGrad = true;
    const clear = (): void => {
      for (const t of [x, res, p.weight, p.bias]) {
        t.grad?.dispose();
        t.grad = null;
      }
    };
    const variants = versions.flatMap(([v, op]): Array<[string, () => void]> => [
      [
        `${v}bn+relu`,
        () => {
          device.tidy(() => op(x, { ...p, training: true, relu: true }).backward(g));
          clear();
        },
      ],
      [
        `${v}bn+add+relu`,
        () => {
          device.tidy(() => op(x, { ...p, training: true, relu: true, residual: res }).backward(g));
          clear();
        },
      ],
    ]);
    const times = await timeVariants(device, variants, rounds);
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    console.log(
      `${JSON.stringify(shape).padEnd(18)} ${variants.map(([n]) => `${n} ${times.get(n)!.cpuMs.toFixed(1)} ms (${gflops(5 * bytes, times.get(n)!.cpuMs).toFixed(2)} GB/s of 5 tensors)`).join('   ')}`,
    );
    for (const [v] of versions) totals.set(v, (totals.get(v) ?? 0) + times.get(`${v}bn+relu`)!.cpuMs + times.get(`${v}bn+add+relu`)!.cpuMs);
    for (const t of [x2, g2, x, res, g, ...Object.values(p), ...Object.values(p2)]) (t as Tensor).dispose();
  }
  console.log(`total ${versions.map(([v]) => `${v}${totals.get(v)!.toFixed(1)} ms`).join(', ')} per 2 CPU-s; ${loadNote()}`);
}

/** Each dispatch of a train-mode bn+relu forward and backward alone (10 in a row), and addRelu, per shape. */
async function timePasses(): Promise<void> {
  const REPS = 10;
  for (const shape of shapes) {
    const [N, C, H, W] = shape as [number, number, number, number];
    const E = N * C * H * W;
    const vec4 = (H * W) % 4 === 0;
    const HWv = vec4 ? (H * W) / 4 : H * W;
    const [x, g, y, out, weight, bias] = [shape, shape, shape, shape, [C], [C]].map((s, k) => randTensor(device, s, k + 1)) as Tensor[];
    const [stats, gB, gW] = [device.full([2, C], 1), device.empty([C]), device.empty([C])];
    const l = { C, HWv, vec4, lanes: bn.reduceLanes(isSoftware(device)) };
    const NP = bn.imagesPerGroup(HWv, N);
    const groups = Math.ceil(N / NP);
    const part = device.empty([C, groups * l.lanes, 2]);
    const chunks = E / (vec4 ? 4 : 1) / bn.chunkItems(HWv);
    const grid = grid1d(chunks, bn.BN_WORKGROUP);
    const buffers = (ts: Tensor[]): GPUBuffer[] => ts.map((t) => t.buffer);
    // name, bytes moved, kernel, dispatch
    const list: Array<[string, number, Kernel, DispatchArgs]> = [
      ['stats', 4 * E, bn.bnStatsPartials(l), { params: [N, NP, groups], buffers: buffers([x!, part]), workgroups: [groups, C] }],
      [
        'statsFinalize',
        0,
        bn.bnStatsFinalize(false, vec4),
        { params: [C, groups * l.lanes, HWv, f32(E / C), f32(1e-5), f32(0.1)], buffers: buffers([part, x!, stats]), workgroups: [1] },
      ],
      [
        'normalise',
        8 * E,
        bn.bnNormalize(l, { affine: true, residual: false, relu: true }),
        { params: [chunks], buffers: buffers([x!, stats, weight!, bias!, out!]), workgroups: grid },
      ],
      [
        'bwdPartials',
        12 * E,
        bn.bnBackwardPartials(l, true),
        { params: [N, NP, groups], buffers: buffers([g!, x!, stats, part, y!]), workgroups: [groups, C] },
      ],
      [
        'bwdFinalize',
        0,
        bn.BN_BACKWARD_FINALIZE,
        { params: [C, groups * l.lanes], buffers: buffers([part, stats, gB, gW]), workgroups: [1] },
      ],
      [
        'inputGrad',
        16 * E,
        bn.bnBackwardInput(l, { affine: true, masked: true, writeGm: false }),
        { params: [chunks, 1, f32(E / C)], buffers: buffers([g!, x!, stats, gB, gW, weight!, y!, out!]), workgroups: grid },
      ],
      [
        'addRelu',
        12 * E,
        ADD_RELU.vec4,
        { params: [E / 4], buffers: buffers([x!, g!, out!]), workgroups: grid1d(Math.ceil(E / 4 / ITEMS_PER_INVOCATION), 256) },
      ],
    ];
    const variants = list.map(([name, , kernel, args]): [string, () => void] => [
      name,
      () => {
        for (let r = 0; r < REPS; r++) device.dispatch(kernel, args);
      },
    ]);
    const times = await timeVariants(device, variants, rounds);
    const cells = list.map(([name, bytes]) => {
      const ms = times.get(name)!.cpuMs / REPS;
      return `${name} ${ms.toFixed(2)} ms${bytes ? ` ${gflops(bytes, ms).toFixed(1)} GB/s` : ''}`;
    });
    console.log(`${JSON.stringify(shape).padEnd(18)} ${cells.join(' | ')}`);
    for (const t of [x, g, y, out, weight, bias, stats, gB, gW, part]) t!.dispose();
  }
  console.log(`per 2 CPU-s; ${loadNote()}`);
}

await (passes ? timePasses() : timeOps());
device.destroy();
