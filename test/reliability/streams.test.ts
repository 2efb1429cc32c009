/**
 * Issue 14 item 1: a stream error (an unreadable CSV) rejects the loader's promise with an
 * InputError naming the file; it never escapes as an unhandled 'error' event.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadFer2013Csv } from '../../src/data/csv.js';
import { FerDataError } from '../../src/data/dataset.js';
import { InputError } from '../../src/errors.js';
import { row } from '../data/helpers.js';

const root = path.resolve(__dirname, '../..');
const NOBODY = 65534;

function csvFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-streams-'));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'locked.csv');
  fs.writeFileSync(file, ['emotion,pixels,Usage', row(0), row(1)].join('\n') + '\n');
  return file;
}

/** Whether `nobody` can run this checkout's code (every folder above it must be searchable). */
function nobodyCanRead(): boolean {
  for (let d = root; ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o005) !== 0o005) return false;
    if (path.dirname(d) === d) return true;
  }
}

const isRoot = process.getuid?.() === 0;
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
const canDropToNobody = isRoot && !!setpriv && nobodyCanRead();
if (isRoot && !canDropToNobody) console.warn('skipping the permission-denied CSV test: needs setpriv and a checkout readable by nobody');

describe('an unreadable CSV is a rejected promise, not a crash', () => {
  afterEach(() => vi.restoreAllMocks());

  it.skipIf(isRoot && !canDropToNobody)('permission denied (chmod 000), as a user who cannot read it', () => {
    const file = csvFile();
    fs.chmodSync(file, 0o000);
    const script = `
      import { loadFer2013Csv } from './src/data/csv.ts';
      try { await loadFer2013Csv(${JSON.stringify(file)}, { cache: false }); console.log('loaded'); }
      catch (e) { console.log('caught ' + e.name + ': ' + e.message); }`;
    const cmd = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
    const r = canDropToNobody
      ? spawnSync(setpriv!, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...cmd], {
          cwd: root,
          encoding: 'utf8',
          env: { ...process.env, HOME: '/tmp' },
        })
      : spawnSync(cmd[0]!, cmd.slice(1), { cwd: root, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/Unhandled 'error' event/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`caught FerDataError: ${file}: cannot read CSV: EACCES`);
  });

  it('a read error in the middle of the stream (EISDIR from a real read stream)', async () => {
    const file = csvFile();
    const real = fs.createReadStream;
    // The file passes the checks before streaming; the stream itself then fails on its first read.
    vi.spyOn(fs, 'createReadStream').mockImplementation(((..._args: unknown[]) => real(path.dirname(file))) as typeof fs.createReadStream);
    const err = await loadFer2013Csv(file, { cache: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerDataError);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read CSV: EISDIR`));
  }, 20_000); // before the fix the promise never settled
});
