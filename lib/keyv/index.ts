// A Keyv storage adapter: one bucket of a Store holds a Keyv cache, with the
// store's own expiry (Keyv's ttl becomes the put's ttlMs) and its cursor scan.
// It implements keyv 5's store contract (KeyvStoreAdapter) by its shape alone:
// nothing here loads keyv, so actor-kv does not depend on it (docs/keyv.md).

import { EventEmitter } from 'node:events';
import { KvError } from '../errors';
import type { Store } from '../store';

/** The part of a Store the adapter calls. */
export type KeyvBackingStore = Pick<Store, 'create' | 'put' | 'get' | 'delete' | 'has' | 'getMany' | 'putMany' | 'clear' | 'keys' | 'entries'>;

/** Where the adapter keeps the cache. */
export interface KeyvActorKvOptions {
  /** The bucket that holds the cache's keys; created on first use (create is idempotent). */
  bucket: string;
}

/** What Keyv reads from an adapter's `opts`. */
export interface KeyvActorKvOpts extends KeyvActorKvOptions {
  /**
   * Keyv 5 offers `keyv.iterator()` only for the dialects it lists as able to
   * iterate; the bucket's scan keeps Redis's SCAN guarantee, so it says 'redis'.
   */
  readonly dialect: 'redis';
}

/** One entry of Keyv's setMany: an already serialized value, and Keyv's ttl in milliseconds. */
export interface KeyvActorKvEntry {
  /** The key, with Keyv's namespace prefix. */
  key: string;
  /** The value as Keyv serialized it. */
  value: string;
  /** Milliseconds to live; undefined or 0: no expiry. */
  ttl?: number;
}

/** Keys per page when clear() scans a namespace's keys. */
const clearPageCount = 1000;

/**
 * A Keyv store on an actor-kv bucket: `new Keyv({ store: new KeyvActorKv(store, { bucket: 'cache' }) })`.
 * Values are the strings Keyv serializes. The store stays the caller's: the
 * adapter holds no timer or socket, and `keyv.disconnect()` leaves the store running.
 * Errors are the store's KvErrors; Keyv emits them as 'error' events.
 */
export class KeyvActorKv extends EventEmitter {
  /** The adapter's options, as Keyv reads them. */
  readonly opts: KeyvActorKvOpts;
  /**
   * The namespace Keyv sets: its keys start with `${namespace}:`, and clear()
   * and iterator() keep to them. Declared, not defined, so that keyv 6 (which
   * wraps this adapter in its bridge) does the namespacing itself.
   */
  declare namespace?: string;
  private bucketReady: Promise<void> | undefined;

  constructor(
    /** The store that holds the bucket. */
    readonly store: KeyvBackingStore,
    options: KeyvActorKvOptions,
  ) {
    super();
    this.opts = { bucket: options.bucket, dialect: 'redis' };
  }

  /** The bucket that holds the cache. */
  get bucket(): string {
    return this.opts.bucket;
  }

  /** The stored string under `key`, or undefined. */
  async get(key: string): Promise<string | undefined> {
    return this.inBucket((bucket) => this.store.get(bucket, key));
  }

  /** The stored strings under `keys`, in order (undefined for a missing key), read in one step. */
  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    return this.inBucket((bucket) => this.store.getMany(bucket, keys));
  }

  /** Stores `value`; with a positive `ttl`, the store expires it that many milliseconds from now. */
  async set(key: string, value: string, ttl?: number): Promise<boolean> {
    const ttlMs = storeTtl(ttl);
    await this.inBucket(async (bucket) => {
      if (ttlMs === 'expired') await this.store.delete(bucket, key);
      else await this.store.put(bucket, key, value, ttlMs === undefined ? undefined : { ttlMs });
    });
    return true;
  }

  /**
   * Stores every entry: those without a ttl in one step (one record), each of
   * the others with its own expiry. A key given twice keeps its last entry:
   * the two groups are sent apart, so an earlier entry must not be sent at all.
   */
  async setMany(entries: KeyvActorKvEntry[]): Promise<boolean[]> {
    const latest = [...new Map(entries.map((entry) => [entry.key, entry])).values()];
    const lasting = latest.filter(({ ttl }) => storeTtl(ttl) === undefined).map(({ key, value }): [string, string] => [key, value]);
    const expiring = latest.filter(({ ttl }) => storeTtl(ttl) !== undefined);
    await Promise.all([
      lasting.length === 0 ? undefined : this.inBucket((bucket) => this.store.putMany(bucket, lasting)),
      ...expiring.map(({ key, value, ttl }) => this.set(key, value, ttl)),
    ]);
    return entries.map(() => true);
  }

  /** Removes `key`; resolves with whether it was there. */
  async delete(key: string): Promise<boolean> {
    return (await this.inBucket((bucket) => this.store.delete(bucket, key))) !== undefined;
  }

  /** Removes `keys`; resolves with whether every one was there (Keyv's own rule for a store without deleteMany). */
  async deleteMany(keys: string[]): Promise<boolean> {
    const removed = await this.inBucket((bucket) => Promise.all(keys.map((key) => this.store.delete(bucket, key))));
    return removed.every((value) => value !== undefined);
  }

  /** Whether the bucket holds `key` (an expired key is not held). */
  async has(key: string): Promise<boolean> {
    return this.inBucket((bucket) => this.store.has(bucket, key));
  }

  /** Whether the bucket holds each of `keys`, read in one step. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    return (await this.getMany(keys)).map((value) => value !== undefined);
  }

  /** Empties the bucket (store.clear); with a namespace, removes that namespace's keys only. */
  async clear(): Promise<void> {
    const namespace = this.namespace;
    if (!namespace) return void (await this.inBucket((bucket) => this.store.clear(bucket)));
    await this.inBucket(async (bucket) => {
      let cursor = 0;
      do {
        const page = await this.store.keys(bucket, { cursor, count: clearPageCount, match: namespaceMatch(namespace) });
        await Promise.all(page.keys.map((key) => this.store.delete(bucket, key)));
        cursor = page.cursor;
      } while (cursor !== 0);
    });
  }

  /** Every [key, value] pair of the bucket (of `namespace` when given), a page at a time (store.entries). */
  async *iterator(namespace?: string): AsyncGenerator<[string, string], void> {
    await this.ensureBucket();
    try {
      yield* this.store.entries(this.bucket, namespace ? { match: namespaceMatch(namespace) } : {});
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // Dropped behind our back: its keys are gone, so there is nothing more
      // to yield; it is created again, as every other call does.
      this.bucketReady = undefined;
      await this.ensureBucket();
    }
  }

  /** Runs `call` on the bucket, creating it first; a bucket dropped since is created again, once. */
  private async inBucket<T>(call: (bucket: string) => Promise<T>): Promise<T> {
    await this.ensureBucket();
    try {
      return await call(this.bucket);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.bucketReady = undefined;
      await this.ensureBucket();
      return call(this.bucket);
    }
  }

  /** Creates the bucket once; a failed create (a stopped store, an unreachable owner) is tried again on the next call. */
  private ensureBucket(): Promise<void> {
    if (!this.bucketReady) {
      const ready = this.store.create(this.bucket);
      ready.catch(() => {
        if (this.bucketReady === ready) this.bucketReady = undefined;
      });
      this.bucketReady = ready;
    }
    return this.bucketReady;
  }
}

/** Whether the store said the bucket does not exist (it was dropped). */
function isNotFound(error: unknown): boolean {
  return error instanceof KvError && error.code === 'NOT_FOUND';
}

/**
 * The store's ttlMs for Keyv's ttl: undefined for none (Keyv's 0 means none
 * too), 'expired' for a negative one, else whole milliseconds, rounded up.
 */
function storeTtl(ttl: number | undefined): number | undefined | 'expired' {
  if (ttl === undefined || ttl === 0) return undefined;
  return ttl < 0 ? 'expired' : Math.ceil(ttl);
}

/** The glob for the keys of a namespace: Keyv 5 prefixes them `${namespace}:`; the namespace's own glob characters are escaped. */
function namespaceMatch(namespace: string): string {
  return `${namespace.replace(/[*?[\]\\]/g, '\\$&')}:*`;
}
