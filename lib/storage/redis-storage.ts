// The Redis backend: each bucket is a Redis hash under the prefix and the
// bucket names are a Redis set. Writes go through to Redis (MULTI/EXEC per
// flush) before their OK; reads are served from memory, since a bucket has one
// writer, its owner. A restarted node loads its buckets back from Redis.

import type { ChainableCommander, Redis } from 'ioredis';
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
      this.tables.set(name, this.newTable(name, Object.entries(entries as Record<string, string>)));
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
      table = this.newTable(name, []);
      this.tables.set(name, table);
    }
    return table;
  }

  private newTable(name: string, entries: Iterable<[string, string]>): JournaledTable {
    return new JournaledTable(name, (bucket, changes) => this.commit(bucket, changes), entries);
  }

  /**
   * One write per flush: a DEL if the flush cleared the bucket, an HSET with
   * the last value of each key set after that, an HDEL of the deleted ones,
   * in one MULTI when there is more than one.
   */
  private async commit(bucket: string, changes: Change[]): Promise<void> {
    if (this.closed) throw new KvError('STORAGE_UNAVAILABLE', 'the Redis storage is closed');
    if (this.recovery) throw this.unavailable(new Error('recovering from an earlier failure'));
    let cleared = false;
    const last = new Map<string, string | undefined>();
    for (const change of changes) {
      if (change.kind === 'key') last.set(change.key, change.value);
      else {
        cleared = true;
        last.clear();
      }
    }
    const sets: string[] = [];
    const deletes: string[] = [];
    for (const [key, value] of last) {
      if (value !== undefined) sets.push(key, value);
      else if (!cleared) deletes.push(key);
    }
    try {
      await this.send(this.hashKey(bucket), cleared, sets, deletes);
    } catch (thrown) {
      this.suspects.add(bucket);
      this.startRecovery();
      throw this.unavailable(thrown);
    }
  }

  /** The commands of one flush: a single one as it is (each is atomic), several in a MULTI. */
  private async send(hash: string, cleared: boolean, sets: string[], deletes: string[]): Promise<void> {
    const commands = Number(cleared) + Number(sets.length > 0) + Number(deletes.length > 0);
    if (commands === 0) return;
    if (commands === 1 && !cleared) {
      if (sets.length > 0) await this.client.hset(hash, ...sets);
      else await this.client.hdel(hash, ...deletes);
      return;
    }
    let multi = this.client.multi();
    if (cleared) multi = multi.del(hash);
    if (sets.length > 0) multi = multi.hset(hash, ...sets);
    if (deletes.length > 0) multi = multi.hdel(hash, ...deletes);
    await execAll(multi);
  }

  async dropBucket(name: string): Promise<void> {
    if (!this.tables.has(name)) return;
    if (this.recovery) throw this.unavailable(new Error('recovering from an earlier failure'), 'did not drop the bucket');
    try {
      await execAll(this.client.multi().del(this.hashKey(name)).srem(this.setKey, name));
    } catch (thrown) {
      throw this.unavailable(thrown, 'did not drop the bucket');
    }
    this.tables.delete(name);
    this.suspects.delete(name);
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

/** Runs a MULTI; throws the first command's error, or if the transaction was discarded. */
async function execAll(multi: ChainableCommander): Promise<void> {
  const replies = await multi.exec();
  const failed = (replies ?? [[new Error('transaction discarded')]]).find(([error]) => error);
  if (failed) throw failed[0];
}
