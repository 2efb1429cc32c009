/**
 * Checks of option values against their domains, with errors that name the option: the library's
 * functions call them on their options before doing any work, so a bad value never runs.
 */
import { InputError } from './errors.js';

/** The values a number option accepts: an integer or any number, within optional bounds. */
export interface NumberDomain {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive upper bound. */
  below?: number;
}

/** Seeds: the integers the seeded generators use without folding two seeds into one. */
export const SEED: NumberDomain = { integer: true, min: 0, max: 2 ** 32 - 1 };

/** "an integer >= 1", "a number in [0, 1)", "a finite number". */
function describeDomain(d: NumberDomain): string {
  const kind = d.integer ? 'an integer' : 'a number';
  const lo = d.min !== undefined ? `[${d.min}` : d.above !== undefined ? `(${d.above}` : undefined;
  const hi = d.max !== undefined ? `${d.max}]` : d.below !== undefined ? `${d.below})` : undefined;
  if (lo && hi) return `${kind} in ${lo}, ${hi}`;
  if (lo) return `${kind} ${lo.startsWith('[') ? '>=' : '>'} ${lo.slice(1)}`;
  if (hi) return `${kind} ${hi.endsWith(']') ? '<=' : '<'} ${hi.slice(0, -1)}`;
  return d.integer ? 'an integer' : 'a finite number';
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}

/**
 * Throws an InputError `<where>: <name> must be <domain>, got <value>` unless `value` is a finite
 * number in the domain. Skips `undefined` (an option left out).
 */
export function checkNumber(where: string, name: string, value: unknown, domain: NumberDomain = {}): void {
  if (value === undefined) return;
  const d = domain;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!d.integer || Number.isInteger(value)) &&
    (d.min === undefined || value >= d.min) &&
    (d.above === undefined || value > d.above) &&
    (d.max === undefined || value <= d.max) &&
    (d.below === undefined || value < d.below);
  if (!ok) throw new InputError(`${where}: ${name} must be ${describeDomain(d)}, got ${show(value)}`);
}

/** Throws an InputError naming the option unless `value` is one of `allowed` (compared as values, never looked up). Skips `undefined`. */
export function checkOneOf(where: string, name: string, value: unknown, allowed: readonly string[]): void {
  if (value === undefined) return;
  if (!allowed.includes(value as string))
    throw new InputError(`${where}: ${name} must be one of ${allowed.join(', ')}, got ${show(value)}`);
}
