// The Store: the library's API (the Elixir guide's KV module) as types, with a
// line of doc per member. store.ts implements it.

import type { EventEmitter } from 'node:events';
import type { ClusterTree } from './cluster/cluster';
import type { PeerAddress, PeerState } from './cluster/peer';
import type { StoreEventMap } from './core/events';
import type { BucketOp, KeyPage, Outcome } from './core/operations';
import type { NodeTree } from './core/tree';

/** Keys, values and bucket names as callers give them: text (taken as UTF-8) or bytes. */
export type Bytes = string | Buffer;

/**
 * A running store. Every method rejects with a KvError for a known condition.
 * It emits typed events (see StoreEventMap), and `await using` stops it.
 */
export interface Store extends EventEmitter<StoreEventMap>, AsyncDisposable {
  /** This node's name. */
  readonly node: string;
  /** Creates a bucket; idempotent. Revives a bucket that failed, with its data. */
  create(bucket: Bytes): Promise<void>;
  /** Sets `key` to `value` in `bucket`; with `ttlMs`, the key expires that long from now (a put without it keeps no old deadline). */
  put(bucket: Bytes, key: Bytes, value: Bytes, options?: PutOptions): Promise<void>;
  /** Makes `key` expire `ms` from now (0 or less: at once); resolves with whether the key exists. */
  expire(bucket: Bytes, key: Bytes, ms: number): Promise<boolean>;
  /** Removes the key's expiry; resolves with whether the key exists. */
  persist(bucket: Bytes, key: Bytes): Promise<boolean>;
  /** Milliseconds until `key` expires: -1 if it never does, -2 if there is no such key (Redis's PTTL). */
  ttl(bucket: Bytes, key: Bytes): Promise<number>;
  /** The value under `key` as text (its bytes decoded as UTF-8), or undefined. */
  get(bucket: Bytes, key: Bytes): Promise<string | undefined>;
  /** The value under `key`, its exact bytes, or undefined (ioredis's naming). */
  getBuffer(bucket: Bytes, key: Bytes): Promise<Buffer | undefined>;
  /** Removes `key`; resolves with the value it removed, or undefined. */
  delete(bucket: Bytes, key: Bytes): Promise<string | undefined>;
  /** Whether the bucket exists; with a key, whether the bucket holds it. */
  has(bucket: Bytes, key?: Bytes): Promise<boolean>;
  /** The names of the buckets, sorted, as text (UTF-8 decoded). */
  buckets(): Promise<string[]>;
  /** The names of the buckets, sorted by their bytes, as the exact bytes. */
  bucketsBuffer(): Promise<Buffer[]>;
  /** Removes the bucket with all its keys, durably, on its owner; NOT_FOUND if it does not exist. */
  drop(bucket: Bytes): Promise<void>;
  /** Removes every key of the bucket (it stays); resolves with how many there were. */
  clear(bucket: Bytes): Promise<number>;
  /** How many keys the bucket holds. */
  size(bucket: Bytes): Promise<number>;
  /**
   * One page of a cursor scan of the bucket's keys, as Redis's SCAN: start
   * with cursor 0, pass each page's cursor to get the next, stop when it is 0.
   * Safe while the bucket is written: a key present for the whole scan is
   * returned at least once (a page may hold fewer keys than `count`, even none).
   */
  keys(bucket: Bytes, options?: KeyScanOptions): Promise<KeyPage>;
  /** keys(), with each key as its exact bytes. */
  keysBuffer(bucket: Bytes, options?: KeyScanOptions): Promise<{ cursor: number; keys: Buffer[] }>;
  /** Every [key, value] pair of the bucket, a page at a time (keys() and getMany() underneath). */
  entries(bucket: Bytes, options?: Omit<KeyScanOptions, 'cursor'>): AsyncIterableIterator<[string, string]>;
  /** The values of `keys`, in order (undefined for a missing key), read in one step. */
  getMany(bucket: Bytes, keys: readonly Bytes[]): Promise<Array<string | undefined>>;
  /** Sets every entry in one step: stored all together, as one record, or not at all. */
  putMany(bucket: Bytes, entries: Iterable<readonly [Bytes, Bytes]> | Record<string, string>): Promise<void>;
  /**
   * The callback form of put/get/delete/has/crashBucket, for callers that issue
   * many operations at once (the text server): no promise per call. `settle` is
   * called exactly once with the outcome, possibly before `submit` returns (a
   * bad argument, an unknown bucket); `submit` itself never throws. Outcomes
   * are read-only and may be shared between calls. Bucket names, keys and
   * values here are binary strings, one character per byte (Node's 'latin1').
   * If `settle` throws, its error is rethrown on its own, as an uncaught
   * exception, and the other calls are settled all the same.
   */
  submit(bucket: string, op: BucketOp, settle: (outcome: Outcome) => void): void;
  /**
   * Fault injection: makes the bucket's actor throw; resolves once the crash
   * was handled. With replicas, `node` picks the copy whose actor crashes
   * (default: the primary's).
   */
  crashBucket(bucket: Bytes, reason?: string, options?: { node?: string }): Promise<void>;
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
