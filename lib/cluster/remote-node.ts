// Another node's buckets, reached over the transport: the same calls as the
// local node, sent as requests to the owner's registry and bucket actors.
// Operations issued in one turn for one bucket travel as one batch frame, and
// come back as outcomes: a failure settles each call, it is never thrown.

import type { NodeHandle } from '../core/node-handle';
import type { BucketOp, Outcome } from '../core/operations';
import type { Settle } from '../core/settle';
import type { NodeTree } from '../core/tree';
import { KvError } from '../errors';
import { isReplyTooLarge } from './errors';
import type { Peer } from './peer';
import { encodeRequest, splitBatch, type NodeRequest } from './protocol';
import { TurnBatcher } from './turn-batcher';

export class RemoteNode implements NodeHandle {
  private readonly batcher = new TurnBatcher((bucket, ops, answer) => this.submitBatch(bucket, ops, answer));

  constructor(readonly peer: Peer) {}

  async create(bucket: string): Promise<void> {
    await this.ask({ kind: 'create', bucket });
  }

  async drop(bucket: string): Promise<void> {
    await this.ask({ kind: 'drop', bucket });
  }

  submit(bucket: string, op: BucketOp, settle: Settle): void {
    this.batcher.submit(bucket, op, settle);
  }

  /**
   * Sends a batch, split up front into parts that fit the frame limit, each
   * encoded once. The parts go out back to back in this turn, so a later
   * batch for the same bucket cannot overtake any of them.
   */
  submitBatch(bucket: string, ops: BucketOp[], answer: (outcomes: Outcome[]) => void): void {
    const parts = splitBatch(bucket, ops, this.peer.maxFrameBytes);
    const outcomes: Outcome[] = [];
    let waiting = parts.length;
    let offset = 0;
    for (const part of parts) {
      const at = offset;
      offset += part.ops.length;
      this.peer.request(part.request, (outcome) => {
        const results = outcome.ok ? (outcome.value as Outcome[]) : part.ops.map(() => outcome as Outcome);
        for (let index = 0; index < part.ops.length; index++) outcomes[at + index] = results[index]!;
        if (--waiting > 0) return;
        if (ops.every(isRead)) this.askAgainLeftOut(bucket, ops, outcomes, answer);
        else answer(outcomes);
      });
    }
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
   * Results the owner left out of a reply for size (reply.ts) are asked for
   * again, only for a batch of reads (a read asked again after a write of the
   * same batch would see it), and only while each round brings some back.
   */
  private askAgainLeftOut(bucket: string, ops: BucketOp[], outcomes: Outcome[], answer: (outcomes: Outcome[]) => void): void {
    const leftOut = outcomes.flatMap((outcome, index) => (!outcome.ok && isReplyTooLarge(outcome.error) ? [index] : []));
    if (leftOut.length === 0 || leftOut.length === ops.length) return answer(outcomes);
    this.submitBatch(
      bucket,
      leftOut.map((index) => ops[index]!),
      (again) => {
        leftOut.forEach((index, at) => (outcomes[index] = again[at]!));
        answer(outcomes);
      },
    );
  }

  /** A request whose failure is the caller's rejection (the promise-shaped calls: create, exists, ...). */
  private ask<T>(request: NodeRequest): Promise<T> {
    return new Promise((resolve, reject) =>
      this.peer.request(encodeRequest(request), (outcome) => (outcome.ok ? resolve(outcome.value as T) : reject(KvError.fromData(outcome.error)))),
    );
  }
}

const isRead = (op: BucketOp): boolean => op.kind === 'get' || op.kind === 'has';
