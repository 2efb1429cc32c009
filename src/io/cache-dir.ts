/**
 * The user's fer-gpu cache folder in Node, shared by the decoded-data cache (data/cache.ts) and the
 * kernel autotuner's tilings.json (kernels/tune-file.ts): `$FER_GPU_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/fer-gpu` (when absolute, as the XDG spec asks), else `~/.cache/fer-gpu`.
 */
import os from 'node:os';
import path from 'node:path';

export function userCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return (
    process.env.FER_GPU_CACHE_DIR ??
    (xdg && path.isAbsolute(xdg) ? path.join(xdg, 'fer-gpu') : path.join(os.homedir(), '.cache', 'fer-gpu'))
  );
}
