/** `fer-gpu detect`, run as a user would (through tsx), on face-api's demo photos. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { FER_CLASSES } from '../../src/classes.js';
import { runCli } from '../run-cli.js';

const require = createRequire(import.meta.url);
const DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const run = (args: string[]) => runCli(args);

describe.skipIf(!existsSync(path.join(DEMO, 'sample1.jpg')))('fer-gpu detect', () => {
  it('--json: one line per file with boxes in its pixels and expressions; --out draws them; --on-error skip goes on', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fer-detect-'));
    const bad = path.join(dir, 'broken.jpg');
    writeFileSync(bad, Buffer.from([0xff, 0xd8, 0xff, 0x00]));
    const r = run([
      'detect',
      '--json',
      '--out',
      dir,
      '--on-error',
      'skip',
      path.join(DEMO, 'sample4.jpg'),
      bad,
      path.join(DEMO, 'sample1.jpg'),
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/skipped .*broken\.jpg: cannot decode JPEG/);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [path.basename(l.file), l.width, l.height, l.faces.length])).toEqual([
      ['sample4.jpg', 1920, 1448, 4],
      ['sample1.jpg', 1920, 1280, 3],
    ]);
    for (const f of lines.flatMap((l) => l.faces)) {
      expect(f.box).toHaveLength(4);
      expect(f.box[0]).toBeGreaterThanOrEqual(0);
      expect(f.box[0] + f.box[2]).toBeLessThanOrEqual(1920);
      expect(f.score).toBeGreaterThanOrEqual(0.6);
      expect(FER_CLASSES).toContain(f.label);
      expect(Object.keys(f.probabilities)).toEqual([...FER_CLASSES]);
    }
    const drawn = jpeg.decode(readFileSync(path.join(dir, 'sample4.jpg')));
    expect([drawn.width, drawn.height]).toEqual([1920, 1448]);
  });

  it('a table by default; a bad file stops with exit 1 naming it', () => {
    const t = run(['detect', '--range', 'short', path.join(DEMO, 'sample3.jpg')]);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/^file\s+size\s+faces\s+#\s+box \(x, y, w, h\)\s+score\s+expression/);
    expect(t.out).toMatch(/sample3\.jpg\s+1920x1350\s+2\s+1\s+\d+, \d+, \d+, \d+\s+0\.\d\d\s+\w+ \d+%/);
    const bad = run(['detect', 'no/such/photo.jpg']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/no\/such\/photo\.jpg: cannot read/);
    expect(run(['detect', '--range', 'medium', 'x.jpg']).code).toBe(1);
  });
});
