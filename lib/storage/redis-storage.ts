// The Redis backend, on one Redis server or a Redis Cluster: each bucket is a
// Redis hash (with a hash of deadlines and a marker key beside it, all under
// one hash tag: see redis-keys.ts). Writes go through to Redis (one command,
// or one MULTI, per flush) before their OK; reads are served from memory,
// since a bucket has one writer, its owner. A restarted node finds its
// buckets by scanning every master for their markers, and loads them back.

import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { wallNow } from '../core/clock';
import { silentLogger, type Logger } from '../core/logger';
import { OutageLog } from '../core/outage-log';
import { KvError } from '../errors';
import { JournaledTable, type Change } from './journaled-table';
import type { StoredEntry } from './key-table';
import { connectRedis, createRedisClient, createRedisClusterClient, isCluster, mastersOf, redactRedisUrl, type ClusterNode, type RedisClient, type RedisTls } from './redis-connection';
import { bucketKeys, bucketOfMetaKey, legacyLayout, metaKeyPattern, type BucketKeys } from './redis-keys';
import { readSlots, scanDirectory } from './redis-directory';
import { migrating, sameLayout, type MasterSlots } from './redis-slots';
import type { Storage } from './storage';

/** Options of the Redis backend. */
export interface RedisStorageOptions {
  /**
   * Where Redis listens. Ignored when `cluster` or `client` is given.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /** Some nodes of a Redis Cluster ('host:port' or { host, port }): the storage finds the rest. Ignored when `client` is given. */
  cluster?: ClusterNode[];
  /** An ioredis client (Redis or Cluster) to use instead; the store neither configures nor closes it. */
  client?: Redis | Cluster;
  /** The password of Redis's AUTH (for `url`, instead of one in the URL; for `cluster`, of every node). */
  password?: string;
  /**
   * TLS: for `url`, with a rediss:// URL, the CA of Redis's certificate and
   * this node's certificate and key if Redis asks for one; for `cluster`, it
   * turns TLS on for every node (`{}` when their certificates are public ones).
   */
  tls?: RedisTls;
  /**
   * Prefix of every Redis key the store uses.
   * @default 'actor-kv:<node>:' through createStore ('actor-kv:' for a RedisStorage made by hand)
   */
  prefix?: string;
  /**
   * How long one Redis write may take before it fails; below the store's callTimeoutMs.
   * @default 1000 ms, or half of callTimeoutMs when that is shorter
   */
  commandTimeoutMs?: number;
  /**
   * After each write, wait (Redis's WAIT) until this many replicas of its
   * master hold it, or fail the write. 0: acknowledge once the master has it.
   * @default 0
   */
  waitReplicas?: number;
  /**
   * How often to probe Redis after a failure, to resynchronise.
   * @default 250 ms
   */
  recoveryIntervalMs?: number;
  /**
   * Where outages and recoveries are reported.
   * @default the store's logger (nowhere, for a RedisStorage made by hand)
   */
  logger?: Logger;
}

/** The Redis backend's defaults, in one place. */
export const defaultRedisStorageOptions = {
  url: 'redis://127.0.0.1:6379',
  prefix: 'actor-kv:',
  commandTimeoutMs: 1000,
  waitReplicas: 0,
  recoveryIntervalMs: 250,
  logger: silentLogger,
} as const satisfies Omit<Required<RedisStorageOptions>, 'client' | 'cluster' | 'password' | 'tls'>;

/** How many command deadlines a reload waits for a failed write to settle inside ioredis. */
const unsettledWaitFactor = 5;

/** Resolves when `work` settles or after `ms`, whichever is first. */
async function settledOrLater(work: Promise<void> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms).unref()))]);
  clearTimeout(timer);
}

/** How many buckets are read back at once when a node opens. */
const loadChunk = 2000;
/** Scans of the directory made at most while a resharding keeps moving slots (about 4.5 s of pauses). */
const directoryAttempts = 10;

/** How many keys one SCAN call looks at. */
const scanCount = 1000;

export class RedisStorage implements Storage {
  readonly kind: 'redis' | 'redis-cluster';
  private readonly tables = new Map<string, JournaledTable>();
  /** Each bucket's marker id: a write that finds another (or none) went to a Redis that lost the bucket. */
  private readonly ids = new Map<string, string>();
  private readonly client: RedisClient;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly logger: Logger;
  /** Buckets whose last write failed: Redis may or may not hold it, so they are reloaded before the next. */
  private readonly suspects = new Set<string>();
  /**
   * Suspect buckets whose drop failed. The store keeps such a bucket, but a
   * drop that timed out may have run in Redis all the same: its reload then
   * finds no marker, which must not read as Redis having lost the data.
   */
  private readonly failedDrops = new Set<string>();
  /**
   * Each bucket's last write as ioredis sees it, settled either way. A write
   * can fail here (its deadline passed) while ioredis still holds it: queued
   * behind a reconnect, or retried on the master a failover promoted. A
   * bucket is reloaded once its write has settled there too, so the reload
   * sees the write if it ran; or after unsettledWaitFactor deadlines, since
   * ioredis does not bound every path (then the write may still turn up).
   */
  private readonly unsettled = new Map<string, Promise<void>>();
  private recovery: Promise<void> | undefined;
  private closed = false;
  private readonly connectionErrors = new OutageLog();
  /** Set once Redis is found to have lost the data: the error every write gets. */
  private lost: KvError | undefined;
  /**
   * Buckets whose deadlines hash may hold a key: there, a put without a TTL
   * also removes the key's deadline, which may be a stale one left by a key
   * that expired in memory (Redis is not told of that). Buckets that never
   * had a TTL keep the single HSET per flush.
   */
  private readonly withDeadlines = new Set<string>();

  constructor(private readonly options: RedisStorageOptions) {
    this.prefix = options.prefix ?? defaultRedisStorageOptions.prefix;
    this.logger = options.logger ?? defaultRedisStorageOptions.logger;
    this.ownsClient = !options.client;
    this.client = options.client ?? this.createClient();
    this.kind = isCluster(this.client) ? 'redis-cluster' : 'redis';
    if (this.ownsClient) {
      // ioredis reports every failed reconnect: log the first of an outage, then summaries.
      this.client.on('error', (error: Error) => this.reportError(error));
      this.client.on('ready', () => this.connectionErrors.recovered());
    }
  }

  private createClient(): RedisClient {
    const { cluster, url, password, tls } = this.options;
    const credentials = { ...(password === undefined ? {} : { password }), ...(tls === undefined ? {} : { tls }) };
    if (cluster) return createRedisClusterClient(cluster, this.commandTimeoutMs, credentials);
    return createRedisClient(url ?? defaultRedisStorageOptions.url, this.commandTimeoutMs, credentials);
  }

  private reportError(error: Error): void {
    const report = this.connectionErrors.failed();
    if (report?.kind === 'first') this.logger.warn({ reason: error.message }, 'redis error');
    else if (report) this.logger.warn({ reason: error.message, errors: report.attempts, since: new Date(report.since).toISOString() }, 'redis still failing');
  }

  private get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs ?? defaultRedisStorageOptions.commandTimeoutMs;
  }

  private get waitReplicas(): number {
    return this.options.waitReplicas ?? defaultRedisStorageOptions.waitReplicas;
  }

  /** Where Redis is, safe to show: the URL without credentials, or the cluster's nodes as given. */
  private get where(): string {
    const { cluster, url, client } = this.options;
    if (url !== undefined) return redactRedisUrl(url);
    if (client) return 'the given client';
    if (cluster) return `cluster ${cluster.map((node) => (typeof node === 'string' ? node : `${node.host}:${node.port}`)).join(',')}`;
    return redactRedisUrl(defaultRedisStorageOptions.url);
  }

  private keys(bucket: string): BucketKeys {
    return bucketKeys(this.prefix, bucket);
  }

  async open(): Promise<string[]> {
    try {
      await connectRedis(this.client, this.commandTimeoutMs * 3);
    } catch (thrown) {
      throw this.failedToOpen(thrown, 'could not be reached');
    }
    try {
      await this.moveLegacyLayout();
      const { names, layout } = await this.scanDirectory();
      await this.loadAll(names, layout);
    } catch (thrown) {
      throw this.failedToOpen(thrown, 'did not return the stored buckets');
    }
    return [...this.tables.keys()];
  }

  /** The names of the buckets stored under the prefix: every master scanned for their markers. */
  private async scanDirectory(): Promise<{ names: Set<string>; layout: MasterSlots[] | undefined }> {
    const { keys, stable, layout } = await scanDirectory({
      masters: () => mastersOf(this.client),
      cluster: isCluster(this.client),
      pattern: metaKeyPattern(this.prefix),
      count: scanCount,
      attempts: directoryAttempts,
      pause: (attempt) => new Promise((resolve) => setTimeout(resolve, 100 * attempt)),
    });
    if (!stable) this.logger.warn({ prefix: this.prefix, attempts: directoryAttempts }, 'redis cluster slots kept moving while this node read its buckets; a bucket whose keys moved meanwhile may be missing until the next start');
    const names = new Set<string>();
    for (const key of keys) {
      const name = bucketOfMetaKey(this.prefix, key);
      if (name !== undefined) names.add(name);
    }
    return { names, layout };
  }

  /**
   * Reads the buckets back, a chunk at a time (their commands leave
   * pipelined, one batch per master). On a cluster whose slots are at rest,
   * pipelined reads cannot mix two masters' halves of a bucket; if a slot was
   * moving, or moved while they ran, the buckets are read again in
   * transactions (see readInTransaction), which cost more.
   */
  private async loadAll(names: Set<string>, layout: MasterSlots[] | undefined): Promise<void> {
    if (!isCluster(this.client)) return this.loadEach(names, 'pipelined');
    if (layout !== undefined && !migrating(layout) && (await this.loadPipelinedAtRest(names, layout))) return;
    this.tables.clear();
    this.ids.clear();
    this.withDeadlines.clear();
    await this.loadEach(names, 'transaction');
  }

  /** Reads the buckets pipelined; false if the slots moved meanwhile (then they are read again in transactions). */
  private async loadPipelinedAtRest(names: Set<string>, layout: MasterSlots[]): Promise<boolean> {
    try {
      await this.loadEach(names, 'pipelined');
    } catch (thrown) {
      // Just after a resharding a master may still name the old owner; a
      // redirection then refreshes ioredis's slot map, and it refuses an
      // auto-pipeline whose keys that map now puts on two masters.
      this.logger.info({ prefix: this.prefix, reason: (thrown as Error).message }, 'a pipelined read of the redis cluster failed while this node read its buckets; reading them again, in transactions');
      return false;
    }
    const now = await readSlots(mastersOf(this.client));
    if (now && sameLayout(layout, now)) return true;
    this.logger.info({ prefix: this.prefix }, 'redis cluster slots moved while this node read its buckets; reading them again, in transactions');
    return false;
  }

  private async loadEach(names: Set<string>, how: ReadMode): Promise<void> {
    const all = [...names];
    for (let start = 0; start < all.length; start += loadChunk) {
      await Promise.all(all.slice(start, start + loadChunk).map((name) => this.load(name, how)));
    }
  }

  private async load(name: string, how: ReadMode): Promise<void> {
    const stored = await this.read(name, how);
    if (stored.id === null) return; // dropped since the scan
    this.ids.set(name, stored.id);
    if (Object.keys(stored.deadlines).length > 0) this.withDeadlines.add(name);
    this.tables.set(name, this.newTable(name, liveEntries(stored.entries, stored.deadlines)));
    this.forgetExpired(name, stored.entries, stored.deadlines);
  }

  private async read(name: string, how: ReadMode): Promise<StoredBucket> {
    const keys = this.keys(name);
    if (how === 'transaction' && isCluster(this.client)) return this.readInTransaction(keys);
    const [id, entries, deadlines] = await Promise.all([this.client.get(keys.meta), this.client.hgetall(keys.data), this.client.hgetall(keys.deadlines)]);
    return { id, entries, deadlines };
  }

  /**
   * On a cluster, while slots move, each of a bucket's keys is read in a
   * MULTI of its own: ioredis answers a redirection inside a plain pipeline
   * by sending the whole pipeline to the other master, reads that had
   * succeeded too, so a bucket split between two masters could read half
   * empty; a transaction is redirected whole, and with one key it is never
   * refused (TRYAGAIN) as a transaction over keys on both masters would be,
   * nor over a key that does not exist (a bucket without deadlines) until the
   * whole slot has moved. The keys are read at different moments, which is
   * enough: nothing writes the bucket while it is read (on open, or on a
   * reload, where its writes are refused).
   */
  private async readInTransaction(keys: BucketKeys): Promise<StoredBucket> {
    const alone = async (queue: (multi: ChainableCommander) => ChainableCommander) => firstErrorOrValues(await queue(this.client.multi()).exec())[0];
    const [id, entries, deadlines] = await Promise.all([alone((m) => m.get(keys.meta)), alone((m) => m.hgetall(keys.data)), alone((m) => m.hgetall(keys.deadlines))]);
    return { id: id as string | null, entries: entries as Record<string, string>, deadlines: deadlines as Record<string, string> };
  }

  /**
   * A single Redis written by an earlier version keeps its bucket names in
   * one set and its hashes untagged: each bucket is moved to the tagged
   * layout in one MULTI (so an interrupted move resumes where it stopped).
   */
  private async moveLegacyLayout(): Promise<void> {
    if (isCluster(this.client)) return; // that layout never opened on a cluster
    const names = await this.client.smembers(legacyLayout.names(this.prefix));
    for (const name of names) {
      const keys = this.keys(name);
      const [data, deadlines] = [legacyLayout.data(this.prefix, name), legacyLayout.deadlines(this.prefix, name)];
      const [hasData, hasDeadlines] = await Promise.all([this.client.exists(data), this.client.exists(deadlines)]);
      let multi = this.client.multi();
      if (hasData) multi = multi.rename(data, keys.data);
      if (hasDeadlines) multi = multi.rename(deadlines, keys.deadlines);
      await execAll(multi.set(keys.meta, randomUUID()).srem(legacyLayout.names(this.prefix), name));
    }
    if (names.length === 0) return;
    await this.client.del(legacyLayout.marker(this.prefix));
    this.logger.info({ prefix: this.prefix, buckets: names.length }, 'redis storage moved to the hash-tagged key layout');
  }

  /** Redis no longer holds this node's data: every write from now on is refused, so none is acknowledged into a keyspace a restart cannot read. */
  private lose(): KvError {
    if (!this.lost) {
      this.lost = new KvError(
        'STORAGE_UNAVAILABLE',
        `Redis (${this.where}) no longer holds this node's data (a bucket's marker key is gone: Redis restarted empty or was flushed); writes are refused until the node restarts and loads what Redis holds`,
      );
      this.logger.error({ prefix: this.prefix }, 'redis lost the stored data; refusing writes');
    }
    return this.lost;
  }

  /** Removes from Redis the keys that expired while no node held them (best effort: a later open tries again). */
  private forgetExpired(bucket: string, entries: Record<string, string>, deadlines: Record<string, string>): void {
    const now = wallNow();
    const expired = Object.keys(deadlines).filter((key) => Number(deadlines[key]) <= now || !Object.hasOwn(entries, key));
    if (expired.length === 0) return;
    const keys = this.keys(bucket);
    this.client
      .multi()
      .hdel(keys.data, ...expired)
      .hdel(keys.deadlines, ...expired)
      .exec()
      .catch(() => {});
  }

  private failedToOpen(thrown: unknown, what: string): KvError {
    if (this.ownsClient) this.client.disconnect();
    return this.unavailable(thrown, what);
  }

  /** A new bucket: its marker set and any leftover hashes removed, in one MULTI on its slot. */
  async createBucket(name: string): Promise<void> {
    if (this.tables.has(name)) return;
    if (this.lost) throw this.lost;
    const keys = this.keys(name);
    const id = randomUUID();
    try {
      await this.withinDeadline(execAll(this.client.multi().del(keys.data, keys.deadlines).set(keys.meta, id)), keys);
      await this.confirmReplicas(keys); // with WAIT, a failover must not lose the marker either
    } catch (thrown) {
      throw this.unavailable(thrown, 'did not store the new bucket');
    }
    this.ids.set(name, id);
    this.table(name);
  }

  table(name: string): JournaledTable {
    let table = this.tables.get(name);
    if (!table) {
      table = this.newTable(name, []);
      this.tables.set(name, table);
    }
    return table;
  }

  private newTable(name: string, entries: Iterable<readonly [string, StoredEntry]>): JournaledTable {
    return new JournaledTable(name, (bucket, changes) => this.commit(bucket, changes), entries);
  }

  /** One write per flush (see store); then, with waitReplicas, Redis's WAIT. */
  private async commit(bucket: string, changes: Change[]): Promise<void> {
    if (this.closed) throw new KvError('STORAGE_UNAVAILABLE', 'the Redis storage is closed');
    if (this.lost) throw this.lost;
    if (this.suspects.has(bucket)) throw this.unavailable(new Error('recovering from an earlier failure'));
    const keys = this.keys(bucket);
    let id: string | null;
    try {
      const write = redisWrite(changes, this.withDeadlines.has(bucket));
      id = await this.withinDeadline(this.tracked(bucket, this.store(bucket, keys, write)), keys);
      // A marker read while its slot moves between masters may be missed: asked again in a transaction, which is redirected whole.
      if (id !== this.ids.get(bucket) && isCluster(this.client)) id = await this.withinDeadline(this.storeInTransaction(keys, noWrite), keys);
      if (id === this.ids.get(bucket)) await this.confirmReplicas(keys);
    } catch (thrown) {
      this.suspects.add(bucket);
      this.startRecovery();
      throw this.unavailable(thrown);
    }
    // Applied, perhaps, to a Redis that lost everything before it: not acknowledged.
    if (id !== this.ids.get(bucket)) throw this.lose();
  }

  /**
   * Sends a flush and reads the bucket's marker in the same round trip, on
   * the same connection; resolves with the marker's id. The flush is a DEL of
   * both hashes if it cleared the bucket, an HSET with the last value of each
   * key set after that and an HDEL of the deleted ones, and the same for the
   * deadlines of the keys that have or had one: one command when that is
   * all, else one MULTI (the marker read inside it).
   */
  private async store(bucket: string, keys: BucketKeys, write: RedisWrite): Promise<string | null> {
    if (write.setDeadlines.length > 0) this.withDeadlines.add(bucket);
    if (commandCount(write) <= 1) {
      try {
        // The hot path: auto-pipelined, so the flushes of many buckets leave in one packet per master.
        const [id] = await Promise.all([this.client.get(keys.meta), this.sendOne(keys, write)]);
        return id;
      } catch (error) {
        // ioredis does not follow a redirection for a batch that mixed slots and wrote some of them;
        // it does for a transaction on one slot. The flush is idempotent, so it is sent again as one.
        if (!isCluster(this.client) || !isRedirection(error)) throw error;
      }
    }
    return this.storeInTransaction(keys, write);
  }

  /** The flush's one command (commandCount counts a clear as one: a flush that only cleared is its DEL). */
  private async sendOne(keys: BucketKeys, { cleared, sets, deletes }: RedisWrite): Promise<unknown> {
    if (cleared) return this.client.del(keys.data, keys.deadlines);
    if (sets.length > 0) return this.client.hset(keys.data, ...sets);
    if (deletes.length > 0) return this.client.hdel(keys.data, ...deletes);
    return undefined;
  }

  /** The flush in one MULTI with the marker read: atomic, and redirected as a whole on a cluster whose slots move. */
  private async storeInTransaction(keys: BucketKeys, write: RedisWrite): Promise<string | null> {
    return firstErrorOrValues(await queueWrite(this.client.multi().get(keys.meta), keys, write).exec())[0] as string | null;
  }

  /**
   * With waitReplicas, Redis's WAIT on the connection that carried the write
   * (a keyed command beside it routes it to the bucket's master on a cluster).
   * Fewer replicas than asked within the time: the write fails (it may
   * still be on the master: the bucket is reloaded before its next write).
   */
  private async confirmReplicas(keys: BucketKeys): Promise<void> {
    const wanted = this.waitReplicas;
    if (wanted === 0) return;
    const waitMs = Math.max(1, Math.floor(this.commandTimeoutMs * 0.8)); // below the command timeout, which covers WAIT too
    const replies = (await this.client.pipeline().exists(keys.meta).wait(wanted, waitMs).exec()) ?? [];
    const [error, confirmed] = replies[1] ?? [new Error('no reply to WAIT')];
    if (error) throw error;
    if ((confirmed as number) < wanted) throw new Error(`${confirmed as number} of ${wanted} replicas confirmed the write within ${waitMs} ms (WAIT)`);
  }

  /** `work`, noted as the bucket's write until it settles. */
  private tracked<T>(bucket: string, work: Promise<T>): Promise<T> {
    const settled: Promise<void> = work.then(
      () => this.forgetUnsettled(bucket, settled),
      () => this.forgetUnsettled(bucket, settled),
    );
    this.unsettled.set(bucket, settled);
    return work;
  }

  private forgetUnsettled(bucket: string, settled: Promise<void>): void {
    if (this.unsettled.get(bucket) === settled) this.unsettled.delete(bucket);
  }

  /** `work`, or a rejection once commandTimeoutMs has passed (ioredis's own timeouts do not cover a cluster's redirections and refreshes). */
  private async withinDeadline<T>(work: Promise<T>, keys: BucketKeys): Promise<T> {
    if (!isCluster(this.client)) return work; // commandTimeout covers each command
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.commandTimeoutMs} ms from the master of ${keys.meta}`)), this.commandTimeoutMs);
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
      work.catch(() => {}); // settled late: the bucket is already suspect
    }
  }

  /** Forgets a bucket: its three keys in one MULTI on its slot. */
  async dropBucket(name: string): Promise<void> {
    if (!this.tables.has(name)) return;
    if (this.lost) throw this.lost;
    const keys = this.keys(name);
    this.failedDrops.delete(name); // before the DEL leaves: a reload under way must not put the marker back after it
    try {
      await this.withinDeadline(this.tracked(name, execAll(this.client.multi().del(keys.data, keys.deadlines, keys.meta))), keys);
    } catch (thrown) {
      // The bucket stays, but Redis may have run the DEL: reloaded before its next write, as after a failed write.
      this.failedDrops.add(name);
      this.suspects.add(name);
      this.startRecovery();
      throw this.unavailable(thrown, 'did not drop the bucket');
    }
    this.tables.get(name)?.release();
    this.tables.delete(name);
    this.ids.delete(name);
    this.suspects.delete(name);
    this.failedDrops.delete(name);
    this.withDeadlines.delete(name);
  }

  /**
   * After a failed write, Redis may hold it or not (a timed-out command can
   * still run). Until the bucket is reloaded from Redis, its writes fail at
   * once, so memory and Redis agree afterwards. Other buckets go on: on a
   * cluster, those on other masters are not affected.
   */
  private startRecovery(): void {
    if (this.recovery || this.closed) return;
    this.logger.warn({ prefix: this.prefix }, 'redis storage unavailable; writes to the affected buckets fail until it answers');
    this.recovery = this.recover().finally(() => (this.recovery = undefined));
  }

  private async recover(): Promise<void> {
    while (!this.closed && !this.lost) {
      // The reads follow the failed write on its connection, so they see it if it ran.
      await Promise.all([...this.suspects].map((name) => this.reload(name).catch(() => {})));
      if (this.suspects.size === 0) {
        this.logger.info({ prefix: this.prefix }, 'redis storage recovered');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.recoveryIntervalMs ?? defaultRedisStorageOptions.recoveryIntervalMs).unref());
    }
  }

  private async reload(name: string): Promise<void> {
    await settledOrLater(this.unsettled.get(name), this.commandTimeoutMs * unsettledWaitFactor); // its failed write: ran, or never will
    let stored = await this.read(name, 'transaction');
    if (!this.suspects.has(name)) return; // dropped meanwhile
    const id = this.ids.get(name);
    if (stored.id === null && id !== undefined && this.failedDrops.has(name)) {
      // Its refused drop ran after all: the bucket stays, as the store answered, empty as Redis now holds it.
      const keys = this.keys(name);
      await this.withinDeadline(execAll(this.client.multi().del(keys.data, keys.deadlines).set(keys.meta, id)), keys);
      stored = { id, entries: {}, deadlines: {} };
    }
    if (!this.suspects.delete(name)) return; // dropped meanwhile
    this.failedDrops.delete(name);
    if (stored.id !== id) return void this.lose();
    this.tables.get(name)?.reload(liveEntries(stored.entries, stored.deadlines));
  }

  /** A STORAGE_UNAVAILABLE error saying what Redis failed to do; the URL is shown without credentials. */
  private unavailable(thrown: unknown, what = 'did not store the write'): KvError {
    if (thrown instanceof KvError) return thrown;
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    return new KvError('STORAGE_UNAVAILABLE', `Redis (${this.where}) ${what}: ${reason} (see the redis storage's commandTimeoutMs)`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const table of this.tables.values()) table.release();
    await this.recovery;
    if (!this.ownsClient) return;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** How a bucket is read: its three keys pipelined (fast), or in one MULTI (whole even while its slot moves). */
type ReadMode = 'pipelined' | 'transaction';

/** A bucket's marker id, entries and deadlines, as Redis holds them. */
interface StoredBucket {
  id: string | null;
  entries: Record<string, string>;
  deadlines: Record<string, string>;
}

/** Runs a MULTI; throws the first command's error, or if the transaction was discarded. */
async function execAll(multi: ChainableCommander): Promise<void> {
  firstErrorOrValues(await multi.exec());
}

/** The replies of a pipeline or MULTI as values; throws the first error, or if the transaction was discarded. */
function firstErrorOrValues(replies: Array<[Error | null, unknown]> | null): unknown[] {
  if (!replies) throw new Error('transaction discarded');
  const failed = replies.find(([error]) => error);
  if (failed) throw failed[0];
  return replies.map(([, value]) => value);
}

/** A flush that writes nothing: a transaction with it only reads the marker. */
const noWrite: RedisWrite = { cleared: false, sets: [], deletes: [], setDeadlines: [], deleteDeadlines: [] };

/** A Redis Cluster reply saying the command went to the wrong master, or should be tried again: it did not run. */
function isRedirection(error: unknown): boolean {
  return error instanceof Error && /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /.test(error.message);
}

/** How many Redis commands a flush takes (a clear deletes both hashes in one DEL). */
function commandCount({ cleared, sets, deletes, setDeadlines, deleteDeadlines }: RedisWrite): number {
  return Number(cleared) + [sets, deletes, setDeadlines, deleteDeadlines].filter((list) => list.length > 0).length;
}

/** Adds a flush's commands to a pipeline or MULTI. */
function queueWrite(batch: ChainableCommander, keys: BucketKeys, { cleared, sets, deletes, setDeadlines, deleteDeadlines }: RedisWrite): ChainableCommander {
  if (cleared) batch.del(keys.data, keys.deadlines);
  if (sets.length > 0) batch.hset(keys.data, ...sets);
  if (deletes.length > 0) batch.hdel(keys.data, ...deletes);
  if (setDeadlines.length > 0) batch.hset(keys.deadlines, ...setDeadlines);
  if (deleteDeadlines.length > 0) batch.hdel(keys.deadlines, ...deleteDeadlines);
  return batch;
}

/** What one flush writes to Redis. */
interface RedisWrite {
  cleared: boolean;
  /** key, value, key, value, ... for HSET. */
  sets: string[];
  deletes: string[];
  /** key, deadline, ... for the deadlines' HSET. */
  setDeadlines: string[];
  /** Keys whose deadline goes: deleted or set without one, where they had one. */
  deleteDeadlines: string[];
}

/**
 * The last state of each key a flush changed, as Redis commands' arguments.
 * With `mayHoldDeadlines`, every key set without a deadline has its deadline
 * removed, in case a stale one is left.
 */
function redisWrite(changes: Change[], mayHoldDeadlines: boolean): RedisWrite {
  let cleared = false;
  const last = new Map<string, { value: string | undefined; expiresAt: number; hadDeadline: boolean }>();
  for (const change of changes) {
    if (change.kind === 'clear') {
      cleared = true;
      last.clear();
      continue;
    }
    const hadDeadline = mayHoldDeadlines || (last.get(change.key)?.hadDeadline ?? false) || (change.previous?.expiresAt ?? 0) !== 0;
    last.set(change.key, { value: change.value, expiresAt: change.expiresAt, hadDeadline });
  }
  const write: RedisWrite = { cleared, sets: [], deletes: [], setDeadlines: [], deleteDeadlines: [] };
  for (const [key, { value, expiresAt, hadDeadline }] of last) {
    if (value !== undefined) write.sets.push(key, value);
    else if (!cleared) write.deletes.push(key);
    if (value !== undefined && expiresAt !== 0) write.setDeadlines.push(key, String(expiresAt));
    else if (hadDeadline && !cleared) write.deleteDeadlines.push(key);
  }
  return write;
}

/** A bucket's stored entries with their deadlines, leaving out the keys that have expired. */
function liveEntries(entries: Record<string, string>, deadlines: Record<string, string>): Array<[string, StoredEntry]> {
  const now = wallNow();
  const live: Array<[string, StoredEntry]> = [];
  for (const [key, value] of Object.entries(entries)) {
    // Own properties only: a key named `constructor` or `toString` would read Object.prototype's (NaN, never live).
    const expiresAt = Object.hasOwn(deadlines, key) ? Number(deadlines[key]) : 0;
    if (expiresAt === 0 || expiresAt > now) live.push([key, { value, expiresAt }]);
  }
  return live;
}
