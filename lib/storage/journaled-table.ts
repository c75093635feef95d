// A bucket's table for the durable backends: served from a Map, with a journal
// of the changes since the last flush. Flush hands the journal to the backend;
// if the backend cannot store it, the changes are rolled back, so no value that
// was never acknowledged can be read.

import { KvError } from '../errors';
import type { BucketTable } from './storage';

/** One change to a key: its new value (undefined: deleted) and the value it replaced. */
export interface Change {
  key: string;
  value: string | undefined;
  previous: string | undefined;
}

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

  constructor(
    /** The bucket this table holds. */
    readonly bucket: string,
    private readonly commit: CommitChanges,
    private readonly map = new Map<string, string>(),
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  put(key: string, value: string): void {
    this.journal.push({ key, value, previous: this.map.get(key) });
    this.map.set(key, value);
  }

  delete(key: string): string | undefined {
    const previous = this.map.get(key);
    if (previous === undefined) return undefined; // nothing changes, nothing to store
    this.journal.push({ key, value: undefined, previous });
    this.map.delete(key);
    return previous;
  }

  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }

  flush(): void | Promise<void> {
    if (this.journal.length === 0) return;
    const changes = this.journal;
    this.journal = [];
    let stored: void | Promise<void>;
    try {
      stored = this.commit(this.bucket, changes);
    } catch (thrown) {
      this.rollBack(changes);
      return Promise.reject(asStorageError(thrown));
    }
    if (!stored) return;
    return stored.catch((thrown: unknown) => {
      this.rollBack(changes);
      throw asStorageError(thrown);
    });
  }

  /** Replaces the contents with what the backend holds (after a lost connection). */
  reload(entries: Iterable<[string, string]>): void {
    this.map.clear();
    for (const [key, value] of entries) this.map.set(key, value);
  }

  private rollBack(changes: Change[]): void {
    for (let i = changes.length - 1; i >= 0; i--) {
      const { key, previous } = changes[i]!;
      if (previous === undefined) this.map.delete(key);
      else this.map.set(key, previous);
    }
  }
}

/** Anything a backend throws becomes a KvError the caller can act on. */
export function asStorageError(thrown: unknown): KvError {
  if (thrown instanceof KvError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new KvError('STORAGE_UNAVAILABLE', `the write was not stored: ${message}`);
}
