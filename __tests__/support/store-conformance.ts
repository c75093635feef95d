// One conformance suite for every way of running a store (keyv's way, as
// storage-conformance.ts is for backends): each target's file calls
// behavesLikeAStore with a factory. Public API only: the Elixir guide's
// KV.Bucket and KV.Registry tests, errors and their codes, the views, and
// random sequences checked against a model.

import fc from 'fast-check';
import { KvError, type BucketInfo, type BucketOp, type Outcome, type Store, type StoreOptions } from '../../lib';
import { rejection } from './rejection';
import { dataModelCases } from './store-conformance-data';
import { redisStringCases } from './store-conformance-strings';
import { commandArb, Model, modelBuckets, modelMaxRestarts, run } from './store-model';

/** A store made for one test, and how to undo everything made for it. */
export interface StoreUnderTest {
  /** The store the suite calls (in a cluster: the node it enters through). */
  store: Store;
  /** Stops every store started for it and removes what they left behind. */
  cleanup(): Promise<void>;
}

/** The options a test may ask for; a cluster gives them to every node. */
export type SuiteOptions = Pick<StoreOptions, 'supervision' | 'callTimeoutMs'>;

/** Starts a fresh, empty store. */
export type MakeStore = (options?: SuiteOptions) => Promise<StoreUnderTest>;

/** What genuinely differs by target, so that the suite asserts it rather than skips it. */
export interface StoreCapabilities {
  /** The node the suite enters through: tree() is this node's. */
  node: string;
  /** Every node, sorted by name: clusterTree() lists each. */
  nodes: string[];
  /** The node that owns `bucket` (its primary): a node's tree shows the buckets it holds, and only those. */
  ownerOf(bucket: string): string;
  /** With replicas: every node that holds a copy of `bucket` (default: its owner alone). */
  holdersOf?(bucket: string): readonly string[];
  /** The storage kind tree() reports ('memory', 'file', 'redis'). */
  storage: string;
}

/** The capabilities of one node on its own. */
export function singleNode(storage: string): StoreCapabilities {
  return { node: 'local', nodes: ['local'], ownerOf: () => 'local', storage };
}

/** Names that need no escaping anywhere, yet must be kept apart from one another. */
const oddNames = ['a$b', 'a%24b', 'ünïcode', 'a/b', 'a~b', '$'];
/** Every bucket the suite creates: a cluster target spreads them over its nodes. */
export const suiteBuckets = [...new Set(['apples', 'b', 'milk', 'notes', 'nuts', 'shopping', ...oddNames, ...modelBuckets])];

/** How many random sequences each property runs per target: enough to find ordering bugs, few enough to stay fast. */
const modelRuns = 150;

/** The bucket as its owner's tree shows it (with replicas, its primary's), wherever that is. */
async function bucketInfo(store: Store, bucket: string): Promise<BucketInfo | undefined> {
  const nodes = (await store.clusterTree()).nodes.filter((node) => node.reachable);
  const isPrimary = (node: (typeof nodes)[number]): boolean => node.reachable && (node.replication?.some((copy) => copy.bucket === bucket && copy.role === 'primary') ?? true);
  for (const node of [...nodes.filter(isPrimary), ...nodes]) {
    const found = node.reachable ? node.buckets.find((info) => info.name === bucket) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** Runs each call through `submit` and collects every outcome it settles with. */
function outcomes(calls: Array<(settle: (outcome: Outcome) => void) => void>): Promise<Outcome[][]> {
  return Promise.all(calls.map((call) => new Promise<Outcome[]>((resolve) => {
    const seen: Outcome[] = [];
    call((outcome) => {
      seen.push(outcome);
      // Any second answer would land in `seen` before the next turn.
      setImmediate(() => resolve(seen));
    });
  })));
}

export function behavesLikeAStore(name: string, makeStore: MakeStore, capabilities: StoreCapabilities): void {
  const { ownerOf } = capabilities;
  const holdersOf = capabilities.holdersOf ?? ((bucket: string) => [ownerOf(bucket)]);
  const owned = (node: string, buckets: string[]): string[] => buckets.filter((bucket) => holdersOf(bucket).includes(node)).sort();

  describe(`a store (${name})`, () => {
    const made: StoreUnderTest[] = [];
    const start = async (options?: SuiteOptions): Promise<Store> => {
      const target = await makeStore(options);
      made.push(target);
      return target.store;
    };
    afterEach(async () => {
      for (const target of made.splice(0)) await target.cleanup();
    });

    dataModelCases(() => start());
    redisStringCases(() => start(), holdersOf);

    describe("a bucket (the guide's KV.Bucket)", () => {
      test('stores values by key', async () => {
        const store = await start();
        await store.create('shopping');
        expect(await store.get('shopping', 'milk')).toBeUndefined();
        await store.put('shopping', 'milk', '3');
        expect(await store.get('shopping', 'milk')).toBe('3');
      });

      test('delete returns the value it removed', async () => {
        const store = await start();
        await store.create('shopping');
        await store.put('shopping', 'milk', '3');
        expect(await store.delete('shopping', 'milk')).toBe('3');
        expect(await store.delete('shopping', 'milk')).toBeUndefined();
        expect(await store.get('shopping', 'milk')).toBeUndefined();
      });

      test('values may hold spaces and any text', async () => {
        const store = await start();
        await store.create('notes');
        await store.put('notes', 'greeting', 'hello, wide world ✓');
        expect(await store.get('notes', 'greeting')).toBe('hello, wide world ✓');
      });

      test('has tells whether a key is held', async () => {
        const store = await start();
        await store.create('shopping');
        await store.put('shopping', 'milk', '');
        expect(await store.has('shopping', 'milk')).toBe(true);
        expect(await store.has('shopping', 'eggs')).toBe(false);
      });
    });

    describe("the registry (the guide's KV.Registry)", () => {
      test('spawns buckets on demand', async () => {
        const store = await start();
        expect(await store.has('shopping')).toBe(false);
        await store.create('shopping');
        expect(await store.has('shopping')).toBe(true);
        expect(await store.buckets()).toEqual(['shopping']);
      });

      test('create is idempotent and keeps the data', async () => {
        const store = await start();
        await store.create('shopping');
        await store.put('shopping', 'milk', '1');
        await Promise.all([store.create('shopping'), store.create('shopping')]);
        expect(await store.get('shopping', 'milk')).toBe('1');
        expect(await store.buckets()).toEqual(['shopping']);
      });

      test('a crashed bucket restarts and keeps the data it acknowledged', async () => {
        const store = await start();
        await store.create('shopping');
        await store.put('shopping', 'milk', '1');
        await store.crashBucket('shopping', 'boom');
        expect(await store.get('shopping', 'milk')).toBe('1');
        expect(await bucketInfo(store, 'shopping')).toMatchObject({ status: 'running', restarts: 1, lastCrash: 'boom' });
      });

      test('restarts one for one: a crash leaves the other buckets untouched', async () => {
        const store = await start();
        for (const bucket of ['apples', 'shopping']) {
          await store.create(bucket);
          await store.put(bucket, 'k', bucket);
        }
        await store.crashBucket('apples');
        expect(await bucketInfo(store, 'apples')).toMatchObject({ status: 'running', restarts: 1 });
        expect(await bucketInfo(store, 'shopping')).toMatchObject({ status: 'running', restarts: 0, lastCrash: null });
        expect([await store.get('apples', 'k'), await store.get('shopping', 'k')]).toEqual(['apples', 'shopping']);
      });

      test('bucket names with any characters are kept apart', async () => {
        const store = await start();
        for (const bucket of oddNames) await store.create(bucket);
        for (const bucket of oddNames) await store.put(bucket, 'k', bucket);
        for (const bucket of oddNames) expect(await store.get(bucket, 'k')).toBe(bucket);
      });
    });

    describe('errors and their codes', () => {
      test('a no-break space is no whitespace (as Elixir splits words): a bucket name may hold one', async () => {
        const store = await start();
        await store.create('ü\u00a0b');
        expect(await store.buckets()).toEqual(['ü\u00a0b']);
      });

      test('a bucket that does not exist is NOT_FOUND, naming it', async () => {
        const store = await start();
        const calls = [store.get('nope', 'k'), store.put('nope', 'k', 'v'), store.delete('nope', 'k'), store.has('nope', 'k'), store.crashBucket('nope')];
        for (const call of calls) {
          const error = await rejection(call);
          expect(error.code).toBe('NOT_FOUND');
          expect(error.message).toBe('bucket nope does not exist');
        }
        expect(await store.has('nope')).toBe(false);
      });

      test.each<[string, (store: Store) => Promise<unknown>]>([
        ['an empty bucket name', (store) => store.create('')],
        ['a bucket name with a space', (store) => store.create('two words')],
        ['a bucket name with a tab', (store) => store.create('a\tb')],
        ['a bucket name with a control character', (store) => store.create('a\u0001b')],
        ['a bucket name with DEL', (store) => store.create('a\u007fb')],
        ['a bucket name with a C1 control character', (store) => store.create('é\u0085')],
        ['a bucket name with an ideographic space', (store) => store.create('a\u3000b')],
        ['a non-string bucket name', (store) => store.create(42 as unknown as string)],
        ['a non-string key', (store) => store.get('b', undefined as unknown as string)],
        ['a non-string value', (store) => store.put('b', 'k', 7 as unknown as string)],
      ])('%s rejects with BAD_REQUEST', async (_name, call) => {
        const store = await start();
        await store.create('b');
        expect((await rejection(call(store))).code).toBe('BAD_REQUEST');
      });

      test('past its restart intensity a bucket is BUCKET_FAILED, and create revives it with its data', async () => {
        const store = await start({ supervision: { maxRestarts: 1, withinMs: 60_000 } });
        await store.create('shopping');
        await store.put('shopping', 'milk', '1');
        await store.crashBucket('shopping');
        await store.crashBucket('shopping');
        expect(await bucketInfo(store, 'shopping')).toMatchObject({ status: 'failed', restarts: 1 });
        for (const call of [store.get('shopping', 'milk'), store.put('shopping', 'eggs', '6'), store.has('shopping', 'milk')]) {
          const error = await rejection(call);
          expect(error.code).toBe('BUCKET_FAILED');
          expect(error.message).toContain('shopping');
        }
        await store.create('shopping');
        expect(await store.get('shopping', 'milk')).toBe('1');
        expect(await bucketInfo(store, 'shopping')).toMatchObject({ status: 'running' });
      });

      test('calls after stop reject with STOPPED', async () => {
        const store = await start();
        await store.create('shopping');
        await store.stop();
        expect((await rejection(store.get('shopping', 'milk'))).code).toBe('STOPPED');
        expect((await rejection(store.create('other'))).code).toBe('STOPPED');
      });

      test('every call after stop rejects with STOPPED, and a second stop waits for the first', async () => {
        const store = await start();
        await store.create('shopping');
        const first = store.stop();
        const second = store.stop();
        await second;
        for (const call of [store.has('shopping'), store.buckets(), store.tree(), store.clusterTree(), store.has('shopping', 'k')]) {
          expect((await rejection(call)).code).toBe('STOPPED');
        }
        await first;
      });

      test('calls queued at stop are answered, not left to time out', async () => {
        const store = await start({ callTimeoutMs: 60_000 });
        await store.create('shopping');
        const queued = Array.from({ length: 1000 }, (_, i) => store.put('shopping', `k${i}`, 'v').then(() => 'ok', (e: KvError) => e.code));
        await store.stop();
        const answers = new Set(await Promise.all(queued));
        // A call forwarded to another node is answered STOPPED too: it was made on this store.
        expect([...answers].filter((answer) => answer !== 'ok' && answer !== 'STOPPED')).toEqual([]);
      });
    });

    describe('the views: buckets(), tree(), clusterTree()', () => {
      test('buckets() lists every bucket, sorted', async () => {
        const store = await start();
        expect(await store.buckets()).toEqual([]);
        for (const bucket of ['shopping', 'apples', 'nuts', 'milk']) await store.create(bucket);
        expect(await store.buckets()).toEqual(['apples', 'milk', 'nuts', 'shopping']);
      });

      test('tree() shows this node, its registry and each bucket it owns with its key count', async () => {
        const store = await start();
        await store.create('shopping');
        await store.put('shopping', 'milk', '1');
        await store.put('shopping', 'eggs', '6');
        await store.create('apples');
        await store.put('apples', 'cox', '3');
        const keys: Record<string, number> = { apples: 1, shopping: 2 };
        const tree = await store.tree();
        expect(tree).toMatchObject({ node: capabilities.node, storage: capabilities.storage, registry: { status: 'running' } });
        expect(tree.buckets).toEqual(owned(capabilities.node, ['apples', 'shopping']).map((bucket) => (
          { name: bucket, supervisor: expect.stringMatching(/^buckets-/), status: 'running', restarts: 0, lastCrash: null, lastCrashAt: null, keys: keys[bucket], mailbox: 0 }
        )));
        expect(JSON.parse(JSON.stringify(tree))).toEqual(tree);
      });

      test('clusterTree() has every node, each with the buckets it owns', async () => {
        const store = await start();
        await store.create('milk');
        await store.create('nuts');
        await store.put('nuts', 'k', 'v');
        const keys: Record<string, number> = { milk: 0, nuts: 1 };
        const tree = await store.clusterTree();
        expect(tree.nodes.map((node) => [node.node, node.reachable])).toEqual(capabilities.nodes.map((node) => [node, true]));
        for (const node of tree.nodes) {
          expect(node.reachable && node.buckets.map((bucket) => [bucket.name, bucket.keys])).toEqual(owned(node.node, ['milk', 'nuts']).map((bucket) => [bucket, keys[bucket]]));
        }
      });

      test("the suite's buckets are spread over every node", async () => {
        const store = await start();
        for (const bucket of suiteBuckets) await store.create(bucket);
        const tree = await store.clusterTree();
        for (const node of tree.nodes) {
          const names = node.reachable ? node.buckets.map((bucket) => bucket.name) : [];
          expect(names.length).toBeGreaterThan(0);
          expect(names).toEqual(owned(node.node, suiteBuckets));
        }
      });
    });

    describe('submit, the callback form', () => {
      test('settles each operation exactly once, in order per bucket', async () => {
        const store = await start();
        await store.create('shopping');
        const results = await outcomes([
          (settle) => store.submit('shopping', { kind: 'put', key: 'milk', value: '1' }, settle),
          (settle) => store.submit('shopping', { kind: 'get', key: 'milk' }, settle),
          (settle) => store.submit('shopping', { kind: 'delete', key: 'milk' }, settle),
          (settle) => store.submit('shopping', { kind: 'has', key: 'milk' }, settle),
        ]);
        expect(results).toEqual([[{ ok: true, value: undefined }], [{ ok: true, value: '1' }], [{ ok: true, value: '1' }], [{ ok: true, value: false }]]);
      });

      test('read-modify-write operations (incrBy, append, putIf) run in one step, and putMany counts new keys', async () => {
        const store = await start();
        await store.create('counters');
        await store.put('counters', 'text', 'abc');
        const results = await outcomes([
          (settle) => store.submit('counters', { kind: 'incrBy', key: 'n', by: '5' }, settle),
          (settle) => store.submit('counters', { kind: 'incrBy', key: 'n', by: '-7' }, settle),
          (settle) => store.submit('counters', { kind: 'incrBy', key: 'text', by: '1' }, settle),
          (settle) => store.submit('counters', { kind: 'append', key: 'text', value: 'de' }, settle),
          (settle) => store.submit('counters', { kind: 'putIf', key: 'text', value: 'x', exists: false }, settle),
          (settle) => store.submit('counters', { kind: 'putIf', key: 'new', value: 'y', exists: false }, settle),
          (settle) => store.submit('counters', { kind: 'putIf', key: 'gone', value: 'z', exists: true }, settle),
          (settle) => store.submit('counters', { kind: 'putMany', entries: [['new', '1'], ['other', '2']] }, settle),
          (settle) => store.submit('counters', { kind: 'incrBy', key: 'n', by: '1.5' }, settle),
        ]);
        expect(results.map((seen) => seen.map((outcome) => (outcome.ok ? outcome.value : outcome.error)))).toEqual([
          ['5'], ['-2'], [{ code: 'BAD_REQUEST', message: 'value is not an integer or out of range' }], [5], [false], [true], [false], [1],
          [{ code: 'BAD_REQUEST', message: 'by must be a 64-bit integer in decimal' }],
        ]);
        expect(await store.getMany('counters', ['n', 'text', 'new', 'gone'])).toEqual(['-2', 'abcde', '1', undefined]);
      });

      test('reports bad arguments and missing buckets as outcomes, never by throwing', async () => {
        const store = await start();
        await store.create('shopping');
        const results = await outcomes([
          (settle) => store.submit('nope', { kind: 'get', key: 'k' }, settle),
          (settle) => store.submit('', { kind: 'get', key: 'k' }, settle),
          (settle) => store.submit('shopping', { kind: 'put', key: 'k', value: 1 as unknown as string }, settle),
          (settle) => store.submit('shopping', { kind: 'frob' } as unknown as BucketOp, settle),
        ]);
        expect(results.map((seen) => seen.map((outcome) => !outcome.ok && outcome.error.code))).toEqual([['NOT_FOUND'], ['BAD_REQUEST'], ['BAD_REQUEST'], ['BAD_REQUEST']]);
      });
    });

    describe('calls issued together', () => {
      test('pipelined calls over several buckets answer as if run one after another', async () => {
        const store = await start();
        await store.create('apples');
        await store.create('nuts');
        const calls: Array<Promise<unknown>> = [];
        const expected: unknown[] = [];
        for (let index = 0; index < 300; index++) {
          const bucket = index % 3 === 0 ? 'apples' : 'nuts';
          calls.push(store.put(bucket, 'counter', String(index)), store.get(bucket, 'counter'));
          expected.push(undefined, String(index));
          if (index % 50 === 0) {
            calls.push(store.delete(bucket, 'counter'), store.get(bucket, 'counter'));
            expected.push(String(index), undefined);
          }
        }
        expect(await Promise.all(calls)).toEqual(expected);
      });
    });

    describe('random sequences of create, put, get, delete, has and crashBucket answer as a Map of Maps', () => {
      /** A fresh store per sequence, with the model's restart intensity. */
      async function withStore(body: (store: Store, model: Model) => Promise<void>): Promise<void> {
        const target = await makeStore({ supervision: { maxRestarts: modelMaxRestarts, withinMs: 600_000 } });
        try {
          await body(target.store, new Model());
        } finally {
          await target.cleanup();
        }
      }

      test('one call at a time', async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(commandArb, { maxLength: 60 }), (commands) => withStore(async (store, model) => {
            for (const command of commands) expect(await run(store, command)).toEqual(model.apply(command));
          })),
          { numRuns: modelRuns },
        );
      });

      test('calls issued all at once keep per-bucket order', async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(commandArb.filter((c) => c.op !== 'create'), { maxLength: 80 }), (commands) => withStore(async (store, model) => {
            for (const bucket of modelBuckets) {
              await store.create(bucket);
              model.apply({ op: 'create', bucket });
            }
            const answers = await Promise.all(commands.map((command) => run(store, command)));
            expect(answers).toEqual(commands.map((command) => model.apply(command)));
          })),
          { numRuns: modelRuns },
        );
      });
    });
  });
}
