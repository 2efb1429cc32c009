import { FerDataError } from '../data/dataset.js';

/**
 * The bytes at a URL; every failure (network, HTTP status, 60 s without an answer) is an error
 * naming the URL and what was fetched, never a hang.
 */
export async function fetchBytes(url: string, what = ''): Promise<Uint8Array> {
  const fail = (why: string) => new FerDataError(url, `cannot fetch${what ? ` ${what}` : ''}: ${why}`.trimEnd());
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (!res.ok) throw fail(`HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}
