// The storage seam: where a bucket's table lives, outside its actor, so that a
// restarted actor re-attaches to every acknowledged write. Storage knows nothing
// of actors, routing or the network: tables in, tables out.

import type { ScanPage, StoredEntry } from './key-table';

/** One bucket's key/value table, served from memory by every backend. */
export interface BucketTable {
  /** Number of keys (expired ones not yet removed included). */
  readonly size: number;
  /** The value under `key`, or undefined (also once it has expired). */
  get(key: string): string | undefined;
  /** The value and expiry deadline (epoch ms, 0: none) under `key`, or undefined. */
  entry(key: string): StoredEntry | undefined;
  /** Sets `key`, with an expiry deadline (epoch ms; 0 or none: never); durable once the next `flush()` settles. */
  put(key: string, value: string, expiresAt?: number): void;
  /** Removes `key` and returns the value it had; durable once the next `flush()` settles. */
  delete(key: string): string | undefined;
  /** Removes every key and returns how many there were; durable once the next `flush()` settles. */
  clear(): number;
  /** A page of keys after `cursor` (0 starts; a returned 0 ends): see KeyTable.scan. */
  scan(cursor: number, count: number, match?: (key: string) => boolean): ScanPage;
  /** Every live entry as [key, value, expiresAt] (for introspection and compaction). */
  entries(): IterableIterator<[string, string, number]>;
  /**
   * Makes every write made so far durable. Returns undefined when there was
   * nothing to wait for (memory), so the hot path pays no promise. A rejection
   * means the writes since the last flush were not stored: the table has
   * rolled them back, and the caller answers them with the error.
   */
  flush(): void | Promise<void>;
  /** Bytes of the keys and values written since the last flush, for the metrics (backends that store them: file, Redis). */
  readonly pendingBytes?: number;
}

/** A storage backend: the set of buckets and their tables. */
export interface Storage {
  /** Short name for logs and `tree()`: 'memory', 'file', 'redis'. */
  readonly kind: string;
  /** Opens the backend and returns the names of the buckets it already holds. */
  open(): Promise<string[]>;
  /** Records a new bucket durably; resolves once it is. Idempotent. */
  createBucket(name: string): Promise<void>;
  /** Forgets a bucket and its keys durably; resolves once it is. Idempotent. */
  dropBucket(name: string): Promise<void>;
  /**
   * The table of a bucket that `open` returned or `createBucket` created.
   * Synchronous and total: a restarting actor calls it from nact's
   * `initialStateFunc`, which must never throw.
   */
  table(name: string): BucketTable;
  /** Flushes and releases everything (files, connections, timers). */
  close(): Promise<void>;
}
