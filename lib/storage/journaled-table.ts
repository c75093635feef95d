// A bucket's table for the durable backends: served from a Map, with a journal
// of the changes since the last flush. Flush hands the journal to the backend;
// if the backend cannot store it, the changes are rolled back, so no value that
// was never acknowledged can be read.

import { KvError } from '../errors';
import { KeyTable, type ScanPage, type StoredEntry } from './key-table';
import type { BucketTable } from './storage';

/**
 * One change since the last flush: a key set (its new value, undefined when
 * deleted, and the value it replaced), or every key cleared (with the table
 * as it was, to roll back to). A Change is also a log-format KeyChange, so
 * the file backend encodes the journal as it is.
 */
export type Change =
  | { kind: 'key'; key: string; value: string | undefined; expiresAt: number; previous: StoredEntry | undefined }
  | { kind: 'clear'; clear: true; previous: KeyTable };

/**
 * Stores a bucket's changes: undefined when they are already stored, a
 * promise otherwise. Throws or rejects when they could not be stored.
 */
export type CommitChanges = (bucket: string, changes: Change[]) => void | Promise<void>;

/**
 * The table behind the file and Redis backends. At most one flush is in
 * flight at a time (the bucket actor waits for it), which is what makes the
 * rollback of a failed flush exact.
 */
export class JournaledTable implements BucketTable {
  private journal: Change[] = [];
  /** Bytes of the keys and values in the journal (binary strings: one char per byte). */
  pendingBytes = 0;
  private keys = new KeyTable();

  constructor(
    /** The bucket this table holds. */
    readonly bucket: string,
    private readonly commit: CommitChanges,
    entries: Iterable<readonly [string, StoredEntry]> = [],
  ) {
    for (const [key, { value, expiresAt }] of entries) this.keys.set(key, value, expiresAt);
  }

  get size(): number {
    return this.keys.size;
  }

  get(key: string): string | undefined {
    return this.keys.get(key);
  }

  entry(key: string): StoredEntry | undefined {
    return this.keys.entry(key);
  }

  put(key: string, value: string, expiresAt = 0): void {
    this.pendingBytes += key.length + value.length;
    this.journal.push({ kind: 'key', key, value, expiresAt, previous: this.keys.set(key, value, expiresAt) });
  }

  delete(key: string): string | undefined {
    const previous = this.keys.delete(key);
    if (previous === undefined) return undefined; // nothing changes, nothing to store
    this.pendingBytes += key.length;
    this.journal.push({ kind: 'key', key, value: undefined, expiresAt: 0, previous });
    return previous.value;
  }

  clear(): number {
    const previous = this.keys;
    this.keys = new KeyTable(previous.nextSequence);
    this.journal.push({ kind: 'clear', clear: true, previous });
    return previous.size;
  }

  scan(cursor: number, count: number, match?: (key: string) => boolean): ScanPage {
    return this.keys.scan(cursor, count, match);
  }

  entries(): IterableIterator<[string, string, number]> {
    return this.keys.entries();
  }

  flush(): void | Promise<void> {
    if (this.journal.length === 0) return;
    const changes = this.journal;
    this.journal = [];
    this.pendingBytes = 0;
    let stored: void | Promise<void>;
    try {
      stored = this.commit(this.bucket, changes);
    } catch (thrown) {
      this.rollBack(changes);
      return Promise.reject(asStorageError(thrown));
    }
    if (!stored) return releaseCleared(changes);
    return stored.then(
      () => releaseCleared(changes),
      (thrown: unknown) => {
        this.rollBack(changes);
        throw asStorageError(thrown);
      },
    );
  }

  /** See KeyTable.release. */
  release(): void {
    this.keys.release();
  }

  /** Replaces the contents with what the backend holds (after a lost connection). */
  reload(entries: Iterable<readonly [string, StoredEntry]>): void {
    this.keys.release();
    this.keys = new KeyTable(this.keys.nextSequence);
    for (const [key, { value, expiresAt }] of entries) this.keys.set(key, value, expiresAt);
  }

  private rollBack(changes: Change[]): void {
    for (let i = changes.length - 1; i >= 0; i--) {
      const change = changes[i]!;
      if (change.kind === 'clear') {
        const discarded = this.keys;
        discarded.release();
        this.keys = change.previous;
        this.keys.continueFrom(discarded.nextSequence);
      }
      else if (change.previous === undefined) this.keys.delete(change.key);
      else this.keys.set(change.key, change.previous.value, change.previous.expiresAt);
    }
  }
}

/** The tables a stored clear replaced are no longer needed for a rollback: let the sweeper forget them. */
function releaseCleared(changes: readonly Change[]): void {
  for (const change of changes) if (change.kind === 'clear') change.previous.release();
}

/** Anything a backend throws becomes a KvError the caller can act on. */
export function asStorageError(thrown: unknown): KvError {
  if (thrown instanceof KvError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new KvError('STORAGE_UNAVAILABLE', `the write was not stored: ${message}`);
}
