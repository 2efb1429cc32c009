/** The CLI in a child process, for Node tests (test/helpers.ts is also bundled for the browser). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The repository's root (the CLI runs from there, as `npx tsx src/cli/main.ts`). */
const ROOT = path.resolve(__dirname, '..');

/** Runs `fer-gpu <args>` from the checkout in a child process: its exit code, stdout and stderr. */
export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
