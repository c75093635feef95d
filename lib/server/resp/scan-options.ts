// SCAN and HSCAN's arguments: a cursor, then MATCH, COUNT and (SCAN only) TYPE
// in any order, with Redis's errors. Pure.

import { maxScanCount, parseInt64 } from '../../core/arguments';
import { notInteger, syntaxError } from './command';
import { error } from './reply';

export interface ScanOptions {
  match?: string;
  count: number;
  type?: string;
}

export const invalidCursor = error('ERR', 'invalid cursor');

/** A cursor as the store takes it (a safe non-negative integer), or undefined. */
export function parseCursor(text: string): number | undefined {
  const cursor = parseInt64(text);
  return cursor === undefined || cursor < 0n || cursor > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(cursor);
}

/** The options from `args[from]` on, or the error reply. COUNT is capped at the store's page limit. */
export function parseScanOptions(args: readonly string[], from: number, typeAllowed: boolean): ScanOptions | string {
  const options: ScanOptions = { count: 10 };
  for (let at = from; at < args.length; at += 2) {
    const word = args[at]!.toUpperCase();
    const value = args[at + 1];
    if (value === undefined) return syntaxError;
    if (word === 'MATCH') options.match = value;
    else if (word === 'COUNT') {
      const count = parseInt64(value);
      if (count === undefined) return notInteger;
      if (count < 1n) return syntaxError;
      options.count = Number(count > BigInt(maxScanCount) ? BigInt(maxScanCount) : count);
    } else if (word === 'TYPE' && typeAllowed) options.type = value.toLowerCase();
    else return syntaxError;
  }
  return options;
}
