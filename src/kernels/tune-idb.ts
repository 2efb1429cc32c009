/**
 * The autotuner's store in the browser: memory for the page, backed by IndexedDB (database
 * "fer-gpu", store "tilings") so a later visit skips tuning. Importing this module makes it the
 * store; navigator.ts waits for {@link loadTunedTilings} before handing out a device. Without
 * IndexedDB (some private modes, workers without it) the tilings last for the page.
 */
import { setTuneStore, type TuneCache, type TuneStore } from './autotune.js';

const DB = 'fer-gpu';
const STORE = 'tilings';
const KEY = 'tilings';

let memory: TuneCache = {};
let loading: Promise<void> | null = null;

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('IndexedDB blocked'));
  });
}

async function transact<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = fn(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

/** Tilings in memory, written through to IndexedDB (best effort). */
export const idbTuneStore: TuneStore = {
  load: () => structuredClone(memory),
  save(cache: TuneCache): void {
    memory = structuredClone(cache);
    if (typeof indexedDB === 'undefined') return;
    transact('readwrite', (s) => s.put(memory, KEY)).catch(() => {});
  },
};

/** Reads the stored tilings from IndexedDB once per page (never rejects). */
export function loadTunedTilings(): Promise<void> {
  loading ??= (async () => {
    try {
      if (typeof indexedDB !== 'undefined') memory = ((await transact('readonly', (s) => s.get(KEY))) as TuneCache | undefined) ?? {};
    } catch {
      // unavailable or unreadable: tune again on this page
    }
    setTuneStore(idbTuneStore); // autotune re-reads its cache from memory
  })();
  return loading;
}

setTuneStore(idbTuneStore);
