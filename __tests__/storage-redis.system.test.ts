// The Redis backend against a real redis-server started by the test: the
// conformance suite, then Redis killed and paused under a write load: calls
// fail with STORAGE_UNAVAILABLE within the call timeout, none hangs, and they
// succeed again once Redis is back.

import { createStore, KvError, RedisStorage, type Store } from '../lib';
import { behavesLikeStorage } from './support/storage-conformance';
import { describeWithRedis, RedisServer } from './support/storage-redis-server';
import { rejection } from './support/rejection';
import { waitUntil } from './support/deadlines';
import { freePort } from './support/free-ports';
import { TestCa } from './support/tls-certs';
import { Spawned } from './support/server-process';

jest.setTimeout(60_000);

describeWithRedis('a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  behavesLikeStorage('redis (redis-server)', () => ({ make: (place) => new RedisStorage({ url: redis.url, prefix: `${place}:` }), durable: true }));

  describe('under a write load', () => {
    const callTimeoutMs = 2000;
    let store: Store;
    beforeEach(async () => {
      store = await createStore({ callTimeoutMs, storage: { type: 'redis', url: redis.url, commandTimeoutMs: 300, recoveryIntervalMs: 50 } });
      for (let i = 0; i < 10; i++) await store.create(`b${i}`);
    });
    afterEach(async () => {
      await store.stop();
    });

    /** 20 writers putting in a loop until `stopped()`; every call's outcome and duration. */
    async function load(stopped: () => boolean): Promise<Array<{ code: string; ms: number }>> {
      const outcomes: Array<{ code: string; ms: number }> = [];
      await Promise.all(
        Array.from({ length: 20 }, async (_, writer) => {
          for (let i = 0; !stopped(); i++) {
            const started = Date.now();
            const code = await store.put(`b${writer % 10}`, `w${writer}-${i % 50}`, String(i)).then(
              () => 'OK',
              (error: KvError) => error.code,
            );
            outcomes.push({ code, ms: Date.now() - started });
            if (code !== 'OK') await new Promise((resolve) => setTimeout(resolve, 5)); // a client backing off
          }
        }),
      );
      return outcomes;
    }

    /** Runs the load through a fault; resolves with every outcome (each checked: OK or STORAGE_UNAVAILABLE, never a hang). */
    async function faultUnderLoad(fault: () => Promise<void>, heal: () => Promise<void>): Promise<Array<{ code: string; ms: number }>> {
      let done = false;
      const running = load(() => done);
      const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
      await pause(300);
      await fault();
      await pause(1500);
      await heal();
      await pause(1500);
      done = true;
      const all = await running;
      expect(all.length).toBeGreaterThan(100);
      const codes = new Set(all.map((outcome) => outcome.code));
      expect([...codes].sort()).toEqual(['OK', 'STORAGE_UNAVAILABLE']); // never TIMEOUT, nothing else
      expect(Math.max(...all.map((outcome) => outcome.ms))).toBeLessThan(callTimeoutMs);
      return all;
    }

    /** A fresh round of writes all succeed, and are read back. */
    async function writesSucceed(on: Store): Promise<void> {
      await expect(Promise.all(Array.from({ length: 10 }, (_, i) => on.put(`b${i}`, 'after', 'ok')))).resolves.toHaveLength(10);
      for (let i = 0; i < 10; i++) expect(await on.get(`b${i}`, 'after')).toBe('ok');
    }

    test('Redis killed and restarted empty: writes are refused from then on, saying why; a node restart serves again and finds every write acknowledged since', async () => {
      await faultUnderLoad(
        () => redis.stop(),
        () => redis.restart(),
      );
      // Redis came back without the data it held: acknowledging writes into it would lose them at the next start.
      const refused = await rejection(store.put('b1', 'after', 'ok'));
      expect(refused).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('no longer holds') });
      expect(await rejection(store.create('new'))).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await store.stop();
      store = await createStore({ callTimeoutMs, storage: { type: 'redis', url: redis.url, commandTimeoutMs: 300, recoveryIntervalMs: 50 } });
      for (let i = 0; i < 10; i++) await store.create(`b${i}`);
      await writesSucceed(store);
      await store.stop();
      store = await createStore({ callTimeoutMs, storage: { type: 'redis', url: redis.url } });
      for (let i = 0; i < 10; i++) expect(await store.get(`b${i}`, 'after')).toBe('ok');
    });

    test('Redis paused (SIGSTOP) and resumed: calls fail within the timeout, none hangs, then succeed', async () => {
      await faultUnderLoad(
        async () => redis.signal('SIGSTOP'),
        async () => redis.signal('SIGCONT'),
      );
      await writesSucceed(store);
    });
  });

  describe('what a restarted node reads back', () => {
    /** A store on the shared redis-server under a prefix of the test's own. */
    const open = (prefix: string): Promise<Store> => createStore({ storage: { type: 'redis', url: redis.url, prefix } });

    test('a clear on its own is in Redis: the cleared keys do not come back after a restart', async () => {
      const first = await open('lone-clear:');
      await first.create('b');
      await first.put('b', 'k', 'v');
      await first.clear('b');
      expect(await first.size('b')).toBe(0);
      await first.stop();
      const second = await open('lone-clear:');
      try {
        expect(await second.get('b', 'k')).toBeUndefined();
        expect(await second.size('b')).toBe(0);
      } finally {
        await second.stop();
      }
    });

    test('keys named like Object.prototype properties (constructor, toString, __proto__) come back after a restart', async () => {
      const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__'];
      const first = await open('prototype-keys:');
      await first.create('b');
      for (const name of names) await first.put('b', name, `value of ${name}`);
      await first.stop();
      const second = await open('prototype-keys:');
      try {
        for (const name of names) expect([name, await second.get('b', name)]).toEqual([name, `value of ${name}`]);
        expect(await second.ttl('b', 'constructor')).toBe(-1);
      } finally {
        await second.stop();
      }
    });

    test('a drop refused while Redis was paused, but run by Redis once resumed, does not make the node refuse every write', async () => {
      const paused = await RedisServer.start();
      const store = await createStore({ callTimeoutMs: 2000, storage: { type: 'redis', url: paused.url, commandTimeoutMs: 300, recoveryIntervalMs: 50 } });
      try {
        await store.create('gone');
        await store.create('other');
        await store.put('gone', 'k', 'v');
        paused.signal('SIGSTOP');
        expect(await rejection(store.drop('gone'))).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
        paused.signal('SIGCONT'); // Redis now runs the DEL it had been sent
        await waitUntil(async () => store.put('other', 'k', 'v').then(() => true, () => false), 5000, 'writes to succeed again');
        // The bucket is back (the drop was refused); writing it may be refused, but not every write of the node from then on.
        await store.put('gone', 'k', 'v2').catch(() => {});
        await waitUntil(async () => store.put('gone', 'k', 'v3').then(() => true, () => false), 5000, 'writes to the bucket whose drop was refused to succeed');
        await store.put('other', 'k', 'v4');
        expect(await store.get('gone', 'k')).toBe('v3');
        await store.stop();
        const again = await createStore({ storage: { type: 'redis', url: paused.url } });
        expect(await again.get('gone', 'k')).toBe('v3');
        await again.stop();
      } finally {
        await store.stop();
        await paused.stop();
      }
    });
  });

  test('a Redis that wants a password: refused without it, naming why, served with `password`', async () => {
    const guarded = await RedisServer.start(['--requirepass', 'SuperSecretPw']);
    try {
      const error = await rejection(createStore({ storage: { type: 'redis', url: guarded.url, commandTimeoutMs: 500 } }));
      expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('NOAUTH') });
      const store = await createStore({ storage: { type: 'redis', url: guarded.url, password: 'SuperSecretPw' } });
      await store.create('b');
      await store.put('b', 'k', 'v');
      await store.stop();
      const again = await createStore({ storage: { type: 'redis', url: guarded.url, password: 'SuperSecretPw' } });
      expect(await again.get('b', 'k')).toBe('v');
      await again.stop();
    } finally {
      await guarded.stop();
    }
  });

  test('a Redis over TLS with its own CA: served with `tls.ca`, and with a client certificate when it asks for one; refused, naming why, without the CA', async () => {
    const ca = TestCa.create('redis test CA');
    const files = ca.files(ca.issue('localhost'), 'redis');
    const tlsPort = await freePort();
    // The plain port stays open only for the helper's PING; the store uses the TLS port. Clients must show a certificate.
    const secured = await RedisServer.start(['--tls-port', String(tlsPort), '--tls-cert-file', files.cert, '--tls-key-file', files.key, '--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'yes']);
    const url = `rediss://localhost:${tlsPort}`;
    const client = ca.issue('actor-kv node');
    const spawned = new Spawned();
    try {
      const untrusted = await rejection(createStore({ storage: { type: 'redis', url, commandTimeoutMs: 500 } }));
      expect(untrusted).toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringMatching(/certificate/) });
      const store = await createStore({ storage: { type: 'redis', url, tls: { ca: ca.cert, cert: client.cert, key: client.key } } });
      await store.create('b');
      await store.put('b', 'k', Buffer.from([0xff, 0x00, 0x0d, 0x0a]));
      await store.stop();
      const again = await createStore({ storage: { type: 'redis', url, tls: { ca: ca.cert, cert: client.cert, key: client.key } } });
      expect(await again.getBuffer('b', 'k')).toEqual(Buffer.from([0xff, 0x00, 0x0d, 0x0a]));
      await again.stop();
      // The same from the command line: the files named by the --redis-tls- flags.
      const clientFiles = ca.files(client, 'node');
      const node = spawned.cli(['--port', '0', '--redis-url', url, '--redis-tls-ca', clientFiles.ca, '--redis-tls-cert', clientFiles.cert, '--redis-tls-key', clientFiles.key]);
      const telnet = await spawned.connect(await node.port());
      telnet.write('CREATE shopping\r\nPUT shopping milk 1\r\nGET shopping milk\r\nBUCKETS\r\n');
      expect(await telnet.lines(7)).toEqual(['OK', 'OK', '1', 'OK', 'b', 'shopping', 'OK']);
    } finally {
      await spawned.cleanup();
      await secured.stop();
      ca.remove();
    }
  });
});
