// The Redis backend on a real Redis Cluster (3 masters, 3 replicas, started
// by the test on loopback): the storage and store conformance suites, buckets
// spread over every master and found again on open, and a command-line node on
// the cluster through the seeds' session, a SIGKILL and a restart.

import { createStore, RedisStorage } from '../lib';
import { bucketKeys } from '../lib/storage/redis-keys';
import { ownSlots } from '../lib/storage/redis-slots';
import { rejection } from './support/rejection';
import { TestCa } from './support/tls-certs';
import { Spawned } from './support/server-process';
import { behavesLikeStorage } from './support/storage-conformance';
import { describeWithRedis } from './support/storage-redis-server';
import { RedisCluster, redisClusterNeeds } from './support/redis-cluster';
import { behavesLikeAStore, singleNode } from './support/store-conformance';

jest.setTimeout(120_000);

describeWithRedis('a real Redis Cluster', () => {
  let redis: RedisCluster;
  beforeAll(async () => {
    redis = await RedisCluster.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  behavesLikeStorage('redis cluster', () => ({ make: (place) => new RedisStorage({ cluster: redis.seeds, prefix: `${place}:` }), durable: true }));

  let stores = 0;
  behavesLikeAStore('one node, on a Redis Cluster', async (options) => {
    const store = await createStore({ ...options, storage: { type: 'redis', cluster: redis.seeds, prefix: `store-${++stores}:` } });
    return { store, cleanup: () => store.stop() };
  }, singleNode('redis-cluster'));

  test('buckets spread over every master, each with its keys on one slot, and a node opening again finds them all', async () => {
    const names = Array.from({ length: 300 }, (_, index) => `spread-${index}`);
    const storage = new RedisStorage({ cluster: redis.seeds, prefix: 'spread:' });
    await storage.open();
    await Promise.all(names.map((name) => storage.createBucket(name)));
    await Promise.all(names.map(async (name) => {
      const table = storage.table(name);
      table.put('k', name, Date.now() + 600_000); // a value and a deadline: all three keys exist
      await table.flush();
    }));
    await storage.close();
    const masters = (await redis.nodes()).filter((node) => node.role === 'master');
    for (const master of masters) {
      expect((await redis.scan(master.port, 'spread:*:meta')).length).toBeGreaterThan(30); // about 100 each
    }
    for (const name of names.slice(0, 10)) {
      const keys = bucketKeys('spread:', name);
      const slots = await Promise.all([keys.data, keys.deadlines, keys.meta].map((key) => redis.command(redis.livePorts[0]!, 'CLUSTER', 'KEYSLOT', key)));
      expect(new Set(slots).size).toBe(1);
    }
    const again = new RedisStorage({ cluster: redis.seeds, prefix: 'spread:' });
    try {
      expect((await again.open()).sort()).toEqual([...names].sort());
      expect(again.table('spread-7').get('k')).toBe('spread-7');
    } finally {
      await again.close();
    }
  });

  test('a bucket caught mid-migration, its marker already on the new master and its data still on the old: a node opening then reads it whole', async () => {
    const storage = new RedisStorage({ cluster: redis.seeds, prefix: 'moving:' });
    await storage.open();
    await storage.createBucket('moving');
    storage.table('moving').put('k', 'v');
    await storage.table('moving').flush();
    await storage.close();
    const keys = bucketKeys('moving:', 'moving');
    const slot = await redis.slotOf(keys.meta);
    const masters = (await redis.nodes()).filter((node) => node.role === 'master');
    const from = masters.find((node) => node.slots.some(([first, last]) => slot >= first && slot <= last))!;
    const to = masters.find((node) => node !== from)!;
    let finished = false;
    await redis.command(to.port, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', from.id);
    await redis.command(from.port, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', to.id);
    try {
      await redis.command(from.port, 'MIGRATE', '127.0.0.1', String(to.port), keys.meta, '0', '5000');
      // Redis's own words for the migration, as the directory scan reads them.
      expect(ownSlots(await redis.command(from.port, 'CLUSTER', 'NODES'))!.migratingTo).toEqual([to.id]);
      expect(ownSlots(await redis.command(to.port, 'CLUSTER', 'NODES'))!.slots).toContain(`[${slot}-<-${from.id}]`);
      // The pipelined read of the split bucket came back empty; each key in a transaction of its own is followed (ASK) whole.
      const again = new RedisStorage({ cluster: redis.seeds, prefix: 'moving:' });
      try {
        expect(await again.open()).toEqual(['moving']);
        expect(again.table('moving').get('k')).toBe('v');
      } finally {
        await again.close();
      }
    } finally {
      await finishMove();
    }
    /** Finishes the move as redis-cli would: the other keys, then the slot, told to every master (once). */
    async function finishMove(): Promise<void> {
      if (finished) return;
      finished = true;
      for (const key of [keys.data, keys.deadlines]) await redis.command(from.port, 'MIGRATE', '127.0.0.1', String(to.port), key, '0', '5000');
      for (const master of masters) await redis.command(master.port, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', to.id);
      await redis.waitHealthy();
    }
  });

  // Last, after both suites and the spread have run on this cluster: ioredis refuses a cross-slot
  // pipeline before sending it (the suites would fail), and Redis counts any multi-key command it refused.
  test('no command spanned slots: no master refused one with CROSSSLOT', async () => {
    for (const master of (await redis.nodes()).filter((node) => node.role === 'master')) {
      const errors = await redis.command(master.port, 'INFO', 'errorstats');
      expect(errors).not.toContain('CROSSSLOT');
      expect(Number(/total_commands_processed:(\d+)/.exec(await redis.command(master.port, 'INFO', 'stats'))?.[1])).toBeGreaterThan(1000);
    }
  });

  describe('the command line', () => {
    const spawned = new Spawned();
    afterEach(() => spawned.cleanup());

    test("--redis-cluster: the seeds' session, SIGKILL of the node, and a restart finds everything", async () => {
      const args = ['--port', '0', '--node', 'foo', '--redis-cluster', redis.seeds.slice(0, 2).join(','), '--redis-wait-replicas', '1'];
      const first = spawned.cli(args);
      const port = await first.port();
      await first.logged(`storage: redis cluster at ${redis.seeds.slice(0, 2).join(',')}, each write held by 1 replica (WAIT)`);
      const telnet = await spawned.connect(port);
      telnet.write('CREATE shopping\r\nPUT shopping milk 1\r\nPUT shopping eggs 3\r\nGET shopping milk\r\nDELETE shopping eggs\r\nCREATE hardware\r\nPUT hardware nails 100\r\n');
      expect(await telnet.lines(8)).toEqual(['OK', 'OK', 'OK', '1', 'OK', 'OK', 'OK', 'OK']);
      first.kill('SIGKILL');
      await first.exited;
      const second = spawned.cli(args);
      const client = await spawned.connect(await second.port());
      client.write('GET shopping milk\r\nGET shopping eggs\r\nGET hardware nails\r\nBUCKETS\r\n');
      expect(await client.lines(9)).toEqual(['1', 'OK', '', 'OK', '100', 'OK', 'hardware', 'shopping', 'OK']);
    });
  });
}, redisClusterNeeds);

describeWithRedis('a Redis Cluster over TLS', () => {
  let ca: TestCa;
  let redis: RedisCluster;
  beforeAll(async () => {
    ca = TestCa.create('redis cluster test CA');
    redis = await RedisCluster.start({ replicas: 0, tls: ca.files(ca.issue('localhost', '127.0.0.1'), 'node') });
  });
  afterAll(async () => {
    await redis?.stop();
    ca?.remove();
  });

  test('with `tls.ca`, buckets spread over the masters and a node opening again finds them; without it, the start is refused', async () => {
    const refused = await rejection(createStore({ storage: { type: 'redis', cluster: redis.seeds, commandTimeoutMs: 500 } }));
    expect(refused.code).toBe('STORAGE_UNAVAILABLE');
    const names = Array.from({ length: 30 }, (_, index) => `tls-${index}`);
    const store = await createStore({ storage: { type: 'redis', cluster: redis.seeds, tls: { ca: ca.cert } } });
    for (const name of names) {
      await store.create(name);
      await store.put(name, 'k', name);
    }
    await store.stop();
    const masters = (await redis.nodes()).filter((node) => node.role === 'master');
    for (const master of masters) expect((await redis.scan(master.port, '*:meta')).length).toBeGreaterThan(0);
    const again = await createStore({ storage: { type: 'redis', cluster: redis.seeds, tls: { ca: ca.cert } } });
    try {
      expect((await again.buckets()).sort()).toEqual([...names].sort());
      expect(await again.get('tls-7', 'k')).toBe('tls-7');
    } finally {
      await again.stop();
    }
  });
}, redisClusterNeeds);
