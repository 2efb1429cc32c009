/**
 * The autotuner's store in Node: a JSON file, FER_GPU_CACHE_DIR/tilings.json, else
 * ~/.cache/fer-gpu/tilings.json. Importing this module makes it the store (dawn.ts does).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTuneStore, type TuneCache, type TuneStore } from './autotune.js';

/** The cache file: FER_GPU_CACHE_DIR/tilings.json, else ~/.cache/fer-gpu/tilings.json. */
export function tuneCachePath(): string {
  return join(process.env.FER_GPU_CACHE_DIR ?? join(homedir(), '.cache', 'fer-gpu'), 'tilings.json');
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
