// The Redis backend against ioredis-mock: the data layout, a failed write
// rolled back and reported, resynchronisation from Redis, and an unreachable
// Redis reported at start. The real redis-server runs in the system tests.

import RedisMock from 'ioredis-mock';
import { createStore, RedisStorage, type Store } from '../lib';
import { parseHostPort, redactRedisUrl } from '../lib/storage/redis-connection';
import { rejection } from './support/rejection';
import { RecordingLogger } from './support/recording-logger';
import { waitUntil } from './support/deadlines';
import { freePort } from './support/free-ports';

let client: InstanceType<typeof RedisMock>;
let store: Store | undefined;
beforeEach(async () => {
  client = new RedisMock();
  await client.flushall(); // ioredis-mock instances share their data
});
afterEach(async () => {
  await store?.stop();
  store = undefined;
  jest.restoreAllMocks();
  client.disconnect();
});

/** The next HSET fails as a lost connection would, after `sideEffect` (a write that ran anyway). */
function failNextWrite(sideEffect: () => Promise<unknown> = async () => {}): void {
  jest.spyOn(client, 'hset').mockImplementationOnce((async () => {
    await sideEffect();
    throw new Error('Connection is closed.');
  }) as never);
}

test('each bucket is a Redis hash under a hash tag of its name, beside its deadlines and its marker', async () => {
  store = await createStore({ node: 'n1', storage: { type: 'redis', client: client as never } });
  await store.create('shopping');
  await store.put('shopping', 'milk', '1', { ttlMs: 60_000 });
  await store.put('shopping', 'eggs', '6');
  await store.delete('shopping', 'eggs');
  // One batch with a put and a delete: one MULTI with an HSET and an HDEL.
  await Promise.all([store.put('shopping', 'bread', '2'), store.put('shopping', 'jam', '1'), store.delete('shopping', 'jam')]);
  expect((await client.keys('*')).sort()).toEqual(['actor-kv:n1:{b:shopping}:data', 'actor-kv:n1:{b:shopping}:expiry', 'actor-kv:n1:{b:shopping}:meta']);
  expect(await client.hgetall('actor-kv:n1:{b:shopping}:data')).toEqual({ milk: '1', bread: '2' });
  expect(Object.keys(await client.hgetall('actor-kv:n1:{b:shopping}:expiry'))).toEqual(['milk']);
  await store.drop('shopping');
  expect(await client.keys('*')).toEqual([]);
});

test('a Redis written by an earlier version (one set of names, untagged hashes) is moved to the tagged layout on open', async () => {
  await client.sadd('p:buckets', 'shopping', 'empty');
  await client.set('p:marker', 'x');
  await client.hset('p:bucket:shopping', 'milk', '1', 'eggs', '6');
  await client.hset('p:expiry:shopping', 'eggs', String(Date.now() + 60_000));
  store = await createStore({ storage: new RedisStorage({ client: client as never, prefix: 'p:' }) });
  expect((await store.buckets()).sort()).toEqual(['empty', 'shopping']);
  expect(await store.getMany('shopping', ['milk', 'eggs'])).toEqual(['1', '6']);
  expect(await store.ttl('shopping', 'eggs')).toBeGreaterThan(50_000);
  expect((await client.keys('*')).sort()).toEqual(['p:{b:empty}:meta', 'p:{b:shopping}:data', 'p:{b:shopping}:expiry', 'p:{b:shopping}:meta']);
  await store.put('shopping', 'jam', '2');
  await store.stop();
  store = await createStore({ storage: new RedisStorage({ client: client as never, prefix: 'p:' }) });
  expect(await store.get('shopping', 'jam')).toBe('2');
});

test('a write Redis did not take fails with STORAGE_UNAVAILABLE, is rolled back, and writes recover', async () => {
  store = await createStore({ storage: new RedisStorage({ client: client as never, prefix: 'p:', recoveryIntervalMs: 10 }) });
  await store.create('b');
  await store.put('b', 'k', 'old');
  failNextWrite();
  const error = await rejection(store.put('b', 'k', 'new'));
  expect(error.code).toBe('STORAGE_UNAVAILABLE');
  expect(error.message).toContain('Connection is closed');
  expect(await store.get('b', 'k')).toBe('old');
  await waitUntil(() => store!.put('b', 'k', 'later').then(() => true, () => false), 2000, 'a write to succeed again');
  expect(await client.hget('p:{b:b}:data', 'k')).toBe('later');
});

test('after a failure the bucket is reloaded from Redis, so memory agrees with what Redis holds', async () => {
  store = await createStore({ storage: new RedisStorage({ client: client as never, prefix: 'p:', recoveryIntervalMs: 10 }) });
  await store.create('b');
  await store.put('b', 'k', 'old');
  // The write times out here but runs in Redis anyway.
  failNextWrite(() => client.hset('p:{b:b}:data', 'k', 'new'));
  expect((await rejection(store.put('b', 'k', 'new'))).code).toBe('STORAGE_UNAVAILABLE');
  await waitUntil(async () => (await store!.get('b', 'k')) === 'new', 2000, 'the bucket to hold what Redis holds');
});

test('an unreachable Redis fails the start with STORAGE_UNAVAILABLE, quickly', async () => {
  const port = await freePort();
  const started = Date.now();
  const error = await rejection(createStore({ storage: { type: 'redis', url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 100 } }));
  expect(error.code).toBe('STORAGE_UNAVAILABLE');
  expect(error.message).toContain(`127.0.0.1:${port}`);
  expect(Date.now() - started).toBeLessThan(2000);
});

test('an unreachable Redis is logged once, not on every reconnect ioredis makes', async () => {
  const port = await freePort();
  const logger = new RecordingLogger();
  const error = await rejection(createStore({ logger, storage: { type: 'redis', url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300 } }));
  expect(error.code).toBe('STORAGE_UNAVAILABLE');
  expect(logger.events.filter((event) => event.event.startsWith('redis')).map((event) => event.event)).toEqual(['redis error']);
});

test('a Redis that lost its data (restarted empty, flushed) gets no write acknowledged into it: writes are refused, saying why', async () => {
  const logger = new RecordingLogger();
  store = await createStore({ storage: new RedisStorage({ client: client as never, prefix: 'p:', logger }) });
  await store.create('shopping');
  await store.put('shopping', 'eggs', '6');
  await client.flushall();
  const refused = await rejection(store.put('shopping', 'eggs', '8'));
  expect(refused).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('no longer holds') });
  expect(await rejection(store.create('hardware'))).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  expect(await rejection(store.put('shopping', 'milk', '1'))).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  expect(logger.events.filter((event) => event.level === 'error').map((event) => event.event)).toEqual(['redis lost the stored data; refusing writes']);
  await store.stop();
  // A node restart reads what Redis holds, and writes work again.
  store = await createStore({ storage: new RedisStorage({ client: client as never, prefix: 'p:' }) });
  expect(await store.buckets()).toEqual([]);
  await store.create('shopping');
  await store.put('shopping', 'eggs', '9');
  await store.stop();
  store = await createStore({ storage: new RedisStorage({ client: client as never, prefix: 'p:' }) });
  expect(await store.get('shopping', 'eggs')).toBe('9');
});

test('a failed write names Redis by its host, never by its credentials', async () => {
  const url = 'redis://admin:SuperSecretPw@redis.example:6380/3?password=AlsoSecret';
  store = await createStore({ storage: new RedisStorage({ url, client: client as never, prefix: 'p:', recoveryIntervalMs: 10 }) });
  await store.create('b');
  failNextWrite();
  const error = await rejection(store.put('b', 'k', 'v'));
  expect(error.code).toBe('STORAGE_UNAVAILABLE');
  expect(error.message).toContain('Redis (redis://redis.example:6380/3) did not store the write: Connection is closed');
  for (const secret of ['admin', 'SuperSecretPw', 'AlsoSecret']) expect(error.message).not.toContain(secret);
});

test('an unreachable Redis with credentials: the start fails saying so, and neither the error nor the log shows them', async () => {
  const port = await freePort();
  const logger = new RecordingLogger();
  const url = `redis://default:SuperSecretPw@127.0.0.1:${port}/2`;
  const error = await rejection(createStore({ logger, storage: { type: 'redis', url, commandTimeoutMs: 100 } }));
  expect(error.code).toBe('STORAGE_UNAVAILABLE');
  expect(error.message).toContain(`Redis (redis://127.0.0.1:${port}/2) could not be reached`);
  const everything = JSON.stringify([error.message, logger.events]);
  expect(everything).not.toContain('SuperSecretPw');
  expect(everything).not.toContain('default:');
});

test('a Redis that fails while the buckets load: the start fails saying so', async () => {
  jest.spyOn(client, 'scan').mockRejectedValueOnce(new Error('LOADING Redis is loading the dataset in memory') as never);
  const error = await rejection(createStore({ storage: new RedisStorage({ client: client as never, prefix: 'p:' }) }));
  expect(error.code).toBe('STORAGE_UNAVAILABLE');
  expect(error.message).toContain('Redis (the given client) did not return the stored buckets: LOADING');
});

test('a Redis URL is shown with its host, port and database only', () => {
  const cases: Array<[string, string]> = [
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis://user:pw@host:1/2', 'redis://host:1/2'],
    ['rediss://:pw@host', 'rediss://host'],
    ['redis://user:p%40ss@[::1]:7000/0?password=x&db=1', 'redis://[::1]:7000/0'],
    ['redis://us er:pw@@bad host', 'an unparsable URL'],
  ];
  for (const [url, shown] of cases) expect(redactRedisUrl(url)).toBe(shown);
});

test.each([
  ['127.0.0.1:7000', { host: '127.0.0.1', port: 7000 }],
  ['redis.example:6379', { host: 'redis.example', port: 6379 }],
  [' h:1 ', { host: 'h', port: 1 }],
  ['[::1]:7000', { host: '::1', port: 7000 }],
  ['::1:7000', undefined], // IPv6 needs its brackets
  ['127.0.0.1', undefined],
  ['7000', undefined],
  ['h:0', undefined],
  ['h:65536', undefined],
  ['h:70a', undefined],
  ['redis://h:1', undefined],
  ['h h:1', undefined],
])('a Redis Cluster node %j is %p', (text, parsed) => {
  expect(parseHostPort(text)).toEqual(parsed);
});

test('bad redis options are named', async () => {
  for (const [storage, name] of [
    [{ type: 'redis', url: 'http://x' }, 'storage.url'],
    [{ type: 'redis', commandTimeoutMs: 10_000 }, 'storage.commandTimeoutMs'],
    [{ type: 'redis', prefix: 7 }, 'storage.prefix'],
    [{ type: 'redis', cluster: [] }, 'storage.cluster'],
    [{ type: 'redis', cluster: ['127.0.0.1'] }, 'storage.cluster'],
    [{ type: 'redis', cluster: ['127.0.0.1:7000'], url: 'redis://127.0.0.1:6379' }, 'storage.cluster'],
    // A hash tag in the prefix would put every bucket on one slot.
    [{ type: 'redis', cluster: ['127.0.0.1:7000'], prefix: 'kv{x}:' }, 'storage.prefix'],
    [{ type: 'redis', waitReplicas: -1 }, 'storage.waitReplicas'],
    [{ type: 'redis', waitReplicas: 1.5 }, 'storage.waitReplicas'],
    [{ type: 'redis', password: '' }, 'storage.password'],
    [{ type: 'redis', recoveryIntervalMs: 0 }, 'storage.recoveryIntervalMs'],
    // TLS: with a URL, a rediss:// one; a certificate with its key; PEM text or bytes.
    [{ type: 'redis', url: 'redis://127.0.0.1:6379', tls: { ca: 'pem' } }, 'storage.tls` needs a rediss:// URL'],
    [{ type: 'redis', tls: {} }, 'storage.tls` needs a rediss://'],
    [{ type: 'redis', url: 'rediss://127.0.0.1:6379', tls: { cert: 'pem' } }, 'storage.tls.key'],
    [{ type: 'redis', url: 'rediss://127.0.0.1:6379', tls: { ca: 7 } }, 'storage.tls.ca'],
    [{ type: 'redis', cluster: ['127.0.0.1:7000'], tls: { rejectUnauthorized: false } }, 'storage.tls.rejectUnauthorized'],
    [{ type: 'redis', cluster: ['127.0.0.1:7000'], tls: true }, 'storage.tls'],
    // Node would fire it after 1 ms: a probe loop.
    [{ type: 'redis', recoveryIntervalMs: 2 ** 31 }, 'storage.recoveryIntervalMs'],
  ] as const) {
    const error = await rejection(createStore({ storage: storage as never }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(name);
  }
});

test('a rejected storage URL is shown without its password', async () => {
  const error = await rejection(createStore({ storage: { type: 'redis', url: 'http://admin:SuperSecretPw@x:1' } }));
  expect(error.message).toContain('storage.url');
  expect(error.message).not.toContain('SuperSecretPw');
});
