// The Store: the library's API (the seeds' KV module), and the place where a
// call is routed. Today every bucket is local; the cluster routes through here.

import { LocalNode } from './actors/local-node';
import type { BucketOp, OpValue } from './actors/messages';
import type { NodeTree } from './actors/tree';
import { KvError } from './errors';
import { resolveStoreOptions, type StoreOptions } from './options';
import { MemoryStorage } from './storage/memory';

/** A running store. Every method rejects with a KvError for a known condition. */
export interface Store {
  /** This node's name. */
  readonly node: string;
  /** Creates a bucket; idempotent. Revives a bucket that failed, with its data. */
  create(bucket: string): Promise<void>;
  /** Sets `key` to `value` in `bucket`. */
  put(bucket: string, key: string, value: string): Promise<void>;
  /** The value under `key`, or undefined. */
  get(bucket: string, key: string): Promise<string | undefined>;
  /** Removes `key`; resolves with the value it removed, or undefined. */
  delete(bucket: string, key: string): Promise<string | undefined>;
  /** Whether the bucket exists; with a key, whether the bucket holds it. */
  has(bucket: string, key?: string): Promise<boolean>;
  /** The names of the buckets, sorted. */
  buckets(): Promise<string[]>;
  /** Fault injection: makes the bucket's actor throw; resolves once the crash was handled. */
  crashBucket(bucket: string, reason?: string): Promise<void>;
  /** This node's supervision tree, as plain data. */
  tree(): Promise<NodeTree>;
  /** Stops every actor and closes storage; calls after it reject with STOPPED. */
  stop(): Promise<void>;
}

/** Starts a store. With no options: one node named 'local', in memory. */
export async function createStore(options: StoreOptions = {}): Promise<Store> {
  const resolved = resolveStoreOptions(options);
  const storage = resolved.storage === 'memory' ? new MemoryStorage() : resolved.storage;
  const local = await LocalNode.start(resolved, storage);
  return new LocalStore(resolved.node, local);
}

class LocalStore implements Store {
  constructor(
    readonly node: string,
    private readonly local: LocalNode,
  ) {}

  create(bucket: string): Promise<void> {
    return attempt(() => {
      checkBucket(bucket);
      return this.local.create(bucket);
    });
  }

  put(bucket: string, key: string, value: string): Promise<void> {
    return attempt(() => {
      checkString('value', value);
      return this.keyed(bucket, key, { kind: 'put', key, value });
    }) as Promise<void>;
  }

  get(bucket: string, key: string): Promise<string | undefined> {
    return attempt(() => this.keyed(bucket, key, { kind: 'get', key })) as Promise<string | undefined>;
  }

  delete(bucket: string, key: string): Promise<string | undefined> {
    return attempt(() => this.keyed(bucket, key, { kind: 'delete', key })) as Promise<string | undefined>;
  }

  has(bucket: string, key?: string): Promise<boolean> {
    return attempt(() => {
      if (key !== undefined) return this.keyed(bucket, key, { kind: 'has', key });
      checkBucket(bucket);
      return Promise.resolve(this.local.exists(bucket));
    }) as Promise<boolean>;
  }

  async buckets(): Promise<string[]> {
    return this.local.buckets();
  }

  crashBucket(bucket: string, reason = 'crashBucket was called'): Promise<void> {
    return attempt(() => {
      checkBucket(bucket);
      checkString('reason', reason);
      return this.local.run(bucket, { kind: 'crash', reason });
    }) as Promise<void>;
  }

  async tree(): Promise<NodeTree> {
    return this.local.tree();
  }

  stop(): Promise<void> {
    return this.local.stop();
  }

  /** Validates and runs an operation on one key. */
  private keyed(bucket: string, key: string, op: BucketOp): Promise<OpValue> {
    checkBucket(bucket);
    checkString('key', key);
    return this.local.run(bucket, op);
  }
}

/** Runs `body`, turning a synchronous throw (a failed argument check) into a rejection. */
function attempt<T>(body: () => Promise<T>): Promise<T> {
  try {
    return body();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Bucket names are non-empty and hold no whitespace or control characters, so
 * every bucket can be named from the text protocol, where words split on spaces.
 */
export function checkBucket(bucket: unknown): asserts bucket is string {
  checkString('bucket name', bucket);
  if (bucket.length === 0 || /[\s\p{Cc}]/u.test(bucket)) {
    throw new KvError('BAD_REQUEST', `bucket name ${JSON.stringify(bucket)} must be non-empty, without whitespace or control characters`);
  }
}

function checkString(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new KvError('BAD_REQUEST', `${what} must be a string, got ${typeof value}`);
  }
}
