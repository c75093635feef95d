// Appends to the log and makes it durable by the fsync policy, as Redis's
// appendfsync: 'always' fsyncs before the OK, in group commits (every write
// made while an fsync runs, or in the same turn, shares the next one);
// 'everysec' fsyncs once a second; 'no' leaves it to the operating system.
// Every policy writes a turn's records together, in one write(2) at the turn
// end (core/turn-end.ts), before any of them is acknowledged.

import * as fs from 'node:fs';
import { deferred, type Deferred } from '../core/deferred';
import type { Logger } from '../core/logger';
import { atTurnEnd } from '../core/turn-end';
import { KvError } from '../errors';
import { closeFd, syncData, writeAllSync } from './fs-util';
import { RecordBuffer, type LogRecord } from './log-format';

/** When the log is fsynced: before each OK, once a second, or when the OS decides. */
export type FsyncPolicy = 'always' | 'everysec' | 'no';

/** The promise the appenders of records written together wait on. */
type Group = Deferred<void>;

export class LogWriter {
  private syncedBytes: number;
  private syncing: Promise<void> | undefined;
  /** Records not yet written, and the group waiting for them. */
  private readonly records = new RecordBuffer();
  private pending: Group | undefined;
  private broken: KvError | undefined;
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  private tap: Buffer[] | undefined;
  private tapFailed = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    /** The log file. */
    readonly path: string,
    private fd: number,
    private bytes: number,
    private readonly policy: FsyncPolicy,
    private readonly logger: Logger,
  ) {
    this.syncedBytes = bytes;
    if (policy === 'everysec') {
      this.timer = setInterval(() => this.syncInBackground(), 1000);
      this.timer.unref();
    }
  }

  /** Bytes in the log. */
  get size(): number {
    return this.bytes;
  }

  /**
   * Appends a record; the promise settles once it is stored: written (with
   * 'always', fsynced too) together with every record appended in the same
   * turn, at the turn's end. With 'always', records appended while an fsync
   * runs wait for it and share the next one: group commit. Throws or rejects
   * with STORAGE_UNAVAILABLE when the record could not be stored.
   */
  append(record: LogRecord): Promise<void> {
    if (this.broken) throw this.broken;
    if (this.gate) return this.gate.promise.then(() => this.append(record));
    this.records.add(record);
    if (!this.pending) {
      this.pending = deferred();
      atTurnEnd(() => this.runGroup());
    }
    return this.pending.promise;
  }

  /** Writes the pending group; with 'always', fsyncs it too, one fsync at a time. */
  private runGroup(): void {
    const group = this.pending;
    if (!group || (this.policy === 'always' && this.syncing)) return;
    this.pending = undefined;
    const bytes = this.records.take();
    if (this.broken) return group.reject(this.broken);
    try {
      this.writeNow(bytes);
    } catch (thrown) {
      return group.reject(thrown as KvError);
    }
    if (this.policy === 'always') this.startSync(group);
    else group.resolve();
  }

  private startSync(group?: Group): void {
    const upTo = this.bytes;
    this.syncing = syncData(this.fd)
      .then(
        () => {
          this.syncedBytes = Math.max(this.syncedBytes, upTo);
          group?.resolve();
        },
        (thrown: Error) => group?.reject(this.breakWith(`fsync of the log failed: ${systemReason(thrown)}`, thrown)),
      )
      .finally(() => {
        this.syncing = undefined;
        this.runGroup();
      });
  }

  private syncInBackground(): void {
    // Not while the gate is closed for a swap: the new file is fsynced whole before it
    // takes over, and an fsync of the old one still running then would settle on the new
    // one's count (its larger size as synced: no fsync until the new log outgrew it).
    if (this.bytes > this.syncedBytes && !this.broken && !this.syncing && !this.gate) this.startSync();
  }

  /** Writes `bytes` at the end of the log, or cuts what a failed write left and throws. */
  private writeNow(bytes: Buffer): void {
    const at = this.bytes;
    try {
      writeAllSync(this.fd, bytes, at);
    } catch (thrown) {
      this.undoPartialWrite(at);
      // Clients get the reason, not the data directory's path; the log gets both.
      this.logger.warn({ file: this.path, reason: (thrown as Error).message }, 'storage write failed');
      throw new KvError('STORAGE_UNAVAILABLE', `the write was not stored: ${systemReason(thrown as Error)}`);
    }
    this.bytes += bytes.length;
    this.tap?.push(bytes);
  }

  /** A failed write may have left part of its bytes: cut them, or refuse all writes. */
  private undoPartialWrite(at: number): void {
    this.tapFailed = true;
    try {
      fs.ftruncateSync(this.fd, at);
    } catch (thrown) {
      this.breakWith(`could not cut a failed write from the log: ${systemReason(thrown as Error)}`, thrown as Error);
    }
  }

  /** After an fsync failure the kernel may have dropped the data: no write is trusted again. */
  private breakWith(reason: string, cause: Error): KvError {
    this.broken ??= new KvError('STORAGE_UNAVAILABLE', `${reason}; writes are refused until the node restarts`);
    this.tapFailed = true;
    this.logger.error({ file: this.path, reason, error: cause.message }, 'storage log broken');
    const waiting = this.pending;
    this.pending = undefined;
    waiting?.reject(this.broken);
    return this.broken;
  }

  /** Resolves when no fsync is running or waiting. */
  async drain(): Promise<void> {
    while (this.syncing || this.pending) {
      await (this.syncing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  // --- compaction: copy what is appended meanwhile, then swap files under a gate ---

  /** Starts copying every appended chunk for a rewrite. */
  startTap(): void {
    this.tap = [];
    this.tapFailed = false;
  }

  /** The chunks appended since the last call, or 'failed' if a write failed meanwhile. */
  takeTap(): Buffer[] | 'failed' {
    if (this.tapFailed || !this.tap) return 'failed';
    const chunks = this.tap;
    this.tap = [];
    return chunks;
  }

  /** Holds new appends and waits for running fsyncs, so the files can be swapped. */
  async closeGate(): Promise<void> {
    let open = (): void => {};
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
    await this.drain();
  }

  /** Continues on `fd`, a durable rewrite of `bytes` bytes now at `path`. */
  async swapTo(fd: number, bytes: number): Promise<void> {
    const old = this.fd;
    this.fd = fd;
    this.bytes = bytes;
    this.syncedBytes = bytes;
    this.endRewrite();
    await closeFd(old);
  }

  /** Stops copying and lets held appends through. */
  endRewrite(): void {
    this.tap = undefined;
    const gate = this.gate;
    this.gate = undefined;
    gate?.open();
  }

  /** Flushes everything and closes the file. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
    if (!this.broken) await syncData(this.fd).catch(() => {});
    await closeFd(this.fd);
  }
}

/** Words a client may read for a failed file operation: the condition, never a path (which a system message may hold). */
const conditions: Record<string, string> = {
  ENOSPC: 'storage full',
  EDQUOT: 'storage full (disk quota)',
  EIO: 'an I/O error on the storage device',
  EROFS: 'the storage is read-only',
  EBADF: 'the log file is closed',
};

function systemReason(thrown: Error): string {
  const code = (thrown as NodeJS.ErrnoException).code;
  if (!code) return 'an unknown error';
  return conditions[code] ? `${conditions[code]} (${code})` : `system error ${code}`;
}
