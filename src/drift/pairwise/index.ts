/**
 * GPU pairwise maths for embedding drift (see wgsl.ts), with CPU references (reference.ts).
 * These read results back: they serve analysis code, not training steps.
 */
import { f32, grid1d, type Device } from '../../gpu/device.js';
import { RBF_ROWSUMS_KERNEL, SQDIST_KERNEL } from './wgsl.js';

export { sqDistReference, rbfRowSumsReference } from './reference.js';

const MAX_ROWS_PER_DISPATCH = 65535;
/** Columns per chunk of the RBF row sums: N/CHUNK extra invocations keep small N busy. */
const RBF_CHUNK = 512;

/** Squared euclidean distances between rows of A [m, d] and B [n, d], computed on the GPU → [m, n]. */
export async function pairwiseSqDistGpu(
  device: Device,
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  d: number,
): Promise<Float32Array> {
  if (a.length !== m * d || b.length !== n * d) {
    throw new Error(`pairwiseSqDistGpu: A has ${a.length} values for [${m}, ${d}], B has ${b.length} for [${n}, ${d}]`);
  }
  if (m === 0 || n === 0) return new Float32Array(0);
  const out = new Float32Array(m * n);
  const tb = device.tensor(b, [n, d]);
  // Row blocks keep each dispatch under the 65,535 workgroups limit and the output under 64 Mi floats.
  const rowsPerBlock = Math.max(1, Math.min(MAX_ROWS_PER_DISPATCH, Math.floor((1 << 26) / n)));
  for (let r0 = 0; r0 < m; r0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, m - r0);
    const ta = device.tensor(a.subarray(r0 * d, (r0 + rows) * d), [rows, d]);
    const to = device.empty([rows, n]);
    device.dispatch(SQDIST_KERNEL, {
      params: [rows, n, d],
      buffers: [ta.buffer, tb.buffer, to.buffer],
      workgroups: [Math.ceil(Math.ceil(n / 4) / 64), rows],
    });
    out.set(await to.toArray(), r0 * n);
    ta.dispose();
    to.dispose();
  }
  tb.dispose();
  return out;
}

/**
 * RBF row sums of Z [N, d] split at row `split` (see RBF_ROWSUMS_KERNEL), on the GPU → [N, 2]
 * in f64 (chunk partial sums are added on the CPU).
 */
export async function rbfRowSumsGpu(
  device: Device,
  z: Float32Array,
  n: number,
  d: number,
  split: number,
  gamma: number,
): Promise<Float64Array> {
  if (z.length !== n * d) throw new Error(`rbfRowSumsGpu: Z has ${z.length} values for [${n}, ${d}]`);
  const chunks = Math.ceil(n / RBF_CHUNK);
  const tz = device.tensor(z, [n, d]);
  const to = device.empty([n, chunks, 2]);
  const [gx, gy] = grid1d(n, 64);
  if (gy !== 1 || chunks > MAX_ROWS_PER_DISPATCH)
    throw new Error(`rbfRowSumsGpu: ${n} rows is more than this kernel supports (${64 * 65535})`);
  device.dispatch(RBF_ROWSUMS_KERNEL, {
    params: [n, d, split, RBF_CHUNK, chunks, f32(gamma)],
    buffers: [tz.buffer, to.buffer],
    workgroups: [gx, chunks],
  });
  const part = await to.toArray();
  tz.dispose();
  to.dispose();
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < chunks; c++) {
      out[i * 2]! += part[(i * chunks + c) * 2]!;
      out[i * 2 + 1]! += part[(i * chunks + c) * 2 + 1]!;
    }
  }
  return out;
}
