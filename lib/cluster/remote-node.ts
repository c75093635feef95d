// Another node's buckets, reached over the transport: the same calls as the
// local node, sent as requests to the owner's registry and bucket actors.
// Operations issued in one turn for one bucket travel as one batch frame.

import { Batcher } from '../actors/batcher';
import type { BucketOp, OpValue, Outcome } from '../actors/messages';
import type { NodeTree } from '../actors/tree';
import { KvError } from '../errors';
import type { NodeHandle } from '../node-handle';
import type { Peer } from './peer';
import type { NodeRequest } from './protocol';

export class RemoteNode implements NodeHandle {
  private readonly batcher = new Batcher((bucket, ops) => this.ask<Outcome[]>({ kind: 'batch', bucket, ops }));

  constructor(readonly peer: Peer) {}

  async create(bucket: string): Promise<void> {
    await this.ask({ kind: 'create', bucket });
  }

  run(bucket: string, op: BucketOp): Promise<OpValue> {
    return this.batcher.run(bucket, op);
  }

  exists(bucket: string): Promise<boolean> {
    return this.ask({ kind: 'exists', bucket });
  }

  buckets(): Promise<string[]> {
    return this.ask({ kind: 'buckets' });
  }

  tree(): Promise<NodeTree> {
    return this.ask({ kind: 'tree' });
  }

  private async ask<T>(request: NodeRequest): Promise<T> {
    const outcome = await this.peer.request(request);
    if (!outcome.ok) throw KvError.fromData(outcome.error);
    return outcome.value as T;
  }
}
