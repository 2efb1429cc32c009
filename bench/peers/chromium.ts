/**
 * Peer: fer-gpu itself in headless Chromium (`fer-gpu/browser` on the browser's WebGPU; on a
 * machine without a GPU that is SwiftShader) on the faces rows of the infer suite: recognize() on
 * the same 640x480 frame (src/bench/faces.ts benchFrame) given as ImageData, with the same
 * detector range, models loaded once, each frame timed to its results on the CPU. Beside the row
 * (Dawn's adapter) it shows what a web page gets on the same machine. Run by src/bench/peers.ts;
 * prints one JSON line (protocol in that file).
 *
 *   node --import tsx bench/peers/chromium.ts --ids infer.faces-full-640x480 [--warmup 3 --timed 10]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { benchFrame } from '../../src/bench/faces.js';
import { summarize } from '../../src/bench/schema.js';
import { CHROMIUM, HAVE_CHROMIUM, openEntryPage, ROOT } from '../../test/browser/chromium.js';

type Fer = typeof import('../../src/browser/index.js');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const ids = (arg('--ids') ?? '').split(',').filter((id) => /^infer\.faces-(full|short)-640x480$/.test(id));
const plan = arg('--timed') ? { warmup: Number(arg('--warmup') ?? 0), timed: Number(arg('--timed')) } : { warmup: 3, timed: 10 };

const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
if (!HAVE_CHROMIUM) {
  console.log(
    JSON.stringify({
      peer: 'chromium-webgpu',
      version: null,
      rows: [],
      skipped: Object.fromEntries(ids.map((id) => [id, `${CHROMIUM} is missing (apt-get install chromium)`])),
    }),
  );
  process.exit(0);
}

const { frame, source } = benchFrame();
const rgba = new Uint8Array(frame.width * frame.height * 4);
const channels = frame.channels ?? frame.data.length / (frame.width * frame.height);
for (let i = 0; i < frame.width * frame.height; i++)
  for (let c = 0; c < 4; c++) rgba[4 * i + c] = c === 3 ? 255 : frame.data[i * channels + (channels >= 3 ? c : 0)]!;

const page = await openEntryPage({ routes: { '/frame.rgba': rgba } });
try {
  const rows = [];
  let details = '';
  for (const id of ids) {
    const range: 'full' | 'short' = id.includes('-full-') ? 'full' : 'short';
    const r = await page.page.evaluate(
      async ({ range, width, height, plan }) => {
        const fer = (window as unknown as { fer: Fer }).fer;
        const device = await fer.createDevice();
        const models = await fer.loadFaceModels(device, { ranges: [range] });
        const image = new ImageData(new Uint8ClampedArray(await (await fetch('/frame.rgba')).arrayBuffer()), width, height);
        const times: number[] = [];
        let faces = 0;
        let first = 0;
        for (let i = 0; i < plan.warmup + plan.timed; i++) {
          const t0 = performance.now();
          faces = (await fer.recognize(models, image, { range })).length;
          const ms = performance.now() - t0;
          if (i === 0) first = ms;
          if (i >= plan.warmup) times.push(ms);
        }
        const i = device.info;
        models.dispose();
        device.destroy();
        return {
          times,
          faces,
          first,
          adapter: `${i.vendor} ${i.architecture}${i.isFallbackAdapter ? ' (fallback adapter)' : ''}`,
          browser: navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? 'Chromium',
        };
      },
      { range, width: frame.width, height: frame.height, plan },
    );
    details = `fer-gpu ${version} browser entry in headless ${r.browser}, WebGPU adapter ${r.adapter}`;
    rows.push({
      id,
      ...summarize(r.times), // the median as fer-gpu's own rows take it
      warmup: plan.warmup,
      timed: plan.timed,
      note: `${source}: ${r.faces} faces found; first frame ${(r.first / 1000).toFixed(2)} s (shader compilation)`,
    });
  }
  console.log(JSON.stringify({ peer: 'chromium-webgpu', version, details, rows }));
} finally {
  await page.close();
}
