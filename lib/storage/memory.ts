// The embedded default: tables in memory. They outlive bucket actors (a
// restart loses nothing) but not the process.

import { KeyTable } from './key-table';
import type { BucketTable, Storage } from './storage';

/** A table that is durable as soon as it is written: flush has nothing to wait for. */
export class MemoryTable extends KeyTable implements BucketTable {
  put(key: string, value: string): void {
    this.set(key, value);
  }

  flush(): void {}
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

  async close(): Promise<void> {}
}
