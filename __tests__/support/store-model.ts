// The model the conformance suite checks a store against: a plain Map of Maps,
// with the restart intensity modelled, and random sequences of commands for it.

import fc from 'fast-check';
import type { KvError, Store } from '../../lib';

/** The restart intensity the model assumes: a store under test gets it as `supervision.maxRestarts`. */
export const modelMaxRestarts = 3;
/** The buckets the sequences use; in the two-node targets they land on both nodes. */
export const modelBuckets = ['apples', 'milk', 'nuts'];
const keys = ['x', 'y', 'z'];

export type Command =
  | { op: 'create'; bucket: string }
  | { op: 'put'; bucket: string; key: string; value: string }
  | { op: 'get' | 'delete' | 'has'; bucket: string; key: string }
  | { op: 'crash'; bucket: string };

const bucketArb = fc.constantFrom(...modelBuckets);
const keyArb = fc.constantFrom(...keys);
export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), bucket: bucketArb }),
  fc.record({ op: fc.constant('put' as const), bucket: bucketArb, key: keyArb, value: fc.string({ maxLength: 4 }) }),
  fc.record({ op: fc.constantFrom('get' as const, 'delete' as const, 'has' as const), bucket: bucketArb, key: keyArb }),
  fc.record({ op: fc.constant('crash' as const), bucket: bucketArb }),
);

/** What the store must answer. Crashes count toward the intensity until create revives. */
export class Model {
  private readonly tables = new Map<string, Map<string, string>>();
  private readonly crashes = new Map<string, number>();

  apply(command: Command): unknown {
    const { bucket } = command;
    if (command.op === 'create') {
      if (!this.tables.has(bucket)) this.tables.set(bucket, new Map());
      this.crashes.set(bucket, 0);
      return 'ok';
    }
    const table = this.tables.get(bucket);
    if (!table) return 'NOT_FOUND';
    if (this.crashes.get(bucket)! > modelMaxRestarts) return 'BUCKET_FAILED';
    switch (command.op) {
      case 'put':
        table.set(command.key, command.value);
        return undefined;
      case 'get':
        return table.get(command.key);
      case 'has':
        return table.has(command.key);
      case 'delete': {
        const value = table.get(command.key);
        table.delete(command.key);
        return value;
      }
      case 'crash':
        this.crashes.set(bucket, this.crashes.get(bucket)! + 1);
        return undefined;
    }
  }
}

/** Runs `command` on the store: its value, 'ok' for a create, or the error's code. */
export function run(store: Store, command: Command): Promise<unknown> {
  const { bucket } = command;
  const call = (): Promise<unknown> => {
    switch (command.op) {
      case 'create':
        return store.create(bucket).then(() => 'ok');
      case 'put':
        return store.put(bucket, command.key, command.value);
      case 'get':
        return store.get(bucket, command.key);
      case 'has':
        return store.has(bucket, command.key);
      case 'delete':
        return store.delete(bucket, command.key);
      case 'crash':
        return store.crashBucket(bucket);
    }
  };
  return call().catch((error: KvError) => error.code);
}
