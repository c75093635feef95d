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
function runBatch(local: NodeHandle, bucket: string, ops: BucketOp[]): Promise<Outcome[]> {
  return new Promise((resolve) => {
    const outcomes: Outcome[] = new Array(ops.length);
    let waiting = ops.length;
    if (waiting === 0) return resolve(outcomes);
    ops.forEach((op, index) =>
      local.submit(bucket, op, (outcome) => {
        outcomes[index] = outcome;
        if (--waiting === 0) resolve(outcomes);
      }),
    );
  });
}
