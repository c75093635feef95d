// This node's votes on bucket configurations, Paxos's acceptor: for each
// bucket, the highest epoch it promised not to go below, and the newest
// configuration it accepted. Two proposers cannot both win a majority for one
// epoch, and a proposer learns from any majority the newest configuration a
// majority may have accepted: that is what keeps two nodes from both serving
// a bucket. With a data directory the votes are kept in a file, written and
// fsynced before any vote is answered (a vote forgotten in a restart could let
// a stale node win); in memory they last as long as the process.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { KvError } from '../../errors';
import type { BucketConfig } from './config';

interface Vote {
  promised: number;
  accepted: BucketConfig | null;
}

export type PrepareAnswer = { promised: true; accepted: BucketConfig | null } | { promised: false; above: number };
export type AcceptAnswer = { accepted: true } | { accepted: false; above: number };

/** The votes file's name in the data directory. */
export const votesFileName = 'replication-votes.json';

export class VoteBook {
  private readonly votes = new Map<string, Vote>();

  constructor(private readonly file: string | undefined) {
    if (!file || !fs.existsSync(file)) return;
    for (const [bucket, vote] of Object.entries(readVotes(file))) this.votes.set(bucket, vote);
  }

  /** The votes kept in `dir` (a data directory), or in memory when there is none. */
  static in(dir: string | undefined): VoteBook {
    return new VoteBook(dir === undefined ? undefined : path.join(dir, votesFileName));
  }

  /** The highest epoch promised for `bucket` (0 if none). */
  promised(bucket: string): number {
    return this.votes.get(bucket)?.promised ?? 0;
  }

  /** The newest configuration accepted for `bucket`, or null. */
  accepted(bucket: string): BucketConfig | null {
    return this.votes.get(bucket)?.accepted ?? null;
  }

  /** Phase 1: promise `epoch` if it is above every promise made, and tell what was accepted. */
  prepare(bucket: string, epoch: number): PrepareAnswer {
    const vote = this.vote(bucket);
    if (epoch <= vote.promised) return { promised: false, above: vote.promised };
    vote.promised = epoch;
    this.save();
    return { promised: true, accepted: vote.accepted };
  }

  /** Phase 2: accept `config` unless a higher epoch was promised meanwhile. */
  accept(bucket: string, config: BucketConfig): AcceptAnswer {
    const vote = this.vote(bucket);
    if (config.epoch < vote.promised) return { accepted: false, above: vote.promised };
    vote.promised = config.epoch;
    vote.accepted = config;
    this.save();
    return { accepted: true };
  }

  /** Learns a configuration a majority accepted (a replicate request from its primary): never goes back. */
  learn(bucket: string, config: BucketConfig): void {
    // Epoch 0 is the preference list every node starts from: known without a
    // vote, so nothing is saved (a save per new bucket would rewrite the file).
    if (config.epoch === 0) return;
    const vote = this.vote(bucket);
    if (vote.accepted && vote.accepted.epoch >= config.epoch) return;
    vote.accepted = config;
    vote.promised = Math.max(vote.promised, config.epoch);
    this.save();
  }

  forget(bucket: string): void {
    if (this.votes.delete(bucket)) this.save();
  }

  private vote(bucket: string): Vote {
    let vote = this.votes.get(bucket);
    if (!vote) {
      vote = { promised: 0, accepted: null };
      this.votes.set(bucket, vote);
    }
    return vote;
  }

  /** Writes every vote durably before the answer leaves (votes are rare: failovers and repairs). */
  private save(): void {
    if (!this.file) return;
    const temporary = `${this.file}.new`;
    const fd = fs.openSync(temporary, 'w', 0o644);
    try {
      fs.writeSync(fd, JSON.stringify(Object.fromEntries(this.votes)));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.file);
    // Until the directory is synced the rename may not survive a power loss,
    // and a vote forgotten in a restart could let a stale node win.
    syncDirectory(path.dirname(this.file));
  }
}

/**
 * The saved votes. A damaged file is refused by name: starting without the
 * votes it held could let a stale node win a bucket (votes are only ever
 * written whole, through a rename, so only damage or a hand edit makes one).
 */
function readVotes(file: string): Record<string, Vote> {
  let saved: unknown;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw damaged(file, (error as Error).message);
  }
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) throw damaged(file, 'not an object of votes');
  for (const [bucket, vote] of Object.entries(saved)) {
    if (!isVote(vote)) throw damaged(file, `the vote on ${JSON.stringify(bucket)} is malformed`);
  }
  return saved as Record<string, Vote>;
}

function isVote(vote: unknown): vote is Vote {
  if (typeof vote !== 'object' || vote === null) return false;
  const { promised, accepted } = vote as Partial<Vote>;
  return Number.isInteger(promised) && (accepted === null || (typeof accepted === 'object' && Number.isInteger(accepted?.epoch)));
}

function damaged(file: string, reason: string): KvError {
  return new KvError('STORAGE_CORRUPT', `refusing to start: the replication votes in ${file} are damaged (${reason}); restore them from a backup, or remove the file only if every other node is up and holds the newest data`);
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
