// The Store: the library's API (the Elixir guide's KV module), and the place where a
// call is routed: to this node's actors, or, in a cluster, to the bucket's owner.

import { EventEmitter } from 'node:events';
import { LocalNode } from './actors/local-node';
import { Cluster, type ClusterTree } from './cluster/cluster';
import { resolveClusterOptions } from './cluster/options';
import type { PeerAddress, PeerState } from './cluster/peer';
import { checkBucket, checkOp } from './core/arguments';
import { wallNow } from './core/clock';
import type { EmitEvent, StoreEventMap } from './core/events';
import type { NodeHandle } from './core/node-handle';
import { failed, type BucketOp, type KeyPage, type OpValue, type Outcome } from './core/operations';
import { settleSafely, type Settle } from './core/settle';
import type { NodeTree } from './core/tree';
import { errors, KvError, toErrorData } from './errors';
import { resolveStoreOptions, type StoreOptions } from './options';
import { createStorage } from './storage/open-storage';

export type { BucketOp, KeyPage, OpValue, Outcome } from './core/operations';

/**
 * A running store. Every method rejects with a KvError for a known condition.
 * It emits typed events (see StoreEventMap), and `await using` stops it.
 */
export interface Store extends EventEmitter<StoreEventMap>, AsyncDisposable {
  /** This node's name. */
  readonly node: string;
  /** Creates a bucket; idempotent. Revives a bucket that failed, with its data. */
  create(bucket: string): Promise<void>;
  /** Sets `key` to `value` in `bucket`; with `ttlMs`, the key expires that long from now (a put without it keeps no old deadline). */
  put(bucket: string, key: string, value: string, options?: PutOptions): Promise<void>;
  /** Makes `key` expire `ms` from now (0 or less: at once); resolves with whether the key exists. */
  expire(bucket: string, key: string, ms: number): Promise<boolean>;
  /** Removes the key's expiry; resolves with whether the key exists. */
  persist(bucket: string, key: string): Promise<boolean>;
  /** Milliseconds until `key` expires: -1 if it never does, -2 if there is no such key (Redis's PTTL). */
  ttl(bucket: string, key: string): Promise<number>;
  /** The value under `key`, or undefined. */
  get(bucket: string, key: string): Promise<string | undefined>;
  /** Removes `key`; resolves with the value it removed, or undefined. */
  delete(bucket: string, key: string): Promise<string | undefined>;
  /** Whether the bucket exists; with a key, whether the bucket holds it. */
  has(bucket: string, key?: string): Promise<boolean>;
  /** The names of the buckets, sorted. */
  buckets(): Promise<string[]>;
  /** Removes the bucket with all its keys, durably, on its owner; NOT_FOUND if it does not exist. */
  drop(bucket: string): Promise<void>;
  /** Removes every key of the bucket (it stays); resolves with how many there were. */
  clear(bucket: string): Promise<number>;
  /** How many keys the bucket holds. */
  size(bucket: string): Promise<number>;
  /**
   * One page of a cursor scan of the bucket's keys, as Redis's SCAN: start
   * with cursor 0, pass each page's cursor to get the next, stop when it is 0.
   * Safe while the bucket is written: a key present for the whole scan is
   * returned at least once (a page may hold fewer keys than `count`, even none).
   */
  keys(bucket: string, options?: KeyScanOptions): Promise<KeyPage>;
  /** Every [key, value] pair of the bucket, a page at a time (keys() and getMany() underneath). */
  entries(bucket: string, options?: Omit<KeyScanOptions, 'cursor'>): AsyncIterableIterator<[string, string]>;
  /** The values of `keys`, in order (undefined for a missing key), read in one step. */
  getMany(bucket: string, keys: readonly string[]): Promise<Array<string | undefined>>;
  /** Sets every entry in one step: stored all together, as one record, or not at all. */
  putMany(bucket: string, entries: Iterable<readonly [string, string]> | Record<string, string>): Promise<void>;
  /**
   * The callback form of put/get/delete/has/crashBucket, for callers that issue
   * many operations at once (the text server): no promise per call. `settle` is
   * called exactly once with the outcome, possibly before `submit` returns (a
   * bad argument, an unknown bucket); `submit` itself never throws. Outcomes
   * are read-only and may be shared between calls. If `settle` throws, its
   * error is rethrown on its own, as an uncaught exception, and the other
   * calls are settled all the same.
   */
  submit(bucket: string, op: BucketOp, settle: (outcome: Outcome) => void): void;
  /** Fault injection: makes the bucket's actor throw; resolves once the crash was handled. */
  crashBucket(bucket: string, reason?: string): Promise<void>;
  /** This node's supervision tree, as plain data. */
  tree(): Promise<NodeTree>;
  /** Every node's tree (unreachable nodes marked so); a single node gives its own. */
  clusterTree(): Promise<ClusterTree>;
  /** Where this node accepts peers and how each peer is connected; null outside a cluster. */
  clusterStatus(): ClusterStatus | null;
  /** Stops every actor and closes storage; calls after it reject with STOPPED. */
  stop(): Promise<void>;
  /** The same as stop(), for `await using store = await createStore()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** How a put stores its key. */
export interface PutOptions {
  /** The key expires this many milliseconds from now (a positive integer). Deadlines are stored: they survive restarts. */
  ttlMs?: number;
}

/** Where a key scan starts, how many keys a page may hold, and which keys it wants. */
export interface KeyScanOptions {
  /**
   * The cursor a previous page returned.
   * @default 0 (a new scan)
   */
  cursor?: number;
  /**
   * The most keys one page holds (1 to 10,000).
   * @default 100
   */
  count?: number;
  /** A glob pattern, as Redis's MATCH (`*`, `?`, `[a-z]`, `\\x`); only the keys it matches are returned. */
  match?: string;
}

/** A cluster member's view of its links. */
export interface ClusterStatus {
  /** Where this node accepts peers (the real port when 0 was asked for), or null. */
  address: PeerAddress | null;
  /** Each peer's connection: 'up', 'dialing' or 'down'. */
  peers: Record<string, PeerState>;
}

/** Starts a store. With no options: one node named 'local', in memory. */
export async function createStore(options: StoreOptions = {}): Promise<Store> {
  const resolved = resolveStoreOptions(options);
  const clusterOptions = resolved.cluster && resolveClusterOptions(resolved.node, resolved.cluster);
  const storage = createStorage(resolved.storage, resolved);
  const store = new NodeStore(resolved.node);
  const local = await LocalNode.start(resolved, storage, store.emitSafely);
  if (!clusterOptions) return store.attach(local);
  try {
    return store.attach(local, await Cluster.start(resolved.node, clusterOptions, local, resolved.logger, store.emitSafely));
  } catch (error) {
    await local.stop();
    throw error;
  }
}

class NodeStore extends EventEmitter<StoreEventMap> implements Store {
  private stopping: Promise<void> | undefined;
  private local!: LocalNode;
  private cluster: Cluster | undefined;

  constructor(readonly node: string) {
    super();
  }

  /** Completes the store once its node (and cluster) have started: they need its emitter first. */
  attach(local: LocalNode, cluster?: Cluster): this {
    this.local = local;
    this.cluster = cluster;
    return this;
  }

  /**
   * Emits from inside the actors and the transport, which must not throw: a
   * listener's error is rethrown on its own, as an uncaught exception.
   */
  readonly emitSafely: EmitEvent = (name, ...args) => {
    try {
      (this.emit as (event: string, ...payload: unknown[]) => boolean)(name, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  };

  /** Throws STOPPED once stop() was called (the calls that go to the actors find out there). */
  private checkRunning(): void {
    if (this.stopping) throw errors.stopped();
  }

  /** The node that owns the bucket: this one unless a cluster routes it elsewhere. Throws NO_ROUTE. */
  private owner(bucket: string): NodeHandle {
    return this.cluster ? this.cluster.owner(bucket) : this.local;
  }

  create(bucket: string): Promise<void> {
    return attempt(() => {
      this.checkRunning();
      checkBucket(bucket);
      return this.owner(bucket).create(bucket);
    });
  }

  put(bucket: string, key: string, value: string, options?: PutOptions): Promise<void> {
    if (options?.ttlMs === undefined) return this.promise(bucket, { kind: 'put', key, value }) as Promise<void>;
    return attempt(() => this.promise(bucket, { kind: 'put', key, value, expiresAt: deadlineIn(options.ttlMs!, 'ttlMs') }) as Promise<void>);
  }

  expire(bucket: string, key: string, ms: number): Promise<boolean> {
    return attempt(() => this.promise(bucket, { kind: 'expire', key, expiresAt: ms <= 0 ? 1 : deadlineIn(ms, 'ms') }) as Promise<boolean>);
  }

  persist(bucket: string, key: string): Promise<boolean> {
    return this.promise(bucket, { kind: 'expire', key, expiresAt: 0 }) as Promise<boolean>;
  }

  ttl(bucket: string, key: string): Promise<number> {
    return this.promise(bucket, { kind: 'ttl', key }) as Promise<number>;
  }

  get(bucket: string, key: string): Promise<string | undefined> {
    return this.promise(bucket, { kind: 'get', key }) as Promise<string | undefined>;
  }

  delete(bucket: string, key: string): Promise<string | undefined> {
    return this.promise(bucket, { kind: 'delete', key }) as Promise<string | undefined>;
  }

  has(bucket: string, key?: string): Promise<boolean> {
    if (key !== undefined) return this.promise(bucket, { kind: 'has', key }) as Promise<boolean>;
    return attempt(() => {
      this.checkRunning();
      checkBucket(bucket);
      return Promise.resolve(this.owner(bucket).exists(bucket));
    });
  }

  drop(bucket: string): Promise<void> {
    return attempt(() => {
      this.checkRunning();
      checkBucket(bucket);
      return this.owner(bucket).drop(bucket);
    });
  }

  clear(bucket: string): Promise<number> {
    return this.promise(bucket, { kind: 'clear' }) as Promise<number>;
  }

  size(bucket: string): Promise<number> {
    return this.promise(bucket, { kind: 'size' }) as Promise<number>;
  }

  keys(bucket: string, options: KeyScanOptions = {}): Promise<KeyPage> {
    const { cursor = 0, count = defaultScanCount, match } = options;
    return this.promise(bucket, { kind: 'keys', cursor, count, ...(match === undefined ? {} : { match }) }) as Promise<KeyPage>;
  }

  async *entries(bucket: string, options: Omit<KeyScanOptions, 'cursor'> = {}): AsyncIterableIterator<[string, string]> {
    let cursor = 0;
    do {
      const page = await this.keys(bucket, { ...options, cursor });
      const values = await this.getMany(bucket, page.keys);
      for (let index = 0; index < page.keys.length; index++) {
        // A key deleted between the two reads is skipped.
        if (values[index] !== undefined) yield [page.keys[index]!, values[index]!];
      }
      cursor = page.cursor;
    } while (cursor !== 0);
  }

  async getMany(bucket: string, keys: readonly string[]): Promise<Array<string | undefined>> {
    const values = (await this.promise(bucket, { kind: 'getMany', keys: [...keys] })) as Array<string | null>;
    return values.map((value) => value ?? undefined);
  }

  putMany(bucket: string, entries: Iterable<readonly [string, string]> | Record<string, string>): Promise<void> {
    const pairs = Symbol.iterator in entries ? [...(entries as Iterable<readonly [string, string]>)] : Object.entries(entries);
    return this.promise(bucket, { kind: 'putMany', entries: pairs.map(([key, value]) => [key, value]) }) as Promise<void>;
  }

  async buckets(): Promise<string[]> {
    this.checkRunning();
    return this.cluster ? this.cluster.buckets() : this.local.buckets();
  }

  crashBucket(bucket: string, reason = 'crashBucket was called'): Promise<void> {
    return this.promise(bucket, { kind: 'crash', reason }) as Promise<void>;
  }

  submit(bucket: string, op: BucketOp, settle: Settle): void {
    let owner: NodeHandle;
    try {
      this.checkRunning();
      checkOp(bucket, op);
      owner = this.owner(bucket);
    } catch (error) {
      return settleSafely(settle, failed(toErrorData(error)));
    }
    owner.submit(bucket, op, settle);
  }

  async tree(): Promise<NodeTree> {
    this.checkRunning();
    return this.local.tree();
  }

  async clusterTree(): Promise<ClusterTree> {
    this.checkRunning();
    return this.cluster ? this.cluster.tree() : { nodes: [{ ...this.local.tree(), reachable: true }] };
  }

  clusterStatus(): ClusterStatus | null {
    return this.cluster ? { address: this.cluster.address(), peers: this.cluster.peers() } : null;
  }

  stop(): Promise<void> {
    // Peers first, so no request from them reaches actors that are stopping.
    // A second stop() waits for the first.
    this.stopping ??= (async () => {
      await this.cluster?.stop();
      await this.local.stop();
    })();
    return this.stopping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** The promise form of `submit`. */
  private promise(bucket: string, op: BucketOp): Promise<OpValue> {
    return new Promise((resolve, reject) =>
      this.submit(bucket, op, (outcome) => (outcome.ok ? resolve(outcome.value) : reject(KvError.fromData(outcome.error)))),
    );
  }
}

/** The absolute deadline `ms` from now (the entry node's clock); throws BAD_REQUEST unless `ms` is a positive integer. */
function deadlineIn(ms: number, what: string): number {
  if (!Number.isSafeInteger(ms) || ms < 1) throw new KvError('BAD_REQUEST', `${what} must be a positive integer of milliseconds, got ${String(ms)}`);
  return wallNow() + ms;
}

/** Keys per page of a scan when the caller does not say. */
const defaultScanCount = 100;

/** Runs `body`, turning a synchronous throw (a failed argument check) into a rejection. */
function attempt<T>(body: () => Promise<T>): Promise<T> {
  try {
    return body();
  } catch (error) {
    return Promise.reject(error);
  }
}
