/**
 * The browser entry has the Node entry's layout: what it exports at its root is at Node's root,
 * and each namespace's names are in Node's namespace of the same name (the browser has the
 * platform-free part), so code moves between the two entries without renaming.
 */
import { expect, it } from 'vitest';
import * as node from '../../src/index.js';
import * as browser from '../../src/browser/index.js';

// The browser's own forms of Node's names (fetching instead of reading files, navigator.gpu).
const BROWSER_ONLY = new Set(['WebGPUUnavailableError', 'defaultWeightsUrl', 'defaultDetectorUrl', 'loadModelFromBytes']);

it("every name at fer-gpu/browser's root is at fer-gpu's root, and each namespace is a subset of Node's", () => {
  const missing: string[] = [];
  for (const [name, value] of Object.entries(browser)) {
    if (BROWSER_ONLY.has(name)) continue;
    if (!(name in node)) {
      missing.push(name);
      continue;
    }
    const nodeValue = (node as Record<string, unknown>)[name];
    if (
      value &&
      typeof value === 'object' &&
      !ArrayBuffer.isView(value) &&
      !Array.isArray(value) &&
      Object.getPrototypeOf(value) === null
    ) {
      for (const inner of Object.keys(value)) {
        if (BROWSER_ONLY.has(inner)) continue;
        if (!(inner in (nodeValue as object))) missing.push(`${name}.${inner}`);
      }
    }
  }
  expect(missing).toEqual([]);
  for (const ns of ['data', 'io', 'training', 'ops', 'nn', 'optim', 'metrics']) expect(Object.keys(browser)).toContain(ns);
});
