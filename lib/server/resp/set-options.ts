// The options of SET and GETEX, and the deadline an EX, PX, EXAT or PXAT asks
// for, read as Redis 7 reads them (t_string.c, parseExtendedStringArgumentsOrReply
// and getExpireMillisecondsOrReply): every option first, so a bad one is a
// syntax error before any amount is looked at; then the amount. Pure.

import { parseInt64 } from '../../core/arguments';
import { invalidExpireTime, notInteger, syntaxError } from './command';
import { deadlineAfter } from './expire-options';

export type ExpiryUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT';

export interface StringOptions {
  /** NX: false (only if absent); XX: true (only if present). */
  exists?: boolean;
  /** GET: answer the old value. */
  get?: boolean;
  /** KEEPTTL: keep the key's deadline. */
  keepTtl?: boolean;
  /** GETEX's PERSIST: remove the deadline. */
  persist?: boolean;
  /** The last EX, PX, EXAT or PXAT and its amount, as sent. */
  expiry?: { unit: ExpiryUnit; amount: string };
}

const units: ReadonlySet<string> = new Set<ExpiryUnit>(['EX', 'PX', 'EXAT', 'PXAT']);

/**
 * SET's options (`args[3]` on) or GETEX's (`args[2]` on), or a syntax error.
 * As in Redis, an option may come again (the last amount counts), but NX
 * excludes XX, and the expiry units, KEEPTTL and PERSIST exclude one another.
 */
export function parseStringOptions(args: readonly string[], command: 'set' | 'getex'): StringOptions | string {
  const forSet = command === 'set';
  const options: StringOptions = {};
  for (let at = forSet ? 3 : 2; at < args.length; at++) {
    const word = args[at]!.toUpperCase();
    if (forSet && word === 'NX' && options.exists !== true) options.exists = false;
    else if (forSet && word === 'XX' && options.exists !== false) options.exists = true;
    else if (forSet && word === 'GET') options.get = true;
    else if (forSet && word === 'KEEPTTL' && options.expiry === undefined) options.keepTtl = true;
    else if (!forSet && word === 'PERSIST' && options.expiry === undefined) options.persist = true;
    else if (units.has(word) && !options.keepTtl && !options.persist && (options.expiry?.unit ?? word) === word && at + 1 < args.length) {
      options.expiry = { unit: word as ExpiryUnit, amount: args[++at]! };
    } else return syntaxError;
  }
  return options;
}

/**
 * The deadline (epoch ms) an expiry asks for at `now`, or the error reply:
 * not an integer, or not positive or out of range ("invalid expire time in
 * '<command>' command"). Redis takes deadlines up to 2^63 - 1 ms; ours are
 * JS numbers, exact up to 2^53 - 1 ms (the year 287,396), and past that are
 * refused with the same error. A deadline already past is 1, so that every
 * node sees it past.
 */
export function expiryDeadline(expiry: { unit: ExpiryUnit; amount: string }, command: string, now: number): number | string {
  const amount = parseInt64(expiry.amount);
  if (amount === undefined) return notInteger;
  if (amount <= 0n) return invalidExpireTime(command);
  const relative = expiry.unit === 'EX' || expiry.unit === 'PX';
  return deadlineAfter(amount, expiry.unit === 'EX' || expiry.unit === 'EXAT' ? 1000n : 1n, relative ? now : 0, command, now);
}
