// The receiving side of the transport: a request from a peer, run against this
// node's own registry and buckets, and its outcome for the reply frame.

import { failed, ok, type BucketOp, type Outcome } from '../actors/messages';
import { toErrorData } from '../errors';
import type { NodeHandle } from '../node-handle';
import type { NodeRequest } from './protocol';

/** Serves one (well-formed) request from a peer on `local`; never rejects. */
export async function serveRequest(local: NodeHandle, request: NodeRequest): Promise<Outcome<unknown>> {
  try {
    switch (request.kind) {
      case 'create':
        await local.create(request.bucket);
        return ok(null);
      case 'batch':
        return ok(await runBatch(local, request.bucket, request.ops));
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

/** Issued in one turn, the operations reach the bucket as one actor message (the local batcher groups them). */
async function runBatch(local: NodeHandle, bucket: string, ops: BucketOp[]): Promise<Outcome[]> {
  const settled = await Promise.allSettled(ops.map((op) => local.run(bucket, op)));
  return settled.map((result) => (result.status === 'fulfilled' ? ok(result.value) : failed(toErrorData(result.reason))));
}
