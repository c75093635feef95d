// Model-based: random sequences of create/put/get/delete/crashBucket give the
// same results as a plain Map of Maps (with the restart intensity modelled).

import fc from 'fast-check';
import { createStore, KvError, type Store } from '../lib';

const maxRestarts = 3;
const buckets = ['a', 'b', 'c'];
const keys = ['x', 'y', 'z'];

type Command =
  | { op: 'create'; bucket: string }
  | { op: 'put'; bucket: string; key: string; value: string }
  | { op: 'get' | 'delete' | 'has'; bucket: string; key: string }
  | { op: 'crash'; bucket: string };

const bucketArb = fc.constantFrom(...buckets);
const keyArb = fc.constantFrom(...keys);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), bucket: bucketArb }),
  fc.record({ op: fc.constant('put' as const), bucket: bucketArb, key: keyArb, value: fc.string({ maxLength: 4 }) }),
  fc.record({ op: fc.constantFrom('get' as const, 'delete' as const, 'has' as const), bucket: bucketArb, key: keyArb }),
  fc.record({ op: fc.constant('crash' as const), bucket: bucketArb }),
);

/** The model: what the store must answer. Crashes count toward the intensity until create revives. */
class Model {
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
    if (this.crashes.get(bucket)! > maxRestarts) return 'BUCKET_FAILED';
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

function run(store: Store, command: Command): Promise<unknown> {
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

const options = { supervision: { maxRestarts, withinMs: 600_000 } };

test('one call at a time, the store answers as the model', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(commandArb, { maxLength: 60 }), async (commands) => {
      const store = await createStore(options);
      const model = new Model();
      try {
        for (const command of commands) expect(await run(store, command)).toEqual(model.apply(command));
      } finally {
        await store.stop();
      }
    }),
    { numRuns: 150 },
  );
});

test('calls issued all at once keep per-bucket order and answer as the model', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(commandArb.filter((c) => c.op !== 'create'), { maxLength: 80 }), async (commands) => {
      const store = await createStore(options);
      const model = new Model();
      try {
        for (const bucket of buckets) {
          await store.create(bucket);
          model.apply({ op: 'create', bucket });
        }
        const answers = await Promise.all(commands.map((command) => run(store, command)));
        expect(answers).toEqual(commands.map((command) => model.apply(command)));
      } finally {
        await store.stop();
      }
    }),
    { numRuns: 150 },
  );
});
