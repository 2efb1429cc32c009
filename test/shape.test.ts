/**
 * The shape of the code (issue 20): no import circle in src/, and no file in src/ over ~400 lines
 * unless its opening comment says why.
 *
 * The circle check is madge with the repository's .madgerc, so `npx madge --circular src` on the
 * command line gives the same answer. It follows the imports that exist at run time and skips
 * `import type`: TypeScript erases those, and some types must name each other (a Device makes
 * Tensors, a Tensor knows its Device) without any module depending on another's evaluation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type MadgeResult = { circular(): string[][] };
const madge = createRequire(import.meta.url)('madge') as (root: string, config: object) => Promise<MadgeResult>;

const root = path.resolve(__dirname, '..');
const config = JSON.parse(fs.readFileSync(path.join(root, '.madgerc'), 'utf8')) as object;

/** Import circles among the .ts files under `dir`, as `npx madge --circular` reports them. */
async function circles(dir: string): Promise<string[][]> {
  return (await madge(dir, config)).circular();
}

describe('import circles', () => {
  it('src/ has none', async () => {
    expect(await circles(path.join(root, 'src'))).toEqual([]);
  }, 60_000);

  it('the check finds a runtime circle and passes over a type-only one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-madge-'));
    try {
      const files: Record<string, string> = {
        'a.ts': "import { b } from './b.js';\nexport const a = () => b();\n",
        'b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
        'c.ts': "import type { D } from './d.js';\nexport interface C { d: D }\n",
        'd.ts': "import type { C } from './c.js';\nexport interface D { c: C }\n",
      };
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      expect(await circles(dir)).toEqual([['a.ts', 'b.ts']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Every file in src/ keeps under MAX_LINES unless its opening comment says why. */
const SPLIT_FOLDERS = ['src'];
const MAX_LINES = 400;
/** The phrase an opening comment uses to say why its file is longer. */
const REASON = /Over 400 lines on purpose:/;

describe('file length', () => {
  const files = SPLIT_FOLDERS.flatMap((folder) =>
    (fs.readdirSync(path.join(root, folder), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(folder, f)),
  );

  it.each(files)(`%s: at most ${MAX_LINES} lines, or says why`, (file) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const lines = text.split('\n').length - 1;
    const opening = text.slice(0, text.indexOf('*/') + 2);
    if (lines > MAX_LINES) expect(opening, `${file} has ${lines} lines and its opening comment gives no reason`).toMatch(REASON);
  });
});
