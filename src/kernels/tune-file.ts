/**
 * The autotuner's store in Node: tilings.json in the user's fer-gpu cache folder (io/cache-dir.ts:
 * $FER_GPU_CACHE_DIR, else $XDG_CACHE_HOME/fer-gpu, else ~/.cache/fer-gpu). Importing this module
 * makes it the store (dawn.ts does).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { userCacheDir } from '../io/cache-dir.js';
import { setTuneStore, type TuneCache, type TuneStore } from './autotune.js';

/** The cache file: tilings.json in {@link userCacheDir}. */
export function tuneCachePath(): string {
  return join(userCacheDir(), 'tilings.json');
}

/** Reads and writes {@link tuneCachePath} (at the time of each call). */
export const fileTuneStore: TuneStore = {
  load(): TuneCache {
    try {
      return JSON.parse(readFileSync(tuneCachePath(), 'utf8')) as TuneCache;
    } catch {
      return {}; // absent or unreadable: no tuned tilings
    }
  },
  save(cache: TuneCache): void {
    try {
      mkdirSync(dirname(tuneCachePath()), { recursive: true });
      writeFileSync(tuneCachePath(), JSON.stringify(cache, null, 2));
    } catch {
      // not writable: the winner still holds for this process (autotune's copy)
    }
  },
};

setTuneStore(fileTuneStore);
