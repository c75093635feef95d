// Applying a batch of operations to a table and answering it: shared by the
// bucket's handler and by its crash handler, which answers a half-done batch.

import { globMatcher } from '../core/glob';
import { failed, isWrite, ok, okEmpty, type BucketOp, type Outcome } from '../core/operations';
import type { ErrorData } from '../errors';
import type { BucketTable } from '../storage/storage';
import { deadline, expire, expireIf, getExpire, timeToLive } from './deadline-ops';
import type { BatchMsg } from './messages';
import { append, getSet, incrBy, incrByFloat, putIf, putMany, putManyIfAbsent, setRange } from './read-modify-write';

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
    case 'putMany':
      return ok(putMany(table, op.entries));
    case 'putManyIfAbsent':
      return ok(putManyIfAbsent(table, op.entries));
    case 'incrBy':
      return incrBy(table, op.key, op.by);
    case 'incrByFloat':
      return incrByFloat(table, op.key, op.by);
    case 'append':
      return ok(append(table, op.key, op.value));
    case 'setRange':
      return ok(setRange(table, op.key, op.offset, op.value));
    case 'putIf':
      return ok(putIf(table, op));
    case 'getSet':
      return ok(getSet(table, op));
    case 'getExpire':
      return ok(getExpire(table, op.key, op.expiresAt));
    case 'expireIf':
      return ok(expireIf(table, op));
    case 'deadline':
      return ok(deadline(table, op.key));
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
