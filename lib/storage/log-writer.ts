// Appends to the log and makes it durable by the fsync policy, as Redis's
// appendfsync: 'always' fsyncs before the OK, in group commits (every write
// made while an fsync runs, or in the same turn, shares the next one);
// 'everysec' fsyncs once a second; 'no' leaves it to the operating system.

import * as fs from 'node:fs';
import { KvError } from '../errors';
import type { Logger } from '../options';
import { closeFd, syncData, writeAllSync } from './fs-util';

/** When the log is fsynced: before each OK, once a second, or when the OS decides. */
export type FsyncPolicy = 'always' | 'everysec' | 'no';

interface Group {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: KvError) => void;
}

export class LogWriter {
  private syncedBytes: number;
  private syncing: Promise<void> | undefined;
  private nextGroup: Group | undefined;
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
   * Appends records: written to the file before it returns (or, while a
   * compaction swaps files, once the swap is done); with 'always', the
   * returned promise settles after the fsync that covers them. Throws or
   * rejects with STORAGE_UNAVAILABLE when they could not be written.
   */
  append(chunk: Buffer): void | Promise<void> {
    if (this.broken) throw this.broken;
    if (this.gate) return this.gate.promise.then(() => this.append(chunk));
    const at = this.bytes;
    try {
      writeAllSync(this.fd, chunk, at);
    } catch (thrown) {
      this.undoPartialWrite(at);
      throw new KvError('STORAGE_UNAVAILABLE', `could not append to ${this.path}: ${(thrown as Error).message}`);
    }
    this.bytes += chunk.length;
    this.tap?.push(chunk);
    if (this.policy === 'always') return this.sync();
  }

  /** Resolves once everything written so far is on disk (group commit). */
  sync(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (!this.nextGroup) {
      this.nextGroup = newGroup();
      // Let every write of this turn join the group before its fsync starts.
      if (!this.syncing) setImmediate(() => this.startSync());
    }
    return this.nextGroup.promise;
  }

  private startSync(): void {
    const group = this.nextGroup;
    if (!group || this.syncing) return;
    this.nextGroup = undefined;
    if (this.broken) return group.reject(this.broken);
    const upTo = this.bytes;
    this.syncing = syncData(this.fd)
      .then(
        () => {
          this.syncedBytes = Math.max(this.syncedBytes, upTo);
          group.resolve();
        },
        (thrown: Error) => group.reject(this.breakWith(`fsync of ${this.path} failed: ${thrown.message}`)),
      )
      .finally(() => {
        this.syncing = undefined;
        this.startSync();
      });
  }

  private syncInBackground(): void {
    if (this.bytes > this.syncedBytes && !this.broken) this.sync().catch(() => {});
  }

  /** A failed write may have left part of its bytes: cut them, or refuse all writes. */
  private undoPartialWrite(at: number): void {
    this.tapFailed = true;
    try {
      fs.ftruncateSync(this.fd, at);
    } catch (thrown) {
      this.breakWith(`could not cut a failed write from ${this.path}: ${(thrown as Error).message}`);
    }
  }

  /** After an fsync failure the kernel may have dropped the data: no write is trusted again. */
  private breakWith(reason: string): KvError {
    this.broken ??= new KvError('STORAGE_UNAVAILABLE', `${reason}; writes are refused until the node restarts`);
    this.tapFailed = true;
    this.logger.error('storage log broken', { file: this.path, reason });
    const waiting = this.nextGroup;
    this.nextGroup = undefined;
    waiting?.reject(this.broken);
    return this.broken;
  }

  /** Resolves when no fsync is running or waiting. */
  async drain(): Promise<void> {
    while (this.syncing || this.nextGroup) {
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

function newGroup(): Group {
  let resolve = (): void => {};
  let reject = (_error: KvError): void => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
