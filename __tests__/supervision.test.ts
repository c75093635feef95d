// One-for-one supervision through nact's onCrash: a crash restarts only its
// bucket, loses no acknowledged write, answers the crashing call, and gives up
// past the restart intensity.

import { createStore, KvError, type Store } from '../lib';
import { FaultyStorage } from './support/faulty-storage';

const stores: Store[] = [];
async function startStore(...args: Parameters<typeof createStore>): Promise<Store> {
  const store = await createStore(...args);
  stores.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()));
});

const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: KvError) => error.code,
  );

async function bucketInfo(store: Store, name: string) {
  return (await store.tree()).buckets.find((bucket) => bucket.name === name)!;
}

test('a crashed bucket is restarted and keeps its data', async () => {
  const store = await startStore();
  await store.create('shopping');
  await store.put('shopping', 'milk', '1');
  await store.crashBucket('shopping', 'killed by the test');
  expect(await store.get('shopping', 'milk')).toBe('1');
  expect(await bucketInfo(store, 'shopping')).toMatchObject({ status: 'running', restarts: 1, lastCrash: 'killed by the test' });
});

test('calls queued behind a crash are served by the new incarnation', async () => {
  const store = await startStore();
  await store.create('shopping');
  const before = store.put('shopping', 'eggs', '6');
  const crash = store.crashBucket('shopping');
  const after = [store.put('shopping', 'milk', '2'), store.get('shopping', 'eggs')];
  await expect(Promise.all([before, crash, ...after])).resolves.toEqual([undefined, undefined, undefined, '6']);
  expect(await store.get('shopping', 'milk')).toBe('2');
});

test('a bug in the handler crashes only the call that hit it, and the bucket restarts', async () => {
  const storage = new FaultyStorage();
  const store = await startStore({ storage });
  await store.create('shopping');
  storage.table('shopping').poisonedKeys.add('boom');
  const calls = [store.put('shopping', 'a', '1'), store.put('shopping', 'boom', 'x'), store.put('shopping', 'b', '2')];
  const codes = await Promise.all(calls.map(codeOf));
  // 'a' was applied before the bug and is kept; 'boom' and the rest of its batch were not applied.
  expect(codes[0]).toBe('ok');
  expect(codes[1]).toBe('BUCKET_CRASHED');
  expect(['ok', 'BUCKET_CRASHED']).toContain(codes[2]);
  expect(await store.get('shopping', 'a')).toBe('1');
  expect(await store.has('shopping', 'boom')).toBe(false);
  expect(await store.get('shopping', 'b')).toBe(codes[2] === 'ok' ? '2' : undefined);
  expect(await bucketInfo(store, 'shopping')).toMatchObject({ restarts: 1, lastCrash: 'poisoned key boom' });
});

test('a putMany that crashes midway writes none of its entries: it answers BUCKET_CRASHED, all or nothing', async () => {
  const storage = new FaultyStorage();
  const store = await startStore({ storage });
  await store.create('shopping');
  await store.put('shopping', 'milk', '1');
  storage.table('shopping').poisonedKeys.add('boom');
  const refused = codeOf(store.putMany('shopping', [['milk', '2'], ['eggs', '6'], ['milk', '3'], ['boom', 'x']]));
  expect(await refused).toBe('BUCKET_CRASHED');
  // Neither entry set before the bug is kept, in memory or in what the restarted bucket reads.
  expect(await store.getMany('shopping', ['milk', 'eggs', 'boom'])).toEqual(['1', undefined, undefined]);
  expect(await store.size('shopping')).toBe(1);
});

test('a write the storage could not make durable fails without crashing the bucket', async () => {
  const storage = new FaultyStorage();
  const store = await startStore({ storage });
  await store.create('shopping');
  storage.table('shopping').flushError = new KvError('STORAGE_UNAVAILABLE', 'disk unplugged');
  await expect(store.put('shopping', 'milk', '1')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  expect((await bucketInfo(store, 'shopping')).restarts).toBe(0);
});

test('a bucket that never answers gives TIMEOUT, and stop answers what is queued behind it', async () => {
  const storage = new FaultyStorage();
  const store = await startStore({ storage, callTimeoutMs: 200 });
  await store.create('stuck');
  storage.table('stuck').hang = true;
  const started = Date.now();
  await expect(store.put('stuck', 'k', 'v')).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('callTimeoutMs') });
  expect(Date.now() - started).toBeLessThan(2000);
  const queued = expect(store.put('stuck', 'k2', 'v')).rejects.toMatchObject({ code: 'STOPPED' });
  await store.stop();
  await queued;
});

test('a batch whose writes were not stored answers its later reads with the error too', async () => {
  const storage = new FaultyStorage();
  const store = await startStore({ storage });
  await store.create('shopping');
  await store.put('shopping', 'milk', '1');
  storage.table('shopping').flushError = new KvError('STORAGE_UNAVAILABLE', 'disk unplugged');
  const before = store.get('shopping', 'milk');
  const write = codeOf(store.put('shopping', 'milk', '2'));
  const after = codeOf(store.get('shopping', 'milk'));
  // The read before the write saw stored data; the read after it would have seen '2', never stored.
  expect(await before).toBe('1');
  expect([await write, await after]).toEqual(['STORAGE_UNAVAILABLE', 'STORAGE_UNAVAILABLE']);
});

test('calls queued behind a bucket that does not answer time out callTimeoutMs after they were made, not later', async () => {
  const storage = new FaultyStorage();
  const timeoutMs = 300;
  const store = await startStore({ storage, callTimeoutMs: timeoutMs });
  await store.create('stuck');
  storage.table('stuck').hang = true;
  const started = Date.now();
  // 1,200 calls: the first message, then two more batches of 512 queued behind it.
  const settledAfter = await Promise.all(
    Array.from({ length: 1200 }, (_, i) => store.put('stuck', `k${i}`, 'v').then(() => 'ok', (error: KvError) => `${error.code}@${Date.now() - started}`)),
  );
  for (const outcome of settledAfter) {
    const [code, at] = outcome.split('@');
    expect(code).toBe('TIMEOUT');
    expect(Number(at)).toBeLessThan(timeoutMs + 250);
  }
});

test('a stuck bucket times out on time while other buckets keep answering calls', async () => {
  const storage = new FaultyStorage();
  const timeoutMs = 300;
  const store = await startStore({ storage, callTimeoutMs: timeoutMs });
  await store.create('stuck');
  await store.create('busy');
  storage.table('stuck').hang = true;
  const started = Date.now();
  const stuck = codeOf(store.put('stuck', 'k', 'v')).then((code) => ({ code, after: Date.now() - started }));
  // Calls made and answered all along must not push the stuck call's timeout back.
  let answered = 0;
  let done = false;
  void stuck.then(() => (done = true));
  while (!done && Date.now() - started < 10 * timeoutMs) {
    await store.put('busy', 'k', String(answered));
    answered++;
  }
  expect(await stuck).toMatchObject({ code: 'TIMEOUT' });
  // Postponed by the busy calls, it would come after the loop's 10 x timeoutMs.
  expect((await stuck).after).toBeLessThan(timeoutMs + 1000);
  expect(answered).toBeGreaterThan(10);
});

test('thousands of batches queued behind a bucket that gives up all settle, and a revived bucket serves at once', async () => {
  const store = await startStore({ supervision: { maxRestarts: 0, withinMs: 60_000 }, callTimeoutMs: 2000 });
  await store.create('b');
  // Each crash ends its batch: 19,999 batches queue behind the first, and
  // each is refused at once (BUCKET_FAILED) once the bucket has given up.
  const count = 20_000;
  const codes = await Promise.all(Array.from({ length: count }, () => codeOf(store.crashBucket('b'))));
  expect(codes.filter((code) => code !== 'BUCKET_FAILED')).toEqual(['ok']);
  await store.create('b');
  const started = Date.now();
  await store.put('b', 'k', 'v');
  expect(Date.now() - started).toBeLessThan(1000);
  expect(await store.get('b', 'k')).toBe('v');
});

test('a bucket revived while its failed incarnation is still stopping works at once', async () => {
  const storage = new FaultyStorage();
  const store = await startStore({ storage, supervision: { maxRestarts: 1, withinMs: 60_000 } });
  await store.create('b');
  await store.crashBucket('b');
  // The fatal crash shares a message with a write whose flush the test holds,
  // so the failed incarnation waits in onCrash, not yet stopped, while we revive it.
  let release!: () => void;
  storage.table('b').held = new Promise<void>((resolve) => (release = resolve));
  const write = codeOf(store.put('b', 'k', 'v'));
  const fatal = codeOf(store.crashBucket('b'));
  while ((await bucketInfo(store, 'b')).status !== 'failed') await new Promise((resolve) => setImmediate(resolve));
  await store.create('b');
  storage.table('b').held = undefined;
  release();
  expect([await write, await fatal]).toEqual(['ok', 'ok']);
  expect(await store.get('b', 'k')).toBe('v');
  expect(await bucketInfo(store, 'b')).toMatchObject({ status: 'running' });
});

test('past the restart intensity the bucket fails fast, and create revives it with its data', async () => {
  const store = await startStore({ supervision: { maxRestarts: 3, withinMs: 60_000 } });
  await store.create('doomed');
  await store.put('doomed', 'kept', 'yes');
  for (let crash = 0; crash < 3; crash++) await store.crashBucket('doomed');
  expect(await bucketInfo(store, 'doomed')).toMatchObject({ status: 'running', restarts: 3 });

  // The fourth crash in the window gives up; the calls queued behind it are answered, not dropped.
  const fatal = store.crashBucket('doomed');
  const queued = Array.from({ length: 20 }, (_, i) => codeOf(store.put('doomed', `k${i}`, 'v')));
  await fatal;
  expect(new Set(await Promise.all(queued))).toEqual(new Set(['BUCKET_FAILED']));
  expect(await bucketInfo(store, 'doomed')).toMatchObject({ status: 'failed', restarts: 3 });
  await expect(store.get('doomed', 'kept')).rejects.toMatchObject({ code: 'BUCKET_FAILED', message: expect.stringContaining('doomed') });

  await store.create('doomed');
  expect(await store.get('doomed', 'kept')).toBe('yes');
  expect(await bucketInfo(store, 'doomed')).toMatchObject({ status: 'running' });
});

test('one-for-one: 100 buckets under writes, 10 crashed repeatedly, nothing lost and no sibling restarted', async () => {
  const store = await startStore({ supervision: { maxRestarts: 100, withinMs: 60_000 } });
  const names = Array.from({ length: 100 }, (_, i) => `bucket-${i}`);
  await Promise.all(names.map((name) => store.create(name)));
  const crashed = new Set(names.slice(0, 10));
  const acknowledged = new Map<string, string>();
  const failures: string[] = [];

  const writer = async (name: string) => {
    for (let i = 0; i < 100; i++) {
      const key = `${name}/k${i % 20}`;
      const value = `v${i}`;
      try {
        await store.put(name, key, value);
        acknowledged.set(key, value);
      } catch (error) {
        failures.push(`${key}: ${(error as KvError).code}`);
      }
    }
  };
  const crasher = async (name: string) => {
    for (let i = 0; i < 20; i++) await store.crashBucket(name);
  };
  await Promise.all([...names.map(writer), ...[...crashed].map(crasher)]);

  // crashBucket ends its batch, so no write shares a message with a crash: none fails.
  expect(failures).toEqual([]);
  for (const [key, value] of acknowledged) {
    const [name] = key.split('/');
    expect(await store.get(name!, key)).toBe(value);
  }
  for (const bucket of (await store.tree()).buckets) {
    expect(bucket.restarts).toBe(crashed.has(bucket.name) ? 20 : 0);
  }
}, 30_000);
