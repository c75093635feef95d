// What happens when a bucket actor throws: nact's onCrash for one bucket, so
// a crash restarts only that bucket (the Elixir guide's one-for-one DynamicSupervisor),
// within a restart intensity (OTP's MaxR in MaxT), and answers the message that
// crashed it at once, where nact would leave its caller to time out.

import type { Ref, SupervisionContext } from 'nact';
import { wallNow } from '../core/clock';
import type { EmitEvent } from '../core/events';
import type { Logger } from '../core/logger';
import type { OperationCounts } from '../core/metrics';
import { failed, ok } from '../core/operations';
import { errors, toErrorData } from '../errors';
import type { Storage } from '../storage/storage';
import { failUnstored, replyBatch } from './batch';
import type { BucketRecord } from './directory';
import type { BatchMsg, BucketMsg } from './messages';
import type { SupervisionOptions } from './restart-intensity';
import { decideRestart } from './restart-intensity';

/** What one incarnation of a bucket's actor knows of its own end. */
export interface Incarnation {
  /** Set when its supervision gave up on it: its leftover mail answers BUCKET_FAILED, not STOPPED. */
  gaveUp: boolean;
}

/** What a bucket's supervision needs from its node. */
export interface SupervisionEnv {
  storage: Storage;
  limits: SupervisionOptions;
  logger: Logger;
  emit: EmitEvent;
  now: () => number;
  /** Where the time each batch waits for its storage flush is counted, when the store reports metrics. */
  flushes: OperationCounts | undefined;
}

/**
 * nact's onCrash for one bucket. Total: it must never throw (nact would end
 * the process), so anything unexpected stops the bucket as failed.
 */
export async function superviseBucketCrash(
  record: BucketRecord,
  incarnation: Incarnation,
  msg: BucketMsg | undefined,
  thrown: Error | undefined,
  ctx: SupervisionContext<BucketMsg, Ref<unknown>>,
  env: SupervisionEnv,
): Promise<Symbol> {
  try {
    const reason = toErrorData(thrown).message;
    const { decision, recentCrashes } = decideRestart(record.recentCrashes, env.now(), env.limits);
    record.recentCrashes = recentCrashes;
    record.lastCrash = reason;
    record.lastCrashAt = wallNow();
    if (decision === 'restart') {
      record.restarts += 1;
      env.logger.warn({ bucket: record.name, reason, restarts: record.restarts }, 'bucket restarted');
      env.emit('bucketRestarted', { bucket: record.name, reason, restarts: record.restarts });
    } else {
      giveUp(record, incarnation);
      env.logger.error({ bucket: record.name, reason, limit: env.limits }, 'bucket failed');
      env.emit('bucketFailed', { bucket: record.name, reason });
    }
    if (msg?.type === 'batch') await answerCrashedMessage(record, msg, reason, env.storage);
    return decision === 'restart' ? ctx.reset : ctx.stop;
  } catch (unexpected) {
    giveUp(record, incarnation);
    const reason = toErrorData(unexpected).message;
    env.logger.error({ bucket: record.name, error: reason }, 'bucket supervision failed');
    env.emit('bucketFailed', { bucket: record.name, reason });
    return ctx.stop;
  }
}

/** Marks the bucket failed; a `create` may revive it (as a new incarnation) even before this one has stopped. */
function giveUp(record: BucketRecord, incarnation: Incarnation): void {
  incarnation.gaveUp = true;
  record.status = 'failed';
  record.ref = undefined;
}

/**
 * The operations applied before the crash keep their results (once stored);
 * the one that threw and any after it answer BUCKET_CRASHED, except a
 * `crash` operation, whose purpose was to crash: it succeeds.
 */
async function answerCrashedMessage(record: BucketRecord, msg: BatchMsg, reason: string, storage: Storage): Promise<void> {
  const applied = msg.results.length;
  try {
    await storage.table(record.name).flush();
  } catch (thrown) {
    failUnstored(msg, toErrorData(thrown));
  }
  const crashed = errors.bucketCrashed(record.name, reason).toData();
  msg.results = msg.ops.map((op, index) => {
    if (index < applied) return msg.results[index]!;
    return index === applied && op.kind === 'crash' ? ok(undefined) : failed(crashed);
  });
  replyBatch(msg);
}
