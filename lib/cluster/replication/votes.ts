// This node's votes on bucket configurations, Paxos's acceptor: for each
// bucket, the highest epoch it promised not to go below, and the newest
// configuration it accepted. Two proposers cannot both win a majority for one
// epoch, and a proposer learns from any majority the newest configuration a
// majority may have accepted: that is what keeps two nodes from both serving
// a bucket. With a data directory the votes are kept in a file, and each is
// durable before it is answered (vote-log.ts: a vote forgotten in a restart
// could let a stale node win); in memory they last as long as the process.

import type { BucketConfig } from './config';
import { VoteLog, type Vote } from './vote-log';

export type PrepareAnswer = { promised: true; accepted: BucketConfig | null } | { promised: false; above: number };
export type AcceptAnswer = { accepted: true } | { accepted: false; above: number };

export class VoteBook {
  private readonly votes = new Map<string, Vote>();
  private readonly log: VoteLog | undefined;

  /** The votes kept in `dir` (a data directory; throws STORAGE_CORRUPT if they are damaged), or in memory when there is none. */
  constructor(dir: string | undefined) {
    this.log = dir === undefined ? undefined : VoteLog.open(dir, this.votes);
  }

  static in(dir: string | undefined): VoteBook {
    return new VoteBook(dir);
  }

  /** The highest epoch promised for `bucket` (0 if none). */
  promised(bucket: string): number {
    return this.votes.get(bucket)?.promised ?? 0;
  }

  /** The newest configuration accepted for `bucket`, or null. */
  accepted(bucket: string): BucketConfig | null {
    return this.votes.get(bucket)?.accepted ?? null;
  }

  /** Phase 1: promise `epoch` if it is above every promise made, and tell what was accepted; answered once kept. */
  prepare(bucket: string, epoch: number): Promise<PrepareAnswer> {
    const vote = this.vote(bucket);
    if (epoch <= vote.promised) return Promise.resolve({ promised: false, above: vote.promised });
    vote.promised = epoch;
    return this.kept(bucket, vote, { promised: true, accepted: vote.accepted });
  }

  /** Phase 2: accept `config` unless a higher epoch was promised meanwhile; answered once kept. */
  accept(bucket: string, config: BucketConfig): Promise<AcceptAnswer> {
    const vote = this.vote(bucket);
    if (config.epoch < vote.promised) return Promise.resolve({ accepted: false, above: vote.promised });
    vote.promised = config.epoch;
    vote.accepted = config;
    return this.kept(bucket, vote, { accepted: true });
  }

  /** Learns a configuration a majority accepted (a replicate request from its primary): never goes back. */
  learn(bucket: string, config: BucketConfig): Promise<void> {
    // Epoch 0 is the preference list every node starts from: known without a
    // vote, so nothing is kept (a vote per new bucket would be a write each).
    if (config.epoch === 0) return Promise.resolve();
    const vote = this.vote(bucket);
    if (vote.accepted && vote.accepted.epoch >= config.epoch) return Promise.resolve();
    vote.accepted = config;
    vote.promised = Math.max(vote.promised, config.epoch);
    return this.kept(bucket, vote, undefined);
  }

  /** Waits for the votes being kept, and closes their file. */
  close(): Promise<void> {
    return this.log?.close() ?? Promise.resolve();
  }

  private vote(bucket: string): Vote {
    let vote = this.votes.get(bucket);
    if (!vote) {
      vote = { promised: 0, accepted: null };
      this.votes.set(bucket, vote);
    }
    return vote;
  }

  /** Resolves with `answer` once `vote` is durable (votes are rare: failovers and repairs). */
  private kept<T>(bucket: string, vote: Vote, answer: T): Promise<T> {
    return this.log ? this.log.keep(bucket, vote).then(() => answer) : Promise.resolve(answer);
  }
}
