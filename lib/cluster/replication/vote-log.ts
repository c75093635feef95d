// Where a node's votes are kept in its data directory: one JSON line per vote
// appended to replication-votes.jsonl, the last line of a bucket winning. The
// votes given in one turn share one write and one fdatasync, made off the
// event loop, and none is answered before it is durable. A failover of many
// buckets therefore costs a line per vote, not a rewrite of every vote (as the
// single JSON file of earlier versions did, which is read and moved here).
// When the lines outgrow the votes they hold, the file is rewritten whole
// (temporary file, fsync, rename, directory fsync).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { deferred, type Deferred } from '../../core/deferred';
import { KvError } from '../../errors';
import { syncDirectorySync, writeAllSync } from '../../storage/fs-util';
import type { BucketConfig } from './config';

/** One bucket's vote: the highest epoch promised, and the newest configuration accepted. */
export interface Vote {
  promised: number;
  accepted: BucketConfig | null;
}

/** The log's name in the data directory. */
export const voteLogName = 'replication-votes.jsonl';

/** The single JSON object earlier versions kept the votes in. */
export const legacyVotesName = 'replication-votes.json';

/** Lines beyond the live votes the log may carry before it is rewritten whole. */
const slackLines = 1000;

type Group = Deferred<void>;

export class VoteLog {
  private pending: string[] = [];
  private group: Group | undefined;
  private syncing = false;
  private broken: KvError | undefined;

  private constructor(
    private readonly file: string,
    private fd: number,
    /** Lines in the file. */
    private lines: number,
    /** The votes as they are now, pending ones included (the rewrite's source). */
    private readonly votes: ReadonlyMap<string, Vote>,
  ) {}

  /**
   * Reads the votes kept in `dir` into `votes` (an earlier version's file too)
   * and opens the log for appending; throws STORAGE_CORRUPT for a damaged file.
   */
  static open(dir: string, votes: Map<string, Vote>): VoteLog {
    const { lines, clean } = readVotes(dir, votes);
    const log = new VoteLog(path.join(dir, voteLogName), -1, lines, votes);
    // A torn last line, or an earlier version's file: start from a clean log.
    if (!clean || lines > votes.size + slackLines) {
      const failed = log.rewrite();
      if (failed) throw failed;
    } else log.fd = fs.openSync(log.file, 'a', 0o644);
    fs.rmSync(path.join(dir, legacyVotesName), { force: true });
    return log;
  }

  /** Keeps `vote` (as it is now); resolves once it is durable, together with every vote kept in this turn. */
  keep(bucket: string, vote: Vote): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    this.pending.push(voteLine(bucket, vote));
    if (!this.group) {
      this.group = deferred();
      if (!this.syncing) setImmediate(() => this.flush());
    }
    return this.group.promise;
  }

  /** Writes the waiting group's lines and fdatasyncs them; the next group waits for that fsync. */
  private flush(): void {
    const group = this.group;
    if (!group || this.syncing) return;
    this.group = undefined;
    const lines = this.pending;
    this.pending = [];
    try {
      if (this.lines + lines.length > this.votes.size + slackLines) return this.finish(group, this.rewrite());
      const bytes = Buffer.from(lines.join(''));
      // A short write leaves a torn line: nothing may follow it, so it breaks the log like an error.
      if (fs.writeSync(this.fd, bytes) !== bytes.length) throw new Error('a short write');
      this.lines += lines.length;
    } catch (error) {
      return this.finish(group, error as Error);
    }
    this.syncing = true;
    fs.fdatasync(this.fd, (error) => {
      this.syncing = false;
      this.finish(group, error ?? undefined);
      this.flush();
    });
  }

  /** A failed write or fsync may have lost votes the kernel dropped: no vote is answered again. */
  private finish(group: Group, error: Error | undefined): void {
    if (error) {
      this.broken ??= new KvError('STORAGE_UNAVAILABLE', `the replication votes in ${this.file} could not be kept (${error.message}); this node votes no more until it restarts`);
      return group.reject(this.broken);
    }
    group.resolve();
  }

  /** Writes every vote (pending ones included) to a new file and moves it into place; returns what failed, if anything. */
  private rewrite(): Error | undefined {
    try {
      const temporary = `${this.file}.new`;
      const fd = fs.openSync(temporary, 'w', 0o644);
      try {
        writeAllSync(fd, Buffer.from([...this.votes].map(([bucket, vote]) => voteLine(bucket, vote)).join('')), 0);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temporary, this.file);
      syncDirectorySync(path.dirname(this.file));
      if (this.fd !== -1) fs.closeSync(this.fd);
      this.fd = fs.openSync(this.file, 'a', 0o644);
      this.lines = this.votes.size;
      return undefined;
    } catch (error) {
      return error as Error;
    }
  }

  /** Waits for the votes kept so far, then closes the file. */
  async close(): Promise<void> {
    while (this.group || this.syncing) await new Promise((resolve) => setImmediate(resolve));
    if (this.fd !== -1) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** One vote as the log keeps it: `[bucket, promised, accepted]` and a newline. */
function voteLine(bucket: string, vote: Vote): string {
  return `${JSON.stringify([bucket, vote.promised, vote.accepted])}\n`;
}

/**
 * Reads the votes kept in `dir` into `votes`: the log, or an earlier version's
 * file when there is no log yet. `lines`: the log's; `clean`: false when the
 * log must be rewritten (a torn last line, or only the earlier file).
 */
export function readVotes(dir: string, votes: Map<string, Vote>): { lines: number; clean: boolean } {
  const file = path.join(dir, voteLogName);
  if (fs.existsSync(file)) return readLog(file, votes);
  const legacy = path.join(dir, legacyVotesName);
  if (!fs.existsSync(legacy)) return { lines: 0, clean: true };
  for (const [bucket, vote] of Object.entries(readLegacy(legacy))) votes.set(bucket, vote);
  return { lines: 0, clean: false };
}

/** The votes a log holds, applied in order into `votes`; `clean` is false when its last line was torn. */
function readLog(file: string, votes: Map<string, Vote>): { lines: number; clean: boolean } {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // The text after the last newline: empty, or a line a crash cut short (never answered, so dropped).
  const tail = lines.pop()!;
  lines.forEach((line, index) => {
    const [bucket, promised, accepted] = parseLine(line) ?? [];
    if (typeof bucket !== 'string' || !isVote({ promised, accepted })) throw damaged(file, `line ${index + 1} is malformed`);
    votes.set(bucket, { promised, accepted } as Vote);
  });
  return { lines: lines.length, clean: tail === '' };
}

function parseLine(line: string): unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** An earlier version's votes: one JSON object, bucket to vote. */
function readLegacy(file: string): Record<string, Vote> {
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

/**
 * A damaged file is refused by name: starting without the votes it held could
 * let a stale node win a bucket (votes are written whole lines at a time, so
 * only damage or a hand edit makes one).
 */
function damaged(file: string, reason: string): KvError {
  return new KvError(
    'STORAGE_CORRUPT',
    `refusing to start: the replication votes in ${file} are damaged (${reason}); restore them from a backup, or remove the file only if every other node is up and holds the newest data`,
  );
}
