/**
 * Where this fer-gpu installation sits: the folder of its package.json, which holds the shipped
 * model and the software-driver installer.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of this module: `src/` under tsx/vitest, `dist/` in the ESM build (both
 * from import.meta.url), `dist/` in the CommonJS build too (esbuild empties import.meta there,
 * so `__dirname` of the CommonJS module wrapper is used).
 */
export function moduleDir(): string | undefined {
  try {
    const url = (import.meta as { url?: string }).url;
    if (url) return path.dirname(fileURLToPath(url));
  } catch {
    // not a file: URL (a bundle); fall through
  }
  return typeof __dirname === 'string' ? __dirname : undefined;
}

let cachedRoot: string | null | undefined;

/**
 * The root of the installed fer-gpu package (the folder of its package.json), found by walking
 * up from this module; null when this code was bundled into something else.
 */
export function packageRoot(): string | null {
  if (cachedRoot !== undefined) return cachedRoot;
  cachedRoot = null;
  let dir = moduleDir();
  for (let i = 0; dir && i < 6; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fer-gpu') {
          cachedRoot = dir;
          break;
        }
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return cachedRoot;
}

/** True in a clone of the fer-gpu repository (its sources are there), false in an installed package. */
export function isCheckout(): boolean {
  const root = packageRoot();
  return root !== null && existsSync(path.join(root, 'src', 'cli', 'main.ts'));
}
