// The embedded default: tables in memory. They outlive bucket actors (a
// restart loses nothing) but not the process.

import { KeyTable, type ScanPage, type StoredEntry } from './key-table';
import type { BucketTable, Storage } from './storage';

/** A table that is durable as soon as it is written: flush has nothing to wait for. */
export class MemoryTable implements BucketTable {
  private readonly keys = new KeyTable();

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
    this.keys.set(key, value, expiresAt);
  }

  delete(key: string): string | undefined {
    return this.keys.delete(key)?.value;
  }

  clear(): number {
    return this.keys.clear();
  }

  scan(cursor: number, count: number, match?: (key: string) => boolean): ScanPage {
    return this.keys.scan(cursor, count, match);
  }

  entries(): IterableIterator<[string, string, number]> {
    return this.keys.entries();
  }

  flush(): void {}

  /** See KeyTable.release. */
  release(): void {
    this.keys.release();
  }
}

export class MemoryStorage implements Storage {
  readonly kind = 'memory';
  private readonly tables = new Map<string, MemoryTable>();

  async open(): Promise<string[]> {
    return [...this.tables.keys()];
  }

  async createBucket(name: string): Promise<void> {
    this.table(name);
  }

  async dropBucket(name: string): Promise<void> {
    this.tables.get(name)?.release();
    this.tables.delete(name);
  }

  table(name: string): MemoryTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new MemoryTable();
      this.tables.set(name, table);
    }
    return table;
  }

  async close(): Promise<void> {
    for (const table of this.tables.values()) table.release();
  }
}
