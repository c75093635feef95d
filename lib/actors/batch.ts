// Applying a batch of operations to a table and answering it: shared by the
// bucket's handler and by its crash handler, which answers a half-done batch.

import { isInt64, parseInt64 } from '../core/arguments';
import { wallNow } from '../core/clock';
import { globMatcher } from '../core/glob';
import { failed, isWrite, ok, okEmpty, type BucketOp, type Outcome } from '../core/operations';
import type { ErrorData } from '../errors';
import type { BucketTable } from '../storage/storage';
import type { BatchMsg } from './messages';

/** Applies one operation; a `crash` operation throws, as a bug would. */
export function applyOp(table: BucketTable, op: BucketOp): Outcome {
  switch (op.kind) {
    case 'get':
      return ok(table.get(op.key));
    case 'has':
      return ok(table.get(op.key) !== undefined);
    case 'put':
      table.put(op.key, op.value, op.expiresAt);
      return okEmpty;
    case 'expire':
      return ok(expire(table, op.key, op.expiresAt));
    case 'ttl':
      return ok(timeToLive(table, op.key));
    case 'delete':
      return ok(table.delete(op.key));
    case 'keys':
      return ok(table.scan(op.cursor, op.count, op.match === undefined ? undefined : globMatcher(op.match)));
    case 'size':
      return ok(table.size);
    case 'clear':
      return ok(table.clear());
    case 'getMany':
      return ok(op.keys.map((key) => table.get(key) ?? null));
    case 'putMany': {
      let added = 0;
      for (const [key, value] of op.entries) {
        if (table.get(key) === undefined) added++;
        table.put(key, value);
      }
      return ok(added);
    }
    case 'incrBy':
      return incrBy(table, op.key, op.by);
    case 'append': {
      const entry = table.entry(op.key);
      const value = (entry?.value ?? '') + op.value;
      table.put(op.key, value, entry?.expiresAt);
      return ok(value.length);
    }
    case 'putIf': {
      if ((table.get(op.key) !== undefined) !== op.exists) return ok(false);
      table.put(op.key, op.value, op.expiresAt);
      return ok(true);
    }
    case 'crash':
      throw new Error(op.reason);
    case 'dump':
      return ok([...table.entries()]);
    case 'replace':
      table.clear();
      for (const [key, value, expiresAt] of op.entries) table.put(key, value, expiresAt);
      return okEmpty;
  }
}

/** Redis's INCRBY on a 64-bit integer kept as its decimal text; the deadline stays. */
function incrBy(table: BucketTable, key: string, by: string): Outcome {
  const entry = table.entry(key);
  const current = entry === undefined ? 0n : parseInt64(entry.value);
  if (current === undefined) return failed({ code: 'BAD_REQUEST', message: 'value is not an integer or out of range' });
  const sum = current + BigInt(by);
  if (!isInt64(sum)) return failed({ code: 'BAD_REQUEST', message: 'increment or decrement would overflow' });
  const value = sum.toString();
  table.put(key, value, entry?.expiresAt);
  return ok(value);
}

/** Sets (or with 0 removes) a key's deadline; one already past deletes the key, as Redis's EXPIRE does. */
function expire(table: BucketTable, key: string, expiresAt: number): boolean {
  const entry = table.entry(key);
  if (!entry) return false;
  if (expiresAt !== 0 && expiresAt <= wallNow()) table.delete(key);
  else if (expiresAt !== entry.expiresAt) table.put(key, entry.value, expiresAt);
  return true;
}

/** As Redis's PTTL: milliseconds left, -1 for a key without a deadline, -2 for no key. */
function timeToLive(table: BucketTable, key: string): number {
  const entry = table.entry(key);
  if (!entry) return -2;
  return entry.expiresAt === 0 ? -1 : Math.max(0, entry.expiresAt - wallNow());
}

/**
 * The storage could not keep this batch's writes, and has rolled them back:
 * every operation from the first write on answers `error`, reads included,
 * since a read after a write in the batch saw a value that was never stored.
 */
export function failUnstored(msg: BatchMsg, error: ErrorData): void {
  const firstWrite = msg.ops.findIndex(isWrite);
  if (firstWrite === -1) return;
  msg.results = msg.results.map((result, index) => (index >= firstWrite ? failed(error) : result));
}


/** Sends the batch's results to its caller. */
export function replyBatch(msg: BatchMsg): void {
  msg.replyTo(ok(msg.results));
}

/** Answers every message with `error` (a stopped actor's mailbox, say). */
export function replyError(messages: readonly BatchMsg[], error: ErrorData): void {
  for (const msg of messages) msg.replyTo(failed(error));
}
