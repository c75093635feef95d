// A memory storage with injectable bugs, to crash bucket actors the way a real
// bug would (a throw from inside the handler), not only through crashBucket.

import { MemoryStorage, MemoryTable } from '../../lib/storage/memory';

export class FaultyTable extends MemoryTable {
  /** Keys whose put throws, as a bug in the handler would. */
  readonly poisonedKeys = new Set<string>();
  /** When set, flush() rejects with this error (a storage failure, not a bug). */
  flushError: Error | undefined;
  /** When set, flush() never settles (a storage that hangs). */
  hang = false;
  /** When set, flush() waits for this promise (a slow disk the test controls). */
  held: Promise<void> | undefined;

  override put(key: string, value: string, expiresAt?: number): void {
    if (this.poisonedKeys.has(key)) throw new TypeError(`poisoned key ${key}`);
    super.put(key, value, expiresAt);
  }

  override flush(): void | Promise<void> {
    const error = this.flushError;
    if (error) return Promise.reject(error);
    if (this.hang) return new Promise(() => {});
    if (this.held) return this.held;
  }
}

export class FaultyStorage extends MemoryStorage {
  private readonly faulty = new Map<string, FaultyTable>();

  override table(name: string): FaultyTable {
    let table = this.faulty.get(name);
    if (!table) {
      table = new FaultyTable();
      this.faulty.set(name, table);
    }
    return table;
  }
}
