// The receiving side of the transport: a request from a peer, run against this
// node's own registry and buckets, and its outcome for the reply frame.

import { checkBucket } from '../core/arguments';
import type { NodeHandle } from '../core/node-handle';
import { failed, ok, type BucketOp, type Outcome } from '../core/operations';
import { KvError, toErrorData } from '../errors';
import type { NodeRequest } from './protocol';
import type { Router } from './router';

/** Serves one (well-formed) request from a peer on `local`; never rejects. */
export async function serveRequest(self: string, router: Router, local: NodeHandle, request: NodeRequest): Promise<Outcome<unknown>> {
  try {
    if ('bucket' in request) checkOwner(self, router, request.bucket);
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
        return ok(await local.tree());
    }
  } catch (error) {
    return failed(toErrorData(error));
  }
}

/**
 * A peer's request names a bucket this node must own: the same checks as a
 * local call, so nodes whose route tables differ cannot plant buckets on a
 * node that does not own them. Throws BAD_REQUEST or NO_ROUTE.
 */
function checkOwner(self: string, router: Router, bucket: string): void {
  checkBucket(bucket);
  const owner = router(bucket);
  if (owner !== self) throw new KvError('NO_ROUTE', `node ${self} does not own bucket ${bucket} (route tables differ: this node routes it to ${owner})`);
}

/** The whole batch joins the bucket's queue at once, so it reaches the bucket as one actor message. */
function runBatch(local: NodeHandle, bucket: string, ops: BucketOp[]): Promise<Outcome<Outcome[]>> {
  return new Promise((resolve) => local.submitBatch(bucket, ops, (outcomes) => resolve(ok(outcomes))));
}
