// The Store: the library's API (the seeds' KV module), and the place where a
// call is routed. Today every bucket is local; the cluster routes through here.

import { LocalNode } from './actors/local-node';
import type { BucketOp, OpValue } from './actors/messages';
import type { NodeTree } from './actors/tree';
import { KvError } from './errors';
import { resolveStoreOptions, type StoreOptions } from './options';
import { createStorage } from './storage/open-storage';

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
  const storage = createStorage(resolved.storage, resolved);
  const local = await LocalNode.start(resolved, storage);
  return new LocalStore(resolved.node, local);
}

class LocalStore implements Store {
  constructor(
    readonly node: string,
    private readonly local: LocalNode,
  ) {}

  async create(bucket: string): Promise<void> {
    checkBucket(bucket);
    await this.local.create(bucket);
  }

  async put(bucket: string, key: string, value: string): Promise<void> {
    checkBucket(bucket);
    checkString('key', key);
    checkString('value', value);
    await this.run(bucket, { kind: 'put', key, value });
  }

  get(bucket: string, key: string): Promise<string | undefined> {
    return this.keyed(bucket, key, { kind: 'get', key }) as Promise<string | undefined>;
  }

  delete(bucket: string, key: string): Promise<string | undefined> {
    return this.keyed(bucket, key, { kind: 'delete', key }) as Promise<string | undefined>;
  }

  async has(bucket: string, key?: string): Promise<boolean> {
    if (key === undefined) {
      checkBucket(bucket);
      return this.local.exists(bucket);
    }
    return (await this.keyed(bucket, key, { kind: 'has', key })) as boolean;
  }

  async buckets(): Promise<string[]> {
    return this.local.buckets();
  }

  async crashBucket(bucket: string, reason = 'crashBucket was called'): Promise<void> {
    checkBucket(bucket);
    checkString('reason', reason);
    await this.run(bucket, { kind: 'crash', reason });
  }

  async tree(): Promise<NodeTree> {
    return this.local.tree();
  }

  stop(): Promise<void> {
    return this.local.stop();
  }

  private async keyed(bucket: string, key: string, op: BucketOp): Promise<OpValue> {
    checkBucket(bucket);
    checkString('key', key);
    return this.run(bucket, op);
  }

  private run(bucket: string, op: BucketOp): Promise<OpValue> {
    return this.local.run(bucket, op);
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
