// The Keyv adapter (lib/keyv): Keyv's own compliance suite against a real
// store, in memory and on a file, then what that suite does not look at: the
// store's own expiry, clear, has, many at once, iteration by namespace.
//
// How Keyv's suite runs under jest: @keyv/test-suite 2 (the current major; its
// peer is keyv 5, the newest keyv that runs on Node 20, since keyv 6 needs Node
// 22) is written for vitest, but its CommonJS build loads neither vitest nor
// anything ESM-only: it takes the test API as an argument and calls only
// `it`, `beforeEach` and `afterEach`, and `t.expect` on a test's context.
// `jestAsVitest` hands it jest's own, so every case runs as published, unchanged:
// the groups its default export runs (api, values, namespace) and its iterator
// group. Not run: its compression group, which tests a compression adapter.
//
// keyv 6 (`keyv6`, an npm alias) asks Node 22 by its engines field, but its
// CommonJS build runs on Node 20 all the same. It takes a keyv 5 store through
// its KeyvBridgeAdapter, which turns its absolute deadlines back into a ttl and
// prefixes keys itself (`namespace::key`). The suite above is keyv 5's (five
// of its api cases test keyv 5's own API, changed in 6), so the last block
// checks the adapter's part under keyv 6 directly.

import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import { keyvApiTests, keyvIteratorTests, keyvNamespaceTest, keyvValueTests } from '@keyv/test-suite';
import Keyv from 'keyv';
import Keyv6 from 'keyv6';
import { createStore, KvError, type Store, type StoreOptions } from '../lib';
import { KeyvActorKv } from '../lib/keyv';
import { waitUntil } from './support/deadlines';

/** The test API the suite asks for (vitest's), as jest provides it. */
type SuiteApi = Parameters<typeof keyvApiTests>[0];
type SuiteTest = (context: { expect: jest.Expect }) => unknown;
const jestAsVitest = {
  it: (name: string, body: SuiteTest) => test(name, async () => body({ expect })),
  beforeEach,
  afterEach,
} as unknown as SuiteApi;

/** A running store and how to stop it (and remove what it left). */
interface Running {
  store: Store;
  stop(): Promise<void>;
}

async function inMemory(): Promise<Running> {
  const store = await createStore();
  return { store, stop: () => store.stop() };
}

async function onFile(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-keyv-'))): Promise<Running> {
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  const options: StoreOptions = { storage: { type: 'file', dir, fsync: 'no' } };
  try {
    const store = await createStore(options);
    return { store, stop: async () => void (await store.stop(), remove()) };
  } catch (error) {
    remove();
    throw error;
  }
}

describe.each([
  ['in memory', inMemory],
  ['on a file', onFile],
])("Keyv's compliance suite (@keyv/test-suite), on a store %s", (_where, start) => {
  let running: Running | undefined;
  // Outer hooks: the store starts before the suite's own beforeEach and stops after its afterEach.
  beforeEach(async () => {
    running = await start();
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  const adapter = (): KeyvActorKv => new KeyvActorKv(running!.store, { bucket: 'cache' });

  describe('api', () => keyvApiTests(jestAsVitest, Keyv, adapter));
  describe('values', () => keyvValueTests(jestAsVitest, Keyv, adapter));
  describe('namespace', () => keyvNamespaceTest(jestAsVitest, Keyv, adapter));
  describe('iterator', () => keyvIteratorTests(jestAsVitest, Keyv, adapter));
});

describe('KeyvActorKv on a store in memory', () => {
  let store: Store;
  let adapter: KeyvActorKv;
  beforeEach(async () => {
    store = await createStore();
    adapter = new KeyvActorKv(store, { bucket: 'cache' });
  });
  afterEach(() => store.stop());

  /** What the bucket holds, as sorted [key, value] pairs, read past Keyv. */
  async function bucket(): Promise<Array<[string, string]>> {
    const pairs: Array<[string, string]> = [];
    for await (const pair of store.entries('cache')) pairs.push(pair);
    return pairs.sort(([a], [b]) => (a < b ? -1 : 1));
  }

  test('is taken by Keyv as a store, in either of its forms', () => {
    expect(new Keyv(adapter).store).toBe(adapter);
    expect(new Keyv({ store: adapter, namespace: 'users' }).store).toBe(adapter);
  });

  test("keeps Keyv's serialized values under its prefixed keys, creating the bucket on first use", async () => {
    const keyv = new Keyv({ store: adapter });
    expect(await store.has('cache')).toBe(false);
    expect(await keyv.set('ada', { born: 1815 })).toBe(true);
    expect(await store.has('cache')).toBe(true);
    expect(await bucket()).toEqual([['keyv:ada', JSON.stringify({ value: { born: 1815 } })]]);
    expect(await keyv.get('ada')).toEqual({ born: 1815 });
  });

  test("Keyv's ttl is the store's own expiry: the key is gone from the bucket itself", async () => {
    const keyv = new Keyv({ store: adapter });
    await keyv.set('long', 'v', 60_000);
    await keyv.set('short', 'v', 30);
    await keyv.set('lasting', 'v');
    expect(await store.ttl('cache', 'keyv:long')).toBeGreaterThan(59_000);
    expect(await store.ttl('cache', 'keyv:long')).toBeLessThanOrEqual(60_000);
    expect(await store.ttl('cache', 'keyv:lasting')).toBe(-1);
    await waitUntil(async () => (await store.get('cache', 'keyv:short')) === undefined, undefined, 'the store to expire keyv:short');
    expect(await store.has('cache', 'keyv:short')).toBe(false);
    expect(await keyv.get('short')).toBeUndefined();
    expect(await keyv.get('long')).toBe('v');
  });

  test("Keyv's default ttl goes through too; a negative ttl removes the key; ttl 0 means none", async () => {
    const keyv = new Keyv({ store: adapter, ttl: 60_000 });
    await keyv.set('default', 'v');
    expect(await store.ttl('cache', 'keyv:default')).toBeGreaterThan(59_000);
    await keyv.set('default', 'v', -1);
    expect(await store.has('cache', 'keyv:default')).toBe(false);
    await adapter.set('raw', 'v', 0);
    expect(await store.ttl('cache', 'raw')).toBe(-1);
  });

  test('has and hasMany answer from the bucket', async () => {
    const keyv = new Keyv({ store: adapter });
    await keyv.set('a', 1);
    expect(await keyv.has('a')).toBe(true);
    expect(await keyv.has('b')).toBe(false);
    expect(await keyv.hasMany(['a', 'b'])).toEqual([true, false]);
  });

  test('getMany reads every key in one step of the store', async () => {
    const keyv = new Keyv({ store: adapter });
    await keyv.set('a', 1);
    await keyv.set('c', 3);
    const getMany = jest.spyOn(store, 'getMany');
    expect(await keyv.get(['a', 'b', 'c'])).toEqual([1, undefined, 3]);
    expect(getMany.mock.calls).toEqual([['cache', ['keyv:a', 'keyv:b', 'keyv:c']]]);
  });

  test('setMany stores the entries without a ttl as one putMany, and gives the others their expiry', async () => {
    const keyv = new Keyv({ store: adapter });
    const putMany = jest.spyOn(store, 'putMany');
    const entries = [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
      { key: 'c', value: 3, ttl: 60_000 },
    ];
    expect(await keyv.setMany(entries)).toEqual([true, true, true]);
    expect(putMany).toHaveBeenCalledTimes(1);
    expect(putMany.mock.calls[0]![1]).toEqual([
      ['keyv:a', expect.any(String)],
      ['keyv:b', expect.any(String)],
    ]);
    expect(await keyv.get(['a', 'b', 'c'])).toEqual([1, 2, 3]);
    expect(await store.ttl('cache', 'keyv:a')).toBe(-1);
    expect(await store.ttl('cache', 'keyv:c')).toBeGreaterThan(59_000);
  });

  test('setMany given a key twice keeps its last entry, as a set of each in turn would, with or without a ttl', async () => {
    const keyv = new Keyv({ store: adapter });
    await keyv.setMany([
      { key: 'a', value: 1, ttl: 60_000 },
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
      { key: 'b', value: 2, ttl: 60_000 },
    ]);
    expect(await keyv.get(['a', 'b'])).toEqual([2, 2]);
    expect(await store.ttl('cache', 'keyv:a')).toBe(-1);
    expect(await store.ttl('cache', 'keyv:b')).toBeGreaterThan(59_000);
  });

  test('deleteMany removes every key; it answers whether all of them were there', async () => {
    const keyv = new Keyv({ store: adapter });
    await keyv.set('a', 1);
    await keyv.set('b', 2);
    await keyv.set('c', 3);
    expect(await keyv.delete(['a', 'b'])).toBe(true);
    expect(await keyv.delete(['c', 'missing'])).toBe(false);
    expect(await bucket()).toEqual([]);
  });

  test("clear removes its namespace's keys only: another namespace's and the bucket's other keys stay", async () => {
    await store.create('cache');
    await store.put('cache', 'not-keyv', '1');
    const [users, sessions] = ['users', 'sessions'].map((namespace) => new Keyv({ store: new KeyvActorKv(store, { bucket: 'cache' }), namespace }));
    await users!.set('ada', 1);
    await sessions!.set('s1', 2);
    await users!.clear();
    expect((await bucket()).map(([key]) => key)).toEqual(['not-keyv', 'sessions:s1']);
  });

  test("a namespace's glob characters are matched as themselves", async () => {
    const [star, plain] = ['n*', 'nx'].map((namespace) => new Keyv({ store: new KeyvActorKv(store, { bucket: 'cache' }), namespace }));
    await star!.set('a', 1);
    await plain!.set('b', 2);
    const keys = [];
    for await (const [key] of star!.iterator!(undefined)) keys.push(key);
    expect(keys).toEqual(['a']);
    await star!.clear();
    expect((await bucket()).map(([key]) => key)).toEqual(['nx:b']);
  });

  test('without a namespace (a bucket per cache), keys are kept as given, iteration sees them all, and clear is one store.clear', async () => {
    const keyv = new Keyv({ store: adapter, namespace: undefined, useKeyPrefix: false });
    await keyv.set('a', 1);
    await keyv.set('b:c', 2);
    const pairs: unknown[] = [];
    for await (const pair of keyv.iterator!(undefined)) pairs.push(pair);
    expect(pairs.sort()).toEqual([['a', 1], ['b:c', 2]]);
    expect((await bucket()).map(([key]) => key)).toEqual(['a', 'b:c']);
    await store.put('cache', 'other', '1');
    const clear = jest.spyOn(store, 'clear');
    await keyv.clear();
    expect(clear.mock.calls).toEqual([['cache']]);
    expect(await store.size('cache')).toBe(0);
  });

  test("iterator yields its namespace's [key, value] pairs over many pages, through store.entries", async () => {
    const mine = new Keyv({ store: new KeyvActorKv(store, { bucket: 'cache' }), namespace: 'mine' });
    const theirs = new Keyv({ store: new KeyvActorKv(store, { bucket: 'cache' }), namespace: 'theirs' });
    const keys = Array.from({ length: 250 }, (_, index) => `k${index}`);
    await mine.setMany(keys.map((key) => ({ key, value: { key } })));
    await theirs.set('k0', 'not mine');
    const entries = jest.spyOn(store, 'entries');
    const seen = new Map<string, unknown>();
    for await (const [key, value] of mine.iterator!(undefined)) seen.set(key as string, value);
    expect(entries.mock.calls).toEqual([['cache', { match: 'mine:*' }]]);
    expect([...seen.keys()].sort()).toEqual([...keys].sort());
    expect([...seen].every(([key, value]) => (value as { key: string }).key === key)).toBe(true);
  });

  test('a bucket dropped behind its back is created again on the next call', async () => {
    const keyv = new Keyv({ store: adapter });
    await keyv.set('a', 1);
    await store.drop('cache');
    expect(await keyv.get('a')).toBeUndefined();
    expect(await keyv.set('b', 2)).toBe(true);
    expect(await keyv.get('b')).toBe(2);
  });

  test('an iterator over a bucket dropped behind its back yields nothing and creates the bucket again', async () => {
    const keyv = new Keyv({ store: adapter, throwOnErrors: true });
    await keyv.set('a', 1);
    await store.drop('cache');
    const pairs: unknown[] = [];
    for await (const pair of keyv.iterator!(undefined)) pairs.push(pair);
    expect(pairs).toEqual([]);
    expect(await store.has('cache')).toBe(true);
    await keyv.set('b', 2);
    for await (const pair of keyv.iterator!(undefined)) pairs.push(pair);
    expect(pairs).toEqual([['b', 2]]);
  });

  test("the store's errors reach Keyv as KvErrors: an 'error' event, or a rejection with throwOnErrors", async () => {
    const keyv = new Keyv({ store: adapter });
    const seen: unknown[] = [];
    keyv.on('error', (error: unknown) => seen.push(error));
    await store.stop();
    expect(await keyv.set('a', 1)).toBe(false);
    expect(seen).toEqual([expect.objectContaining({ code: 'STOPPED' })]);
    expect(seen[0]).toBeInstanceOf(KvError);
    const throwing = new Keyv({ store: new KeyvActorKv(store, { bucket: 'cache' }), throwOnErrors: true });
    throwing.on('error', () => undefined);
    await expect(throwing.set('a', 1)).rejects.toMatchObject({ code: 'STOPPED' });
    await expect(throwing.get('a')).rejects.toMatchObject({ code: 'STOPPED' });
  });
});

describe('KeyvActorKv on a store on a file', () => {
  test('what Keyv stored, deadlines included, is there after a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-keyv-restart-'));
    let running = await onFile(dir);
    try {
      const keyv = new Keyv({ store: new KeyvActorKv(running.store, { bucket: 'cache' }) });
      await keyv.set('lasting', 'v');
      await keyv.set('expiring', 'v', 60_000);
      await running.store.stop();
      running = await onFile(dir);
      const again = new Keyv({ store: new KeyvActorKv(running.store, { bucket: 'cache' }) });
      expect(await again.get(['lasting', 'expiring'])).toEqual(['v', 'v']);
      expect(await running.store.ttl('cache', 'keyv:expiring')).toBeGreaterThan(50_000);
    } finally {
      await running.stop();
    }
  });
});

describe('KeyvActorKv under keyv 6, through its bridge', () => {
  let store: Store;
  beforeEach(async () => {
    store = await createStore();
  });
  afterEach(() => store.stop());
  const keyvIn = (namespace?: string) => new Keyv6({ store: new KeyvActorKv(store, { bucket: 'cache' }), ...(namespace ? { namespace } : {}) });

  test("Keyv's ttl is the store's own expiry", async () => {
    const users = keyvIn('users');
    expect(await users.set('ada', { born: 1815 }, 60_000)).toBe(true);
    await users.set('otp', '1', 30);
    expect(await users.get('ada')).toEqual({ born: 1815 });
    expect(await store.ttl('cache', 'users::ada')).toBeGreaterThan(59_000);
    await waitUntil(async () => !(await store.has('cache', 'users::otp')), undefined, 'the store to expire users::otp');
  });

  test('getMany, has, setMany and deleteMany reach the bucket', async () => {
    const users = keyvIn('users');
    expect(await users.setMany([{ key: 'a', value: 1 }, { key: 'b', value: 2, ttl: 60_000 }])).toEqual([true, true]);
    expect(await users.get(['a', 'b', 'c'])).toEqual([1, 2, undefined]);
    expect([await users.has('a'), await users.has('c')]).toEqual([true, false]);
    expect(await store.ttl('cache', 'users::b')).toBeGreaterThan(59_000);
    await users.deleteMany(['a', 'b']);
    expect(await store.size('cache')).toBe(0);
  });

  test("clear and iterator keep to the namespace; without one, clear is the bucket's", async () => {
    const [users, sessions, plain] = [keyvIn('users'), keyvIn('sessions'), keyvIn()];
    await users.set('ada', 1);
    await users.set('grace', 2);
    await sessions.set('ada', 3);
    const seen: unknown[] = [];
    for await (const pair of users.iterator()) seen.push(pair);
    expect(seen.sort()).toEqual([['ada', 1], ['grace', 2]]);
    await users.clear();
    expect((await store.keys('cache')).keys).toEqual(['sessions::ada']);
    const clear = jest.spyOn(store, 'clear');
    await plain.clear();
    expect(clear.mock.calls).toEqual([['cache']]);
    expect(await store.size('cache')).toBe(0);
  });
});
