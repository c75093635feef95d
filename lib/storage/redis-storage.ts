// The Redis backend: each bucket is a Redis hash under the prefix and the
// bucket names are a Redis set. Writes go through to Redis (MULTI/EXEC per
// flush) before their OK; reads are served from memory, since a bucket has one
// writer, its owner. A restarted node loads its buckets back from Redis.

import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { wallNow } from '../core/clock';
import { silentLogger, type Logger } from '../core/logger';
import { OutageLog } from '../core/outage-log';
import { KvError } from '../errors';
import { JournaledTable, type Change } from './journaled-table';
import type { StoredEntry } from './key-table';
import { connectRedis, createRedisClient, redactRedisUrl } from './redis-connection';
import type { Storage } from './storage';

/** Options of the Redis backend. */
export interface RedisStorageOptions {
  /**
   * Where Redis listens. Ignored when `client` is given.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /** An ioredis client to use instead (the store neither configures nor closes it). */
  client?: Redis;
  /**
   * Prefix of every Redis key the store uses.
   * @default 'actor-kv:<node>:' through createStore ('actor-kv:' for a RedisStorage made by hand)
   */
  prefix?: string;
  /**
   * How long one Redis command may take before the write fails; below the store's callTimeoutMs.
   * @default 1000 ms, or half of callTimeoutMs when that is shorter
   */
  commandTimeoutMs?: number;
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
  recoveryIntervalMs: 250,
  logger: silentLogger,
} as const satisfies Omit<Required<RedisStorageOptions>, 'client'>;

export class RedisStorage implements Storage {
  readonly kind = 'redis';
  private readonly tables = new Map<string, JournaledTable>();
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly logger: Logger;
  /** Buckets whose last write failed: Redis may or may not hold it, so they are reloaded. */
  private readonly suspects = new Set<string>();
  private recovery: Promise<void> | undefined;
  private closed = false;
  private readonly connectionErrors = new OutageLog();
  /** The marker key's value read at open; see claimMarker. */
  private marker: string | undefined;
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
    this.client = options.client ?? createRedisClient(options.url ?? defaultRedisStorageOptions.url, this.commandTimeoutMs);
    if (this.ownsClient) {
      // ioredis reports every failed reconnect: log the first of an outage, then summaries.
      this.client.on('error', (error: Error) => this.reportError(error));
      this.client.on('ready', () => this.connectionErrors.recovered());
    }
  }

  private reportError(error: Error): void {
    const report = this.connectionErrors.failed();
    if (report?.kind === 'first') this.logger.warn({ reason: error.message }, 'redis error');
    else if (report) this.logger.warn({ reason: error.message, errors: report.attempts, since: new Date(report.since).toISOString() }, 'redis still failing');
  }

  private get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs ?? defaultRedisStorageOptions.commandTimeoutMs;
  }

  private hashKey(bucket: string): string {
    return `${this.prefix}bucket:${bucket}`;
  }

  /** The hash of the bucket's keys that have an expiry deadline: key -> epoch ms. */
  private deadlinesKey(bucket: string): string {
    return `${this.prefix}expiry:${bucket}`;
  }

  private get setKey(): string {
    return `${this.prefix}buckets`;
  }

  async open(): Promise<string[]> {
    try {
      await connectRedis(this.client, this.commandTimeoutMs * 3);
    } catch (thrown) {
      throw this.failedToOpen(thrown, 'could not be reached');
    }
    try {
      await this.load();
      await this.claimMarker();
    } catch (thrown) {
      throw this.failedToOpen(thrown, 'did not return the stored buckets');
    }
    return [...this.tables.keys()];
  }

  /**
   * The marker key says that Redis still holds what this prefix stored: set
   * once (by the first node to open the prefix) and read back with every
   * write. A Redis that restarted empty, or was flushed, no longer has it.
   */
  private async claimMarker(): Promise<void> {
    await this.client.set(this.markerKey, randomUUID(), 'NX');
    this.marker = (await this.client.get(this.markerKey)) ?? undefined;
  }

  private get markerKey(): string {
    return `${this.prefix}marker`;
  }

  /** Redis no longer holds this node's data: every write from now on is refused, so none is acknowledged into a keyspace a restart cannot read. */
  private lose(): KvError {
    if (!this.lost) {
      const where = this.options.url === undefined ? 'the given client' : redactRedisUrl(this.options.url);
      this.lost = new KvError(
        'STORAGE_UNAVAILABLE',
        `Redis (${where}) no longer holds this node's data (its marker key is gone: Redis restarted empty or was flushed); writes are refused until the node restarts and loads what Redis holds`,
      );
      this.logger.error({ prefix: this.prefix, markerKey: this.markerKey }, 'redis lost the stored data; refusing writes');
    }
    return this.lost;
  }

  /** Reads every bucket back: the set of names, then each hash and its deadlines, in one pipeline. */
  private async load(): Promise<void> {
    const names = await this.client.smembers(this.setKey);
    const pipeline = this.client.pipeline();
    for (const name of names) pipeline.hgetall(this.hashKey(name)).hgetall(this.deadlinesKey(name));
    const replies = (await pipeline.exec()) ?? [];
    names.forEach((name, index) => {
      const [entries, deadlines] = [replies[2 * index], replies[2 * index + 1]].map((reply) => {
        const [error, value] = reply ?? [new Error('no reply')];
        if (error) throw error;
        return value as Record<string, string>;
      });
      if (Object.keys(deadlines!).length > 0) this.withDeadlines.add(name);
      this.tables.set(name, this.newTable(name, liveEntries(entries!, deadlines!)));
      this.forgetExpired(name, entries!, deadlines!);
    });
  }

  /** Removes from Redis the keys that expired while no node held them (best effort: a later open tries again). */
  private forgetExpired(bucket: string, entries: Record<string, string>, deadlines: Record<string, string>): void {
    const now = wallNow();
    const expired = Object.keys(deadlines).filter((key) => Number(deadlines[key]) <= now || !(key in entries));
    if (expired.length === 0) return;
    this.client
      .multi()
      .hdel(this.hashKey(bucket), ...expired)
      .hdel(this.deadlinesKey(bucket), ...expired)
      .exec()
      .catch(() => {});
  }

  private failedToOpen(thrown: unknown, what: string): KvError {
    if (this.ownsClient) this.client.disconnect();
    return this.unavailable(thrown, what);
  }

  async createBucket(name: string): Promise<void> {
    if (this.tables.has(name)) return;
    if (this.lost) throw this.lost;
    if (this.recovery) throw this.unavailable(new Error('recovering from an earlier failure'), 'did not store the new bucket');
    let marker: string | null;
    try {
      [marker] = await Promise.all([this.client.get(this.markerKey), this.client.sadd(this.setKey, name)]);
    } catch (thrown) {
      throw this.unavailable(thrown, 'did not store the new bucket');
    }
    if (marker !== this.marker) throw this.lose();
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

  /**
   * One write per flush, in a MULTI when it takes more than one command: a
   * DEL of both hashes if the flush cleared the bucket, an HSET with the last
   * value of each key set after that and an HDEL of the deleted ones, and the
   * same for the deadlines of the keys that have or had one.
   */
  private async commit(bucket: string, changes: Change[]): Promise<void> {
    if (this.closed) throw new KvError('STORAGE_UNAVAILABLE', 'the Redis storage is closed');
    if (this.lost) throw this.lost;
    if (this.recovery) throw this.unavailable(new Error('recovering from an earlier failure'));
    let marker: string | null;
    try {
      // The marker is read in the same round trip, ahead of the write on the one connection.
      [marker] = await Promise.all([this.client.get(this.markerKey), this.send(bucket, redisWrite(changes, this.withDeadlines.has(bucket)))]);
    } catch (thrown) {
      this.suspects.add(bucket);
      this.startRecovery();
      throw this.unavailable(thrown);
    }
    // Applied, perhaps, to a Redis that lost everything before it: not acknowledged.
    if (marker !== this.marker) throw this.lose();
  }

  private async send(bucket: string, write: RedisWrite): Promise<void> {
    const [hash, deadlines] = [this.hashKey(bucket), this.deadlinesKey(bucket)];
    const { cleared, sets, deletes, setDeadlines, deleteDeadlines } = write;
    if (setDeadlines.length > 0) this.withDeadlines.add(bucket);
    const commands = 2 * Number(cleared) + [sets, deletes, setDeadlines, deleteDeadlines].filter((list) => list.length > 0).length;
    if (commands === 0) return;
    // The hot path: plain puts, or plain deletes, as one atomic command.
    if (commands === 1 && sets.length > 0) return void (await this.client.hset(hash, ...sets));
    if (commands === 1 && deletes.length > 0) return void (await this.client.hdel(hash, ...deletes));
    let multi = this.client.multi();
    if (cleared) multi = multi.del(hash).del(deadlines);
    if (sets.length > 0) multi = multi.hset(hash, ...sets);
    if (deletes.length > 0) multi = multi.hdel(hash, ...deletes);
    if (setDeadlines.length > 0) multi = multi.hset(deadlines, ...setDeadlines);
    if (deleteDeadlines.length > 0) multi = multi.hdel(deadlines, ...deleteDeadlines);
    await execAll(multi);
  }

  async dropBucket(name: string): Promise<void> {
    if (!this.tables.has(name)) return;
    if (this.lost) throw this.lost;
    if (this.recovery) throw this.unavailable(new Error('recovering from an earlier failure'), 'did not drop the bucket');
    try {
      await execAll(this.client.multi().del(this.hashKey(name)).del(this.deadlinesKey(name)).srem(this.setKey, name));
    } catch (thrown) {
      throw this.unavailable(thrown, 'did not drop the bucket');
    }
    this.tables.get(name)?.release();
    this.tables.delete(name);
    this.suspects.delete(name);
    this.withDeadlines.delete(name);
  }

  /**
   * After a failed write, Redis may hold it or not (a timed-out command can
   * still run). Until Redis answers again and the suspect buckets are reloaded
   * from it, every write fails at once, so memory and Redis agree afterwards.
   */
  private startRecovery(): void {
    if (this.recovery || this.closed) return;
    this.logger.warn({ prefix: this.prefix }, 'redis storage unavailable; writes fail until it answers');
    this.recovery = this.recover().finally(() => (this.recovery = undefined));
  }

  private async recover(): Promise<void> {
    while (!this.closed) {
      try {
        await this.client.ping(); // replies in order: every earlier command has run
        for (const name of [...this.suspects]) {
          const entries = await this.client.hgetall(this.hashKey(name));
          const deadlines = await this.client.hgetall(this.deadlinesKey(name));
          this.suspects.delete(name);
          this.tables.get(name)?.reload(liveEntries(entries, deadlines));
        }
        if (this.suspects.size === 0) {
          this.logger.info({ prefix: this.prefix }, 'redis storage recovered');
          return;
        }
      } catch {
        await new Promise((resolve) => setTimeout(resolve, this.options.recoveryIntervalMs ?? defaultRedisStorageOptions.recoveryIntervalMs).unref());
      }
    }
  }

  /** A STORAGE_UNAVAILABLE error saying what Redis failed to do; the URL is shown without credentials. */
  private unavailable(thrown: unknown, what = 'did not store the write'): KvError {
    if (thrown instanceof KvError) return thrown;
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    const where = this.options.url === undefined ? 'the given client' : redactRedisUrl(this.options.url);
    return new KvError('STORAGE_UNAVAILABLE', `Redis (${where}) ${what}: ${reason} (see the redis storage's commandTimeoutMs)`);
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

/** Runs a MULTI; throws the first command's error, or if the transaction was discarded. */
async function execAll(multi: ChainableCommander): Promise<void> {
  const replies = await multi.exec();
  const failed = (replies ?? [[new Error('transaction discarded')]]).find(([error]) => error);
  if (failed) throw failed[0];
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
    const expiresAt = Number(deadlines[key] ?? 0);
    if (expiresAt === 0 || expiresAt > now) live.push([key, { value, expiresAt }]);
  }
  return live;
}
