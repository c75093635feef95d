// The embedded default: tables in plain Maps. They outlive bucket actors (a
// restart loses nothing) but not the process.

import type { BucketTable, Storage } from './storage';

/** A table that is durable as soon as it is written: flush has nothing to wait for. */
export class MemoryTable implements BucketTable {
  private readonly map = new Map<string, string>();

  get size(): number {
    return this.map.size;
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  put(key: string, value: string): void {
    this.map.set(key, value);
  }

  delete(key: string): string | undefined {
    const value = this.map.get(key);
    this.map.delete(key);
    return value;
  }

  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
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
