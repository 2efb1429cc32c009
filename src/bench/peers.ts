/**
 * Peer frameworks run on the same workloads, in child processes: TensorFlow.js's WebGPU backend
 * on the same Dawn adapter (bench/peers/tfjs.ts), fer-gpu's own ONNX export in onnxruntime-node
 * on the CPU (bench/peers/onnxruntime.ts, inference rows), @vladmandic/human (bench/peers/human.ts)
 * and fer-gpu's browser entry in headless Chromium (bench/peers/chromium.ts) on the faces rows,
 * and PyTorch on the CPU (bench/peers/torch_bench.py). Both live in the fer-gpu repository (not in the npm package), so
 * peers run from a checkout; anything missing makes the peer 'skipped' with the reason.
 *
 * Protocol: a peer gets `--ids a,b,c` (the row ids to run), `--quick`, and optionally
 * `--warmup N --timed N`, and prints one JSON line last on stdout:
 * `{ "peer", "version", "details", "rows": [{ "id", "median", "min", "max", "warmup", "timed", "note" }],
 *    "skipped": { id: reason } }`, times in ms per iteration.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchRow, type Iterations, type PeerInfo } from './schema.js';

interface PeerOutput {
  peer: string;
  version: string | null;
  details?: string;
  rows: Array<{ id: string; median: number; min: number; max: number; warmup: number; timed: number; note?: string }>;
  skipped?: Record<string, string>;
}

/** The fer-gpu checkout holding bench/peers, searched upwards from this file; null in an installed package. */
export function findPeersDir(): string | null {
  const starts = [process.cwd()];
  try {
    starts.unshift(path.dirname(fileURLToPath(import.meta.url)));
  } catch {
    // CommonJS build: no import.meta.url; the working directory is searched alone
  }
  for (let dir of starts) {
    for (let i = 0; i < 4; i++) {
      const p = path.join(dir, 'bench', 'peers');
      if (fs.existsSync(path.join(p, 'tfjs.ts'))) return p;
      dir = path.dirname(dir);
    }
  }
  return null;
}

/** The Python that runs the torch peer: $FER_GPU_PYTHON, else /usr/bin/python3 if present, else python3. */
function pythonExe(): string {
  return process.env.FER_GPU_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

function lastLine(s: string): string {
  const lines = s
    .trim()
    .split('\n')
    .filter((l) => l.trim());
  return lines[lines.length - 1] ?? '';
}

/** Runs one peer command; returns its output or the reason it could not run. */
function runPeer(cmd: string, args: string[], cwd: string, log: (m: string) => void): PeerOutput | string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  if (r.error) return `${cmd} did not start: ${r.error.message}`;
  if (r.status !== 0) return `exited with code ${r.status}: ${lastLine(r.stderr) || lastLine(r.stdout)}`.slice(0, 300);
  try {
    const out = JSON.parse(lastLine(r.stdout)) as PeerOutput;
    if (!Array.isArray(out.rows)) return 'printed no rows';
    return out;
  } catch {
    log(r.stdout.slice(-2000));
    return 'printed no JSON on its last line';
  }
}

/**
 * Runs the peers on the rows' workloads and fills each row's `peers`. Returns the peers' info
 * (ran or skipped, with versions).
 */
export function runPeers(rows: BenchRow[], o: { quick: boolean; iterations?: Iterations; log: (m: string) => void }): PeerInfo[] {
  const dir = findPeersDir();
  const args = ['--ids', rows.map((r) => r.id).join(',')];
  if (o.quick) args.push('--quick');
  if (o.iterations) args.push('--warmup', String(o.iterations.warmup), '--timed', String(o.iterations.timed));
  const peers: Array<{ name: string; run: () => PeerOutput | string }> = [
    {
      name: 'tfjs-webgpu',
      run: () => {
        if (!dir) return 'bench/peers not found: peers run from a fer-gpu checkout';
        const root = path.dirname(path.dirname(dir));
        if (!fs.existsSync(path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-webgpu'))) {
          return 'devDependency @tensorflow/tfjs-backend-webgpu is not installed (npm install in the checkout)';
        }
        return runPeer(process.execPath, ['--import', 'tsx', path.join(dir, 'tfjs.ts'), ...args], root, o.log);
      },
    },
    {
      name: 'onnxruntime-cpu',
      run: () => {
        if (!dir) return 'bench/peers not found: peers run from a fer-gpu checkout';
        const root = path.dirname(path.dirname(dir));
        if (!fs.existsSync(path.join(root, 'node_modules', 'onnxruntime-node')))
          return 'devDependency onnxruntime-node is not installed (npm install in the checkout)';
        return runPeer(process.execPath, ['--import', 'tsx', path.join(dir, 'onnxruntime.ts'), ...args], root, o.log);
      },
    },
    {
      name: 'human-wasm',
      run: () => {
        if (!dir) return 'bench/peers not found: peers run from a fer-gpu checkout';
        if (!rows.some((r) => r.id.startsWith('infer.faces-'))) return 'no faces rows in this run';
        const root = path.dirname(path.dirname(dir));
        if (!fs.existsSync(path.join(root, 'node_modules', '@vladmandic', 'human')))
          return 'devDependency @vladmandic/human is not installed (npm install in the checkout)';
        return runPeer(process.execPath, ['--import', 'tsx', path.join(dir, 'human.ts'), ...args], root, o.log);
      },
    },
    {
      name: 'chromium-webgpu',
      run: () => {
        if (!dir) return 'bench/peers not found: peers run from a fer-gpu checkout';
        if (!rows.some((r) => r.id.startsWith('infer.faces-'))) return 'no faces rows in this run';
        const root = path.dirname(path.dirname(dir));
        if (!fs.existsSync(path.join(root, 'node_modules', 'playwright-core')))
          return 'devDependency playwright-core is not installed (npm install in the checkout)';
        return runPeer(process.execPath, ['--import', 'tsx', path.join(dir, 'chromium.ts'), ...args], root, o.log);
      },
    },
    {
      name: 'torch-cpu',
      run: () => {
        if (!dir) return 'bench/peers not found: peers run from a fer-gpu checkout';
        const py = pythonExe();
        const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
        if (probe.error || probe.status !== 0) return `${py} cannot import torch: ${probe.error?.message ?? lastLine(probe.stderr)}`;
        return runPeer(py, [path.join(dir, 'torch_bench.py'), ...args], path.dirname(path.dirname(dir)), o.log);
      },
    },
  ];
  const infos: PeerInfo[] = [];
  for (const p of peers) {
    o.log(`peer: ${p.name}`);
    const out = p.run();
    if (typeof out === 'string') {
      o.log(`peer ${p.name} skipped: ${out}`);
      infos.push({ name: p.name, status: 'skipped', reason: out, version: null, details: '' });
      for (const r of rows) r.peers[p.name] = { skipped: out };
      continue;
    }
    infos.push({ name: p.name, status: 'ran', reason: '', version: out.version, details: out.details ?? '' });
    for (const r of rows) {
      const pr = out.rows.find((x) => x.id === r.id);
      if (!pr) {
        r.peers[p.name] = { skipped: out.skipped?.[r.id] ?? `not measured by the ${p.name} peer` };
        continue;
      }
      r.peers[p.name] = {
        median: pr.median,
        min: pr.min,
        max: pr.max,
        // same work as the row: a rate scales with 1/time, 'us' is the time itself
        figure: r.unit === 'us' ? pr.median * 1000 : (r.figure * r.median) / pr.median,
        iterations: { warmup: pr.warmup, timed: pr.timed },
        note: pr.note ?? '',
      };
    }
  }
  return infos;
}
