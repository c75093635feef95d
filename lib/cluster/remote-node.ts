// Another node's buckets, reached over the transport: the same calls as the
// local node, sent as requests to the owner's registry and bucket actors.
// Operations issued in one turn for one bucket travel as one batch frame.

import type { Settle } from '../actors/batcher';
import type { BucketOp, Outcome } from '../actors/messages';
import type { NodeTree } from '../actors/tree';
import { KvError } from '../errors';
import type { NodeHandle } from '../node-handle';
import { TooLarge } from './errors';
import type { Peer } from './peer';
import type { NodeRequest } from './protocol';
import { TurnBatcher } from './turn-batcher';

export class RemoteNode implements NodeHandle {
  private readonly batcher = new TurnBatcher((bucket, ops) => this.sendBatch(bucket, ops));

  constructor(readonly peer: Peer) {}

  async create(bucket: string): Promise<void> {
    await this.ask({ kind: 'create', bucket });
  }

  submit(bucket: string, op: BucketOp, settle: Settle): void {
    this.batcher.submit(bucket, op, settle);
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

  /** Sends a batch; one over the frame limit goes as two halves, in order. */
  private async sendBatch(bucket: string, ops: BucketOp[]): Promise<Outcome[]> {
    try {
      return await this.ask<Outcome[]>({ kind: 'batch', bucket, ops });
    } catch (error) {
      if (!(error instanceof TooLarge) || ops.length < 2) throw error;
      // One after the other: the second half must not overtake a first half that is split again.
      const half = Math.ceil(ops.length / 2);
      const first = await this.sendBatch(bucket, ops.slice(0, half));
      return first.concat(await this.sendBatch(bucket, ops.slice(half)));
    }
  }

  private async ask<T>(request: NodeRequest): Promise<T> {
    const outcome = await this.peer.request(request);
    if (!outcome.ok) throw KvError.fromData(outcome.error);
    return outcome.value as T;
  }
}
