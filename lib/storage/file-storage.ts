// The append-only file backend (Redis's AOF is the model): one log per node in
// the data directory, every acknowledged change in it before its OK, replayed
// on start, compacted in the background when it outgrows the live data.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { silentLogger, type Logger } from '../core/logger';
import { stripUndefined } from '../core/validate';
import { KvError } from '../errors';
import { rewriteLog } from './compaction';
import { lockDirectory, type DirLock } from './dir-lock';
import { asStorageError, JournaledTable, type Change } from './journaled-table';
import type { StoredEntry } from './key-table';
import { bucketBytes, entryBytes, logMagic, type LogRecord } from './log-format';
import { replayLog, type TruncatedLogPolicy } from './log-replay';
import { LogWriter, type FsyncPolicy } from './log-writer';
import type { Storage } from './storage';

/** Options of the file backend. */
export interface FileStorageOptions {
  /** The data directory; created if missing, locked while in use. Required. */
  dir: string;
  /**
   * When the log is fsynced: 'always' (before each OK), 'everysec', 'no' (by the OS).
   * @default 'everysec'
   */
  fsync?: FsyncPolicy;
  /**
   * Compaction starts when the log is this many times the live data...
   * @default 2
   */
  compactionRatio?: number;
  /**
   * ...and larger than this many bytes.
   * @default 4 MiB
   */
  compactionMinBytes?: number;
  /**
   * A log cut inside its 8-byte header lost everything it held: 'refuse' to
   * start (STORAGE_CORRUPT, naming the file), or 'start-empty'.
   * @default 'refuse'
   */
  onTruncatedLog?: TruncatedLogPolicy;
  /**
   * Where torn tails, replays and compactions are reported.
   * @default the store's logger (nowhere, for a FileStorage made by hand)
   */
  logger?: Logger;
}

/** The file backend's defaults, in one place. */
export const defaultFileStorageOptions = {
  fsync: 'everysec',
  compactionRatio: 2,
  compactionMinBytes: 4 * 1024 * 1024,
  onTruncatedLog: 'refuse',
  logger: silentLogger,
} as const satisfies Omit<Required<FileStorageOptions>, 'dir'>;

/** The log's file name inside the data directory. */
export const logFileName = 'actor-kv.aof';

export class FileStorage implements Storage {
  readonly kind = 'file';
  private readonly tables = new Map<string, JournaledTable>();
  private readonly logger: Logger;
  private readonly policy: FsyncPolicy;
  private writer: LogWriter | undefined;
  private lock: DirLock | undefined;
  private liveBytes = logMagic.length;
  private compacting: Promise<void> | undefined;
  private retryCompactionAt = 0;
  /** The log size past which liveBytes is counted again from the tables. */
  private recountAt = 0;
  private closed = false;

  private readonly options: Required<FileStorageOptions>;

  constructor(options: FileStorageOptions) {
    this.options = { ...defaultFileStorageOptions, ...stripUndefined(options), dir: options.dir };
    this.logger = this.options.logger;
    this.policy = this.options.fsync;
  }

  /** The log file's path. */
  get logPath(): string {
    return path.join(this.options.dir, logFileName);
  }

  async open(): Promise<string[]> {
    try {
      return await this.openDirectory();
    } catch (thrown) {
      // A directory that is a file, unwritable or on a full disk is the user's to fix, not a bug: say so plainly.
      if (thrown instanceof KvError) throw thrown;
      throw new KvError('STORAGE_UNAVAILABLE', `cannot use the data directory ${this.options.dir}: ${(thrown as Error).message}`, { cause: thrown });
    }
  }

  private async openDirectory(): Promise<string[]> {
    await fs.mkdir(this.options.dir, { recursive: true });
    this.lock = await lockDirectory(this.options.dir);
    try {
      await fs.rm(`${this.logPath}.rewrite`, { force: true }); // a compaction cut short by a crash
      await fs.rm(`${this.logPath}.new`, { force: true }); // a log creation cut short by a crash
      const { tables, fd, bytes } = await replayLog(this.logPath, this.logger, this.options.onTruncatedLog);
      for (const [bucket, map] of tables) {
        this.tables.set(bucket, this.newTable(bucket, map));
        this.liveBytes += bucketBytes(bucket);
        for (const [key, { value }] of map) this.liveBytes += entryBytes(key, value);
      }
      this.writer = new LogWriter(this.logPath, fd, bytes, this.policy, this.logger);
    } catch (thrown) {
      await this.lock.release();
      throw thrown;
    }
    return [...this.tables.keys()];
  }

  async createBucket(name: string): Promise<void> {
    if (this.tables.has(name)) return;
    this.table(name);
    try {
      await this.append({ op: 'create', bucket: name });
    } catch (thrown) {
      this.tables.delete(name); // not stored: the next create tries again
      this.liveBytes -= bucketBytes(name);
      throw asStorageError(thrown);
    }
  }

  async dropBucket(name: string): Promise<void> {
    const table = this.tables.get(name);
    if (!table) return;
    // Out of the tables before the record is stored: a compaction that starts
    // meanwhile must not copy the bucket into a log that lacks its drop.
    this.tables.delete(name);
    const bytes = bucketBytes(name) + tableBytes(table.entries());
    this.liveBytes -= bytes;
    try {
      await this.append({ op: 'drop', bucket: name });
    } catch (thrown) {
      this.tables.set(name, table);
      this.liveBytes += bytes;
      throw asStorageError(thrown);
    }
    table.release();
  }

  table(name: string): JournaledTable {
    let table = this.tables.get(name);
    if (!table) {
      table = this.newTable(name, []);
      this.tables.set(name, table);
      this.liveBytes += bucketBytes(name);
    }
    return table;
  }

  private newTable(name: string, entries: Iterable<readonly [string, StoredEntry]>): JournaledTable {
    return new JournaledTable(name, (bucket, changes) => this.commit(bucket, changes), entries);
  }

  private commit(bucket: string, changes: Change[]): void | Promise<void> {
    const stored = this.append({ op: 'changes', bucket, changes });
    this.liveBytes += liveDelta(changes);
    return stored;
  }

  private append(record: LogRecord): void | Promise<void> {
    if (!this.writer || this.closed) throw new KvError('STORAGE_UNAVAILABLE', 'the file storage is not open');
    const stored = this.writer.append(record);
    this.maybeCompact();
    return stored;
  }

  private maybeCompact(): void {
    const { compactionRatio, compactionMinBytes } = this.options;
    const size = this.writer!.size;
    // Cheapest test first: this runs on every append.
    if (size < compactionMinBytes || (size < compactionRatio * this.liveBytes && size < this.recountAt)) return;
    if (this.compacting || this.closed || Date.now() < this.retryCompactionAt) return;
    // Keys that expire leave without a change, so the running count only grows
    // past them: count again, at most each time the log has grown by half.
    if (size < compactionRatio * this.liveBytes && size >= this.recountAt) {
      this.liveBytes = this.countLiveBytes();
      this.recountAt = size * 1.5;
    }
    if (size >= compactionRatio * this.liveBytes) void this.compact();
  }

  /** What the live data takes in a compacted log, counted from the tables (expired keys left out). */
  private countLiveBytes(): number {
    let bytes = logMagic.length;
    for (const [name, table] of this.tables) bytes += bucketBytes(name) + tableBytes(table.entries());
    return bytes;
  }

  /** Rewrites the log to the live contents now (it also happens by itself); never rejects. */
  compact(): Promise<void> {
    this.compacting ??= this.rewrite().then((done) => {
      this.compacting = undefined;
      // Writes made during the rewrite may leave it above the threshold still.
      if (done) this.maybeCompact();
    });
    return this.compacting;
  }

  private async rewrite(): Promise<boolean> {
    const before = this.writer!.size;
    try {
      const after = await rewriteLog(
        this.writer!,
        () => [...this.tables].map(([name, table]) => [name, table.entries()] as [string, Iterable<[string, string, number]>]),
        (reason) => this.logger.warn({ file: this.logPath, reason }, 'storage log rename may not be durable'),
      );
      this.logger.info({ file: this.logPath, before, after }, 'storage log compacted');
      this.recountAt = 0; // the new log is near the live data: count it again when it grows past the minimum
      return true;
    } catch (thrown) {
      this.retryCompactionAt = Date.now() + 1000;
      this.logger.warn({ file: this.logPath, reason: (thrown as Error).message }, 'storage log compaction failed; will retry');
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const table of this.tables.values()) table.release();
    await this.compacting;
    await this.writer?.close();
    await this.lock?.release();
  }
}

/** How much a compacted log grows (or shrinks) by these changes. */
function liveDelta(changes: Change[]): number {
  let delta = 0;
  for (const change of changes) {
    if (change.kind === 'clear') {
      delta -= tableBytes(change.previous.entries());
      continue;
    }
    const { key, value, previous } = change;
    if (value !== undefined) delta += entryBytes(key, value);
    if (previous !== undefined) delta -= entryBytes(key, previous.value);
  }
  return delta;
}

function tableBytes(entries: Iterable<readonly [string, string, ...unknown[]]>): number {
  let bytes = 0;
  for (const [key, value] of entries) bytes += entryBytes(key, value);
  return bytes;
}
