/**
 * The part of vitest's API that the shared test files use (describe/it/hooks/onTestFinished/expect), for running
 * them in a browser page: bundles made by chromium.ts resolve `vitest` to this module. `expect` is
 * vitest's own (@vitest/expect on chai), so assertions behave as in Node; the runner is this small
 * collector, which runs tests one after another and reports each result.
 */
import { chai, GLOBAL_EXPECT, getState, JestAsymmetricMatchers, JestChaiExpect, JestExtend, setState } from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type ExpectFn = ((value: unknown, message?: string) => Chai.Assertion) & typeof chai.expect;

export const expect = ((value: unknown, message?: string) => {
  const { assertionCalls } = getState(expect as never) as { assertionCalls: number };
  setState({ assertionCalls: assertionCalls + 1 }, expect as never);
  return chai.expect(value, message);
}) as unknown as ExpectFn;
Object.assign(expect, chai.expect);
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null } as never, expect as never);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;

type Fn = () => unknown;
interface Suite {
  name: string;
  skip: boolean;
  beforeAll: Fn[];
  afterAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
  children: Array<Suite | Test>;
}
interface Test {
  name: string;
  fn: Fn;
  skip: boolean;
}

/** One test's outcome, as reported to the Node side. */
export interface TestResult {
  file: string;
  name: string;
  status: 'pass' | 'fail' | 'skip';
  error?: string;
  ms: number;
}

const root = (file: string): Suite => ({
  name: file,
  skip: false,
  beforeAll: [],
  afterAll: [],
  beforeEach: [],
  afterEach: [],
  children: [],
});
const files: Suite[] = [];
let current: Suite = root('');

/** Starts collecting the tests of one file (the page calls it before importing the file). */
export function beginFile(file: string): void {
  current = root(file);
  files.push(current);
}

function addSuite(name: string, fn: Fn, skip = false): void {
  const s: Suite = { ...root(name), skip: skip || current.skip };
  current.children.push(s);
  const parent = current;
  current = s;
  try {
    fn();
  } finally {
    current = parent;
  }
}

function addTest(name: string, fn: Fn, skip = false): void {
  current.children.push({ name, fn, skip: skip || current.skip });
}

export const describe = Object.assign((name: string, fn: Fn) => addSuite(name, fn), {
  skip: (name: string, fn: Fn) => addSuite(name, fn, true),
  skipIf: (cond: unknown) => (name: string, fn: Fn) => addSuite(name, fn, !!cond),
  runIf: (cond: unknown) => (name: string, fn: Fn) => addSuite(name, fn, !cond),
});
export const it = Object.assign((name: string, fn: Fn, _timeout?: number) => addTest(name, fn), {
  skip: (name: string, fn: Fn) => addTest(name, fn, true),
  skipIf: (cond: unknown) => (name: string, fn: Fn) => addTest(name, fn, !!cond),
  runIf: (cond: unknown) => (name: string, fn: Fn) => addTest(name, fn, !cond),
});
export const test = it;
/** Cleanups that the running test registered (onTestFinished), run when it ends, pass or fail. */
let finishers: Fn[] | null = null;
export function onTestFinished(fn: Fn): void {
  if (!finishers) throw new Error('onTestFinished: called outside a test');
  finishers.push(fn);
}
export const beforeAll = (fn: Fn): void => void current.beforeAll.push(fn);
export const afterAll = (fn: Fn): void => void current.afterAll.push(fn);
export const beforeEach = (fn: Fn): void => void current.beforeEach.push(fn);
export const afterEach = (fn: Fn): void => void current.afterEach.push(fn);

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

async function runSuite(
  s: Suite,
  file: string,
  path: string[],
  each: { before: Fn[]; after: Fn[] },
  out: TestResult[],
  onResult: (r: TestResult) => void,
): Promise<void> {
  const tests = (x: Suite | Test): boolean => ('fn' in x ? !x.skip : x.children.some(tests));
  const active = s.children.some(tests);
  let setupError: string | undefined;
  if (active) {
    try {
      for (const h of s.beforeAll) await h();
    } catch (e) {
      setupError = `beforeAll: ${message(e)}`;
    }
  }
  const hooks = { before: [...each.before, ...s.beforeEach], after: [...s.afterEach, ...each.after] };
  for (const child of s.children) {
    if (!('fn' in child)) {
      await runSuite(child, file, [...path, child.name], hooks, out, onResult);
      continue;
    }
    const name = [...path, child.name].join(' > ');
    const t0 = performance.now();
    let r: TestResult;
    if (child.skip) r = { file, name, status: 'skip', ms: 0 };
    else if (setupError) r = { file, name, status: 'fail', error: setupError, ms: 0 };
    else {
      finishers = [];
      try {
        for (const h of hooks.before) await h();
        await child.fn();
        for (const h of hooks.after) await h();
        r = { file, name, status: 'pass', ms: performance.now() - t0 };
      } catch (e) {
        r = { file, name, status: 'fail', error: message(e), ms: performance.now() - t0 };
      }
      for (const f of finishers.reverse()) {
        try {
          await f();
        } catch (e) {
          if (r.status === 'pass') r = { file, name, status: 'fail', error: `onTestFinished: ${message(e)}`, ms: r.ms };
        }
      }
      finishers = null;
    }
    out.push(r);
    onResult(r);
  }
  if (active) {
    try {
      for (const h of s.afterAll) await h();
    } catch (e) {
      const r: TestResult = { file, name: [...path, 'afterAll'].join(' > '), status: 'fail', error: message(e), ms: 0 };
      out.push(r);
      onResult(r);
    }
  }
}

/** Runs every collected file's tests in order; `onResult` sees each result as it comes. */
export async function runCollected(onResult: (r: TestResult) => void = () => {}): Promise<TestResult[]> {
  const out: TestResult[] = [];
  for (const f of files) await runSuite(f, f.name, [], { before: [], after: [] }, out, onResult);
  return out;
}
