// The Elixir guide's bucket and registry tests, translated, and the library contract.

import { createStore, KvError, type BucketOp, type Outcome, type Store } from '../lib';
import { rejection } from './support/rejection';

let store: Store;
beforeEach(async () => {
  store = await createStore();
});
afterEach(async () => {
  await store.stop();
});

describe('a bucket', () => {
  test('stores values by key', async () => {
    await store.create('shopping');
    expect(await store.get('shopping', 'milk')).toBeUndefined();
    await store.put('shopping', 'milk', '3');
    expect(await store.get('shopping', 'milk')).toBe('3');
  });

  test('delete returns the value it removed', async () => {
    await store.create('shopping');
    await store.put('shopping', 'milk', '3');
    expect(await store.delete('shopping', 'milk')).toBe('3');
    expect(await store.delete('shopping', 'milk')).toBeUndefined();
    expect(await store.get('shopping', 'milk')).toBeUndefined();
  });

  test('values may hold spaces and any text in the library API', async () => {
    await store.create('notes');
    await store.put('notes', 'greeting', 'hello, wide world ✓');
    expect(await store.get('notes', 'greeting')).toBe('hello, wide world ✓');
  });

  test('has tells whether a key is held', async () => {
    await store.create('shopping');
    await store.put('shopping', 'milk', '');
    expect(await store.has('shopping', 'milk')).toBe(true);
    expect(await store.has('shopping', 'eggs')).toBe(false);
  });
});

describe('the registry', () => {
  test('spawns buckets on demand', async () => {
    expect(await store.has('shopping')).toBe(false);
    await store.create('shopping');
    expect(await store.has('shopping')).toBe(true);
    expect(await store.buckets()).toEqual(['shopping']);
  });

  test('create is idempotent and keeps the data', async () => {
    await store.create('shopping');
    await store.put('shopping', 'milk', '1');
    await Promise.all([store.create('shopping'), store.create('shopping')]);
    expect(await store.get('shopping', 'milk')).toBe('1');
    expect(await store.buckets()).toEqual(['shopping']);
  });

  test('a bucket that does not exist is NOT_FOUND', async () => {
    for (const call of [store.get('nope', 'k'), store.put('nope', 'k', 'v'), store.delete('nope', 'k'), store.crashBucket('nope')]) {
      const error = await rejection(call);
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain('nope');
    }
  });

  test('bucket names with any characters are kept apart', async () => {
    const names = ['a$b', 'a%24b', 'ünïcode', 'a/b', 'a~b', '$'];
    for (const name of names) await store.create(name);
    for (const name of names) await store.put(name, 'k', name);
    for (const name of names) expect(await store.get(name, 'k')).toBe(name);
  });
});

describe('bad arguments', () => {
  test.each([
    ['an empty bucket name', () => store.create('')],
    ['a bucket name with a space', () => store.create('two words')],
    ['a bucket name with a tab', () => store.create('a\tb')],
    ['a bucket name with a control character', () => store.create('a\u0001b')],
    ['a bucket name with DEL', () => store.create('a\u007fb')],
    ['a bucket name with a C1 control character', () => store.create('é\u0085')],
    ['a bucket name with an ideographic space', () => store.create('a\u3000b')],
    ['a bucket name with a no-break space', () => store.create('ü\u00a0b')],
    ['a non-string bucket name', () => store.create(42 as unknown as string)],
    ['a non-string key', () => store.get('b', undefined as unknown as string)],
    ['a non-string value', () => store.put('b', 'k', 7 as unknown as string)],
  ])('%s rejects with BAD_REQUEST', async (_name, call) => {
    await store.create('b');
    expect((await rejection(call())).code).toBe('BAD_REQUEST');
  });

  test.each([
    ['a negative timeout', { callTimeoutMs: -1 }, 'callTimeoutMs'],
    // Node would fire it after 1 ms: every call would time out at once.
    ['a timeout longer than a timer can wait', { callTimeoutMs: 2 ** 31 }, 'callTimeoutMs` must be at most 2147483647 ms'],
  ])('%s is refused, naming the option', async (_name, options, mention) => {
    const error = await rejection(createStore(options));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(mention);
  });
});

describe('submit, the callback form', () => {
  const outcomes = (calls: Array<(settle: (outcome: Outcome) => void) => void>) =>
    Promise.all(calls.map((call) => new Promise<Outcome[]>((resolve) => {
      const seen: Outcome[] = [];
      call((outcome) => {
        seen.push(outcome);
        // Any second answer would land in `seen` before the next turn.
        setImmediate(() => resolve(seen));
      });
    })));

  test('settles each operation exactly once, in order per bucket', async () => {
    await store.create('shopping');
    const results = await outcomes([
      (settle) => store.submit('shopping', { kind: 'put', key: 'milk', value: '1' }, settle),
      (settle) => store.submit('shopping', { kind: 'get', key: 'milk' }, settle),
      (settle) => store.submit('shopping', { kind: 'delete', key: 'milk' }, settle),
      (settle) => store.submit('shopping', { kind: 'has', key: 'milk' }, settle),
    ]);
    expect(results).toEqual([[{ ok: true, value: undefined }], [{ ok: true, value: '1' }], [{ ok: true, value: '1' }], [{ ok: true, value: false }]]);
  });

  test('reports bad arguments and missing buckets as outcomes, never by throwing', async () => {
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

describe('stop', () => {
  test('calls after stop reject with STOPPED', async () => {
    await store.create('shopping');
    await store.stop();
    expect((await rejection(store.get('shopping', 'milk'))).code).toBe('STOPPED');
    expect((await rejection(store.create('other'))).code).toBe('STOPPED');
  });

  test('every call after stop rejects with STOPPED, and a second stop waits for the first', async () => {
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
    const slow = await createStore({ callTimeoutMs: 60_000 });
    await slow.create('shopping');
    const queued = Array.from({ length: 1000 }, (_, i) => slow.put('shopping', `k${i}`, 'v').then(() => 'ok', (e: KvError) => e.code));
    await slow.stop();
    const outcomes = await Promise.all(queued);
    expect(outcomes.every((outcome) => outcome === 'ok' || outcome === 'STOPPED')).toBe(true);
  });
});

describe('tree()', () => {
  test('shows the node, the registry and each bucket with its key count', async () => {
    await store.create('shopping');
    await store.put('shopping', 'milk', '1');
    await store.put('shopping', 'eggs', '6');
    const tree = await store.tree();
    expect(tree.node).toBe('local');
    expect(tree.registry.status).toBe('running');
    expect(tree.buckets).toEqual([
      { name: 'shopping', supervisor: expect.stringMatching(/^buckets-/), status: 'running', restarts: 0, lastCrash: null, keys: 2 },
    ]);
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree);
  });
});
