// A bucket: one nact actor that owns one bucket's table and serialises every
// access to it (the Elixir guide's KV.Bucket Agent). Its table lives in the storage
// layer, so a restarted incarnation re-attaches to every acknowledged write.

import { spawn, stop, type ActorContext, type Ref } from 'nact';
import { turnNow, type OperationCounts } from '../core/metrics';
import { errors, toErrorData } from '../errors';
import type { BucketTable } from '../storage/storage';
import { actorNameFor } from './actor-name';
import { applyOp, failUnstored, replyBatch, replyError } from './batch';
import { superviseBucketCrash, type Incarnation, type SupervisionEnv } from './bucket-supervision';
import type { BucketRecord } from './directory';
import type { BucketMsg } from './messages';
import { mailboxMessages } from './nact';

interface BucketState {
  table: BucketTable;
  flushes: OperationCounts | undefined;
}

/**
 * Spawns a new incarnation of `record`'s actor under `supervisor` and returns
 * its reference. Throws if nact refuses (the record is then left as it was).
 */
export function spawnBucket(supervisor: Ref<unknown>, record: BucketRecord, env: SupervisionEnv): Ref<BucketMsg> {
  const incarnation: Incarnation = { gaveUp: false };
  const ref = spawn(supervisor, handleBucketMsg, actorNameFor(record.name, record.generation), {
    // Runs again on every restart: re-attach to the stored table. Total by
    // contract (Storage.table never throws), as nact spins if it throws.
    initialStateFunc: () => ({ table: env.storage.table(record.name), flushes: env.flushes }),
    onCrash: (msg, error, ctx) => superviseBucketCrash(record, incarnation, msg, error, ctx, env),
    afterStop: (_state, ctx) => answerLeftovers(ctx.mailbox, record, incarnation),
  });
  record.generation += 1;
  return ref;
}

function handleBucketMsg(state: BucketState, msg: BucketMsg, ctx: ActorContext<BucketMsg, Ref<unknown>>): BucketState | Promise<BucketState> {
  if (msg.type === 'retire') {
    // The messages behind it are answered by afterStop (NOT_FOUND: the record is marked dropped).
    stop(ctx.self);
    msg.replyTo(null);
    return state;
  }
  for (const op of msg.ops) msg.results.push(applyOp(state.table, op));
  const bytes = state.flushes ? (state.table.pendingBytes ?? 0) : 0;
  const flushing = state.table.flush();
  if (!flushing) {
    replyBatch(msg);
    return state;
  }
  const started = state.flushes && turnNow();
  return flushing.then(
    () => {
      state.flushes?.record('flush', undefined, turnNow() - started!);
      if (state.flushes) state.flushes.bytes += bytes;
      replyBatch(msg);
      return state;
    },
    (thrown: unknown) => {
      state.flushes?.record('flush', toErrorData(thrown).code, turnNow() - started!);
      failUnstored(msg, toErrorData(thrown));
      replyBatch(msg);
      return state;
    },
  );
}

/** A stopped actor drops its mailbox: answer each message so no caller waits for a timeout. */
function answerLeftovers(mailbox: unknown[], record: BucketRecord, incarnation: Incarnation): void {
  const bucket = record.name;
  const error = record.dropped ? errors.notFound(bucket) : incarnation.gaveUp ? errors.bucketFailed(bucket) : errors.stopped();
  for (const msg of mailboxMessages<BucketMsg>(mailbox)) {
    if (msg.type === 'retire') msg.replyTo(null);
    else replyError([msg], error.toData());
  }
}
