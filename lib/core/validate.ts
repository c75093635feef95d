// Option checks shared by every options type: each throws a BAD_REQUEST
// KvError that names the option at fault.

import { KvError } from '../errors';

/**
 * Throws BAD_REQUEST naming the first key of `options` that `known` lacks: a
 * misspelt option would otherwise be ignored and its default used in silence.
 */
export function rejectUnknownKeys(prefix: string, options: unknown, known: Readonly<Record<string, true>>): void {
  const what = prefix === '' ? 'options' : `option \`${prefix.slice(0, -1)}\``;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new KvError('BAD_REQUEST', `${what} must be an object`);
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(known, key)) throw new KvError('BAD_REQUEST', `unknown option \`${prefix}${key}\` (known: ${Object.keys(known).join(', ')})`);
  }
}

/** Throws a BAD_REQUEST KvError naming the option unless `value` is a positive (or, if allowed, zero) integer. */
export function requirePositiveInteger(name: string, value: number, zeroAllowed = false): void {
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new KvError('BAD_REQUEST', `option \`${name}\` must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, got ${String(value)}`);
  }
}

/** The longest delay Node's timers honour: a longer one fires after 1 ms. */
const maxTimerDelayMs = 2 ** 31 - 1;

/** A duration in milliseconds that a timer waits for: a (non-negative) integer a timer can honour. */
export function requireDuration(name: string, value: number, zeroAllowed = false): void {
  requirePositiveInteger(name, value, zeroAllowed);
  if (value > maxTimerDelayMs) throw new KvError('BAD_REQUEST', `option \`${name}\` must be at most ${maxTimerDelayMs} ms (about 24.8 days), got ${value}`);
}

/** A copy without the fields set to undefined, so they do not override defaults. */
export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The highest TCP port. */
export const maxPort = 65535;

/** A TCP port to listen on or dial: 0 (any free one, for a listener) to 65535. */
export function requirePort(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > maxPort) {
    throw new KvError('BAD_REQUEST', `option \`${name}\` needs a port from 0 to ${maxPort}, got ${String(value)}`);
  }
}
