// The Redis backend: each bucket is a Redis hash under the prefix and the
// bucket names are a Redis set. Writes go through to Redis (MULTI/EXEC per
// flush) before their OK; reads are served from memory, since a bucket has one
// writer, its owner. A restarted node loads its buckets back from Redis.

import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from '../core/logger';
import { KvError } from '../errors';
import { JournaledTable, type Change } from './journaled-table';
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

  constructor(private readonly options: RedisStorageOptions) {
    this.prefix = options.prefix ?? defaultRedisStorageOptions.prefix;
    this.logger = options.logger ?? defaultRedisStorageOptions.logger;
    this.ownsClient = !options.client;
    this.client = options.client ?? createRedisClient(options.url ?? defaultRedisStorageOptions.url, this.commandTimeoutMs);
    if (this.ownsClient) this.client.on('error', (error: Error) => this.logger.warn({ reason: error.message }, 'redis error'));
  }

  private get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs ?? defaultRedisStorageOptions.commandTimeoutMs;
  }

  private hashKey(bucket: string): string {
    return `${this.prefix}bucket:${bucket}`;
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
    } catch (thrown) {
      throw this.failedToOpen(thrown, 'did not return the stored buckets');
    }
    return [...this.tables.keys()];
  }

  /** Reads every bucket back: the set of names, then each hash, in one pipeline. */
  private async load(): Promise<void> {
    const names = await this.client.smembers(this.setKey);
    const pipeline = this.client.pipeline();
    for (const name of names) pipeline.hgetall(this.hashKey(name));
    const replies = (await pipeline.exec()) ?? [];
    names.forEach((name, index) => {
      const [error, entries] = replies[index] ?? [new Error('no reply')];
      if (error) throw error;
      this.tables.set(name, this.newTable(name, new Map(Object.entries(entries as Record<string, string>))));
    });
  }

  private failedToOpen(thrown: unknown, what: string): KvError {
    if (this.ownsClient) this.client.disconnect();
    return this.unavailable(thrown, what);
  }

  async createBucket(name: string): Promise<void> {
    if (this.tables.has(name)) return;
    if (this.recovery) throw this.unavailable(new Error('recovering from an earlier failure'), 'did not store the new bucket');
    try {
      await this.client.sadd(this.setKey, name);
    } catch (thrown) {
      throw this.unavailable(thrown, 'did not store the new bucket');
    }
    this.table(name);
  }

  table(name: string): JournaledTable {
    let table = this.tables.get(name);
    if (!table) {
      table = this.newTable(name, new Map());
      this.tables.set(name, table);
    }
    return table;
  }

  private newTable(name: string, map: Map<string, string>): JournaledTable {
    return new JournaledTable(name, (bucket, changes) => this.commit(bucket, changes), map);
  }

  /** One write per flush: an HSET with the last value of each set key, an HDEL of the deleted ones. */
  private async commit(bucket: string, changes: Change[]): Promise<void> {
    if (this.closed) throw new KvError('STORAGE_UNAVAILABLE', 'the Redis storage is closed');
    if (this.recovery) throw this.unavailable(new Error('recovering from an earlier failure'));
    const last = new Map<string, string | undefined>();
    for (const { key, value } of changes) last.set(key, value);
    const sets: string[] = [];
    const deletes: string[] = [];
    for (const [key, value] of last) {
      if (value === undefined) deletes.push(key);
      else sets.push(key, value);
    }
    try {
      await this.send(this.hashKey(bucket), sets, deletes);
    } catch (thrown) {
      this.suspects.add(bucket);
      this.startRecovery();
      throw this.unavailable(thrown);
    }
  }

  /** One HSET or one HDEL (each atomic), or both in a MULTI. */
  private async send(hash: string, sets: string[], deletes: string[]): Promise<void> {
    if (deletes.length === 0) return void (await this.client.hset(hash, ...sets));
    if (sets.length === 0) return void (await this.client.hdel(hash, ...deletes));
    const replies = await this.client.multi().hset(hash, ...sets).hdel(hash, ...deletes).exec();
    const failed = (replies ?? [[new Error('transaction discarded')]]).find(([error]) => error);
    if (failed) throw failed[0];
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
          this.suspects.delete(name);
          this.tables.get(name)?.reload(Object.entries(entries));
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
    await this.recovery;
    if (!this.ownsClient) return;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
