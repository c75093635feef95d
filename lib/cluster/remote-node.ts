// Another node's buckets, reached over the transport: the same calls as the
// local node, sent as requests to the owner's registry and bucket actors.
// Operations issued in one turn for one bucket travel as one batch frame.

import type { Settle } from '../actors/batcher';
import { failed, type BucketOp, type Outcome } from '../actors/messages';
import type { NodeTree } from '../actors/tree';
import { KvError, toErrorData } from '../errors';
import type { NodeHandle } from '../node-handle';
import { isReplyTooLarge } from './errors';
import type { Peer } from './peer';
import { splitBatch, type NodeRequest } from './protocol';
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

  /**
   * Sends a batch, split up front into parts that fit the frame limit. The
   * parts go out back to back in this turn, so a later turn's batch for the
   * same bucket cannot overtake any of them; each part settles its own calls.
   */
  private async sendBatch(bucket: string, ops: BucketOp[]): Promise<Outcome[]> {
    const parts = splitBatch(bucket, ops, this.peer.maxFrameBytes).map((part) =>
      this.ask<Outcome[]>({ kind: 'batch', bucket, ops: part }).catch((error: unknown) => part.map(() => failed(toErrorData(error)))),
    );
    const outcomes = (await Promise.all(parts)).flat();
    return ops.every(isRead) ? this.askAgainLeftOut(bucket, ops, outcomes) : outcomes;
  }

  /**
   * Results the owner left out of a reply for size (reply.ts) are asked for
   * again, only for a batch of reads (a read asked again after a write of the
   * same batch would see it), and only while each round brings some back.
   */
  private async askAgainLeftOut(bucket: string, ops: BucketOp[], outcomes: Outcome[]): Promise<Outcome[]> {
    const leftOut = outcomes.flatMap((outcome, index) => (!outcome.ok && isReplyTooLarge(outcome.error) ? [index] : []));
    if (leftOut.length === 0 || leftOut.length === ops.length) return outcomes;
    const again = await this.sendBatch(bucket, leftOut.map((index) => ops[index]!));
    leftOut.forEach((index, at) => (outcomes[index] = again[at]!));
    return outcomes;
  }

  private async ask<T>(request: NodeRequest): Promise<T> {
    const outcome = await this.peer.request(request);
    if (!outcome.ok) throw KvError.fromData(outcome.error);
    return outcome.value as T;
  }
}

const isRead = (op: BucketOp): boolean => op.kind === 'get' || op.kind === 'has';
