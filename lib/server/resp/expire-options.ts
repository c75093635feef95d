// The arguments of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT read as Redis 7
// reads them (expire.c, expireGenericCommand): the NX, XX, GT and LT options
// first, then the amount, which may be negative (a deadline already past
// deletes the key). Pure.

import { parseInt64 } from '../../core/arguments';
import { invalidExpireTime, notInteger } from './command';
import { error } from './reply';

/** NX: only without a deadline; XX: only with one; GT, LT: only if the new deadline is later, earlier. */
export interface ExpireConditions {
  nx?: true;
  xx?: true;
  gt?: true;
  lt?: true;
}

const conditionNames: ReadonlySet<string> = new Set(['nx', 'xx', 'gt', 'lt']);

/** The options from `args[3]` on, or Redis's error: an unknown one, or NX with XX, GT or LT, or GT with LT. */
export function parseExpireConditions(args: readonly string[]): ExpireConditions | string {
  const conditions: ExpireConditions = {};
  for (const option of args.slice(3)) {
    const name = option.toLowerCase();
    if (!conditionNames.has(name)) return error('ERR', `Unsupported option ${option}`);
    conditions[name as keyof ExpireConditions] = true;
  }
  if (conditions.nx && (conditions.xx || conditions.gt || conditions.lt)) return error('ERR', 'NX and XX, GT or LT options at the same time are not compatible');
  if (conditions.gt && conditions.lt) return error('ERR', 'GT and LT options at the same time are not compatible');
  return conditions;
}

const int64Max = 2n ** 63n - 1n;

/**
 * The deadline (epoch ms) that `amount` in `unitMs` (1000 or 1) after `base`
 * (now, or 0 for EXPIREAT and PEXPIREAT) asks for, or the error reply. Past
 * Redis's own range, and past 2^53 - 1 ms (ours), it is "invalid expire time";
 * a deadline at `now` or before is 1, which every node sees past.
 */
export function expireDeadline(amount: string, unitMs: 1000n | 1n, base: number, command: string, now: number): number | string {
  const parsed = parseInt64(amount);
  return parsed === undefined ? notInteger : deadlineAfter(parsed, unitMs, base, command, now);
}

/** `amount` in `unitMs` after `base`, as expireDeadline says; SET's and GETEX's expiries too (set-options.ts). */
export function deadlineAfter(amount: bigint, unitMs: 1000n | 1n, base: number, command: string, now: number): number | string {
  const ms = amount * unitMs;
  if (ms > int64Max || ms < -int64Max - 1n || ms + BigInt(base) > BigInt(Number.MAX_SAFE_INTEGER)) return invalidExpireTime(command);
  const deadline = ms + BigInt(base);
  return deadline <= BigInt(now) ? 1 : Number(deadline);
}
