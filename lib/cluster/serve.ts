// The receiving side of the transport: a request from a peer, run against this
// node's own registry and buckets, and its outcome for the reply frame.

import { checkBucket } from '../core/arguments';
import type { NodeHandle } from '../core/node-handle';
import { failed, ok, type BucketOp, type Outcome } from '../core/operations';
import { KvError, toErrorData } from '../errors';
import type { NodeRequest } from './protocol';
import type { Replication } from './replication/replication';
import type { Preferences } from './router';

/** Serves one (well-formed) request from a peer on `local` (and its replication, with R > 1); never rejects. */
export async function serveRequest(self: string, preferences: Preferences, local: NodeHandle, replication: Replication | undefined, request: NodeRequest): Promise<Outcome<unknown>> {
  try {
    // Every node votes on every bucket's epochs; the other requests go to the bucket's holders only.
    if ('bucket' in request) {
      if (request.kind === 'prepare' || request.kind === 'accept') checkBucket(request.bucket);
      else checkHolder(self, preferences, request.bucket);
    }
    if (replication) {
      const replicated = serveReplication(replication, request);
      if (replicated) return await replicated;
    }
    switch (request.kind) {
      case 'create':
        await local.create(request.bucket);
        return ok(null);
      case 'drop':
        await local.drop(request.bucket);
        return ok(null);
      case 'batch':
        return await runBatch(local, request.bucket, request.ops);
      case 'exists':
        return ok(await local.exists(request.bucket));
      case 'buckets':
        return ok(await local.buckets());
      case 'tree':
        return ok(await (replication ?? local).tree());
      case 'ping':
        return ok(null);
      default:
        // Replication's requests reach a node without replicas only from a misconfigured peer.
        return failed({ code: 'BAD_REQUEST', message: `node ${self} keeps one copy of each bucket (replicas 1): a peer that sends ${request.kind} has other settings` });
    }
  } catch (error) {
    return failed(toErrorData(error));
  }
}

/**
 * A peer's request names a bucket this node must hold (as its primary or a
 * replica): the same checks as a local call, so nodes whose route tables
 * differ cannot plant buckets on a node that does not hold them. Throws
 * BAD_REQUEST or NO_ROUTE.
 */
function checkHolder(self: string, preferences: Preferences, bucket: string): void {
  checkBucket(bucket);
  const holders = preferences(bucket);
  if (!holders.includes(self)) throw new KvError('NO_ROUTE', `node ${self} does not own bucket ${bucket} (route tables differ: this node routes it to ${holders.join(',')})`);
}

/** The requests replication answers (the bucket calls go through the primary too); undefined for the others. */
function serveReplication(replication: Replication, request: NodeRequest): Promise<Outcome<unknown>> | undefined {
  switch (request.kind) {
    case 'client':
      return replication.serveClient(request.bucket, request.action, request.claim);
    case 'replicate':
      return replication.serveReplicate(request.bucket, request.config, request.seq, request.action);
    case 'install':
      return replication.serveInstall(request.bucket, request.config, request.seq, request.entries, request.dropped === true);
    case 'prepare':
      return replication.servePrepare(request.bucket, request.epoch).then(ok);
    case 'accept':
      return replication.serveAccept(request.bucket, request.config).then(ok);
    case 'batch':
      // Fault injection on one copy's actor (crashBucket with a node) goes to that node's actors directly.
      if (request.ops.every((op) => op.kind === 'crash')) return undefined;
      return refuseUnreplicated(request.kind);
    case 'create':
    case 'drop':
    case 'exists':
      return refuseUnreplicated(request.kind);
    default:
      return undefined;
  }
}

function refuseUnreplicated(kind: string): Promise<Outcome<unknown>> {
  return Promise.resolve(failed({ code: 'BAD_REQUEST', message: `with replicas, ${kind} goes through the bucket's primary (a peer with other settings sent it)` }));
}


/** The whole batch joins the bucket's queue at once, so it reaches the bucket as one actor message. */
function runBatch(local: NodeHandle, bucket: string, ops: BucketOp[]): Promise<Outcome<Outcome[]>> {
  return new Promise((resolve) => local.submitBatch(bucket, ops, (outcomes) => resolve(ok(outcomes))));
}
