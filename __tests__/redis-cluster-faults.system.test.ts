// A store on a real Redis Cluster through the faults an operator meets: a
// master killed mid-load (its replica takes over), and a resharding that
// moves slots, keys and all, while the store writes. Every acknowledged write
// is recorded; afterwards Redis is read back by a fresh node. The store never
// loses what Redis kept (its memory and Redis agree), and the writes Redis's
// asynchronous replication lost are counted, with and without WAIT.

import { createStore, KvError, RedisStorage, type Store } from '../lib';
import { bucketKeys } from '../lib/storage/redis-keys';
import { waitUntil } from './support/deadlines';
import { describeWithRedis } from './support/storage-redis-server';
import { RedisCluster, redisClusterNeeds } from './support/redis-cluster';

jest.setTimeout(120_000);

const prefix = 'faults:';
const buckets = Array.from({ length: 60 }, (_, index) => `b${index}`);
const callTimeoutMs = 4000;

/** Every write the load made: its bucket, key, value and outcome. */
interface Attempt {
  bucket: string;
  key: string;
  value: string;
  code: string;
  /** The error's message, for a refused write. */
  message?: string;
  ms: number;
}

/** 40 writers putting new keys round the buckets (at most 20,000 each), every outcome recorded, until stopped. */
class Load {
  readonly attempts: Attempt[] = [];
  private stopped = false;
  private readonly running: Promise<unknown>;

  constructor(store: Store) {
    this.running = Promise.all(Array.from({ length: 40 }, (_, writer) => this.write(store, writer)));
  }

  get acknowledged(): number {
    return this.attempts.filter((attempt) => attempt.code === 'OK').length;
  }

  async stop(): Promise<Attempt[]> {
    this.stopped = true;
    await this.running;
    return this.attempts;
  }

  private async write(store: Store, writer: number): Promise<void> {
    for (let i = 0; i < 20_000 && !this.stopped; i++) {
      const bucket = buckets[(writer + i) % buckets.length]!;
      const [key, value] = [`w${writer}-${i}`, `v${i}`];
      const started = Date.now();
      const { code, message } = await store.put(bucket, key, value).then(() => ({ code: 'OK', message: undefined }), (error: KvError) => error);
      this.attempts.push({ bucket, key, value, code, message, ms: Date.now() - started });
      if (code !== 'OK') await new Promise((resolve) => setTimeout(resolve, 10)); // a client backing off
    }
  }
}

/** What a fresh node reads back after the load. */
interface ReadBack {
  /** Acknowledged writes Redis no longer holds (its asynchronous replication can lose them). */
  lost: Attempt[];
  /** Refused writes that Redis holds all the same (a write that failed may still have run, as documented). */
  turnedUp: Attempt[];
}

/**
 * Once every bucket takes writes again (so any bucket whose write failed has
 * been reloaded from Redis), reads every attempted key back through a fresh
 * node. The store must hold what Redis holds, but for a refused write, which
 * may have run all the same, and an acknowledged one that Redis lost.
 */
async function readBack(store: Store, redis: RedisCluster, attempts: Attempt[]): Promise<ReadBack> {
  for (const bucket of buckets) {
    await waitUntil(() => store.put(bucket, 'settled', 'yes').then(() => true, () => false), 10_000, `${bucket} to take writes again`);
  }
  const fresh = new RedisStorage({ cluster: redis.seeds, prefix });
  try {
    await fresh.open();
    const mismatches: string[] = [];
    const result: ReadBack = { lost: [], turnedUp: [] };
    for (const bucket of buckets) {
      const mine = attempts.filter((attempt) => attempt.bucket === bucket);
      const held = await store.getMany(bucket, mine.map((attempt) => attempt.key));
      mine.forEach((attempt, index) => {
        const stored = fresh.table(bucket).get(attempt.key);
        if (attempt.code === 'OK' && stored !== attempt.value) result.lost.push(attempt);
        if (attempt.code !== 'OK' && stored !== undefined) result.turnedUp.push(attempt);
        // Where they differ, only as documented: a refused write the store rolled back, or an acknowledged one Redis lost (counted).
        const agrees = held[index] === stored || (attempt.code !== 'OK' && held[index] === undefined) || (attempt.code === 'OK' && stored === undefined);
        if (!agrees) mismatches.push(`${bucket}/${attempt.key} (${attempt.code}): store ${held[index]}, Redis ${stored}`);
      });
    }
    expect(mismatches).toEqual([]);
    return result;
  } finally {
    await fresh.close();
  }
}

describeWithRedis('a store on a Redis Cluster under faults', () => {
  let redis: RedisCluster | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.stop();
    await redis?.stop();
    [store, redis] = [undefined, undefined];
  });

  async function start(waitReplicas: number): Promise<{ redis: RedisCluster; store: Store }> {
    redis = await RedisCluster.start({ nodeTimeoutMs: 500 }); // how long before a replica takes over
    store = await createStore({ callTimeoutMs, storage: { type: 'redis', cluster: redis.seeds, prefix, commandTimeoutMs: 1000, recoveryIntervalMs: 50, waitReplicas } });
    // As a client would: a create refused while the new cluster's replicas are slow to confirm (WAIT) is tried again.
    for (const bucket of buckets) await waitUntil(() => store!.create(bucket).then(() => true, () => false), 10_000, `${bucket} to be created`);
    return { redis, store };
  }

  /** A master serving some of the buckets (b0's). */
  const masterOfFirstBucket = (cluster: RedisCluster): Promise<number> => cluster.masterOf(bucketKeys(prefix, buckets[0]!).meta);

  describe.each([0, 1])('a master killed mid-load, waitReplicas %i', (waitReplicas) => {
    test('writes succeed or get STORAGE_UNAVAILABLE, the replica takes over, writes recover, and the store agrees with Redis', async () => {
      const { redis, store } = await start(waitReplicas);
      const victim = await masterOfFirstBucket(redis);
      const load = new Load(store);
      await waitUntil(() => load.acknowledged >= 2000, 20_000, 'writes before the fault');
      redis.kill(victim);
      const killedAt = Date.now();
      await redis.waitHealthy();
      const failoverMs = Date.now() - killedAt;
      if (waitReplicas > 0) {
        // The promoted master has no replica to confirm a write until the old master returns as one.
        await redis.restart(victim);
        await redis.waitReplicasOnline();
      }
      await waitUntil(() => store.put(buckets[0]!, 'after', 'failover').then(() => true, () => false), 10_000, 'a write to the failed-over slots');
      const recoveredMs = Date.now() - killedAt;
      const attempts = await load.stop();
      const codes = new Set(attempts.map((attempt) => attempt.code));
      expect([...codes].filter((code) => code !== 'OK' && code !== 'STORAGE_UNAVAILABLE')).toEqual([]);
      expect(Math.max(...attempts.map((attempt) => attempt.ms))).toBeLessThan(callTimeoutMs);
      const { lost, turnedUp } = await readBack(store, redis, attempts);
      const acknowledged = attempts.filter((attempt) => attempt.code === 'OK').length;
      const refused = attempts.length - acknowledged;
      console.log(`master killed, waitReplicas ${waitReplicas}: ${acknowledged} writes acknowledged, ${refused} refused (STORAGE_UNAVAILABLE, ${turnedUp.length} of them in Redis all the same), ${lost.length} acknowledged writes lost by Redis; failover ${failoverMs} ms, writes to its slots acknowledged again ${recoveredMs} ms after the kill${waitReplicas > 0 ? ' (once the old master was back as a replica)' : ''}`);
      if (waitReplicas > 0) expect(lost).toEqual([]); // WAIT: the replica that took over held every acknowledged write
    });
  });

  test('a resharding under load: MOVED and ASK are followed, nothing is refused or lost, and the moved buckets open again', async () => {
    const { redis, store } = await start(0);
    const ownerBefore = new Map(await Promise.all(buckets.map(async (bucket) => [bucket, await redis.masterOf(bucketKeys(prefix, bucket).meta)] as const)));
    const from = await masterOfFirstBucket(redis);
    const to = (await redis.nodes()).find((node) => node.role === 'master' && node.port !== from)!.port;
    // Just enough of `from`'s lowest slots to take three buckets with them.
    const firstSlot = (await redis.nodes()).find((node) => node.port === from)!.slots[0]![0];
    const slotsThere = (await Promise.all(buckets.filter((bucket) => ownerBefore.get(bucket) === from).map((bucket) => redis.slotOf(bucketKeys(prefix, bucket).meta)))).sort((a, b) => a - b);
    const slots = slotsThere[2]! - firstSlot + 1;
    const load = new Load(store);
    await waitUntil(() => load.acknowledged >= 2000, 20_000, 'writes before the resharding');
    await redis.reshard(from, to, slots);
    const attempts = await load.stop();
    const moved = [];
    for (const bucket of buckets) if ((await redis.masterOf(bucketKeys(prefix, bucket).meta)) !== ownerBefore.get(bucket)) moved.push(bucket);
    expect(moved.length).toBe(3);
    expect([...new Set(attempts.filter((attempt) => attempt.code !== 'OK').map((attempt) => attempt.message))]).toEqual([]);
    expect(await readBack(store, redis, attempts)).toEqual({ lost: [], turnedUp: [] });
    console.log(`resharding ${slots} slots: ${moved.length} of ${buckets.length} buckets moved, ${attempts.length} writes acknowledged meanwhile, none refused or lost`);
  });
}, redisClusterNeeds);
