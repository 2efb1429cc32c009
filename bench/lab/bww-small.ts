/**
 * conv2dBackwardWeight on the narrow shapes of fer-resnet18(8) (stem and stages at batch 64):
 * the tilings chooseTiling picks against alternatives, each checked against the default's result
 * then timed (median of 7, to GPU completion).
 *   XDG_RUNTIME_DIR=/tmp npx tsx bench/lab/bww-small.ts
 * History (lavapipe, 2 cores): v1 one 64-wide workgroup, no split (stem 145 ms, 8->8 at 48x48
 * 214 ms); v2 workgroup sized to the C·R·S columns, reduction split into >= 16 workgroups (15 ms,
 * 45 ms; 16->16 at 24x24 62 -> 19 ms); wider layers unchanged.
 */
import { createDevice } from '../../src/gpu/dawn.js';
import { conv2dBackwardWeight } from '../../src/kernels/conv2d/index.js';
import { setTiling, chooseTiling } from '../../src/kernels/gemm/tiling.js';
const d = await createDevice();
const shapes = [
  { name: 'stem 1->8 48', N: 64, C: 1, K: 8, H: 48, s: 1 },
  { name: 'l1 8->8 48', N: 64, C: 8, K: 8, H: 48, s: 1 },
  { name: 'l2 16->16 24', N: 64, C: 16, K: 16, H: 24, s: 1 },
  { name: 'l3 32->32 12', N: 64, C: 32, K: 32, H: 12, s: 1 },
  { name: 'l4 64->64 6', N: 64, C: 64, K: 64, H: 6, s: 1 },
];
// null = chooseTiling's choice; { wg: 64, splits: 1 } = the choice before v2
const variants: Array<Record<string, number> | null> = [null, { wg: 64, splits: 1 }, { wg: 8, splits: 16 }, { wg: 16, splits: 16 }, { wg: 24, splits: 16 }, { wg: 40, splits: 16 }, { wg: 24, splits: 8 }];
for (const sh of shapes) {
  const x = d.tensor(Float32Array.from({ length: sh.N * sh.C * sh.H * sh.H }, (_, i) => Math.sin(i)), [sh.N, sh.C, sh.H, sh.H]);
  const P = sh.H;
  const gy = d.tensor(Float32Array.from({ length: sh.N * sh.K * P * P }, (_, i) => Math.cos(i)), [sh.N, sh.K, P, P]);
  const ref = await conv2dBackwardWeight(gy, x, [sh.K, sh.C, 3, 3], { padding: 1 }).toArray();
  const line: string[] = [];
  for (const v of variants) {
    setTiling(d, 'conv2dBackwardWeight', v);
    const t = chooseTiling(d, 'conv2dBackwardWeight', { rows: sh.K, cols: sh.C * 9, depth: sh.N * P * P });
    let out = conv2dBackwardWeight(gy, x, [sh.K, sh.C, 3, 3], { padding: 1 });
    const got = await out.toArray(); out.dispose();
    let err = 0; for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i]! - ref[i]!) / (1 + Math.abs(ref[i]!)));
    const times: number[] = [];
    for (let it = 0; it < 7; it++) { const t0 = performance.now(); const o = conv2dBackwardWeight(gy, x, [sh.K, sh.C, 3, 3], { padding: 1 }); await d.sync(); times.push(performance.now() - t0); o.dispose(); }
    times.sort((a, b) => a - b);
    line.push(`${JSON.stringify(v ?? 'default')}[bm${t.bm} bn${t.bn} wg${t.wg} sg${t.sg} sp${t.splits}] ${times[3]!.toFixed(1)}ms${err > 1e-3 ? ' ERR ' + err : ''}`);
  }
  console.log(sh.name + '\n  ' + line.join('\n  '));
  x.dispose(); gy.dispose();
}
d.destroy();
