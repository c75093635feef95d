// The Store: the library's API (the Elixir guide's KV module), and the place where a
// call is routed: to this node's actors, or, in a cluster, to the bucket's owner.

import { EventEmitter } from 'node:events';
import { LocalNode } from './actors/local-node';
import { Cluster, type ClusterTree } from './cluster/cluster';
import { resolveClusterOptions } from './cluster/options';
import { checkBucket, checkOp } from './core/arguments';
import { binaryToBuffer, binaryToText, toBinary } from './core/bytes';
import { wallNow } from './core/clock';
import { OperationCounts, turnNow } from './core/metrics';
import { registerStoreMetrics } from './core/store-metrics';
import type { EmitEvent, StoreEventMap } from './core/events';
import type { NodeHandle } from './core/node-handle';
import { failed, type BucketOp, type KeyPage, type OpValue, type Outcome } from './core/operations';
import { settleSafely, type Settle } from './core/settle';
import type { NodeTree } from './core/tree';
import { errors, KvError, toErrorData } from './errors';
import { resolveStoreOptions, type StoreOptions } from './options';
import type { Bytes, ClusterStatus, KeyScanOptions, PutOptions, Store } from './store-api';
import { createStorage } from './storage/open-storage';

export type { BucketOp, KeyPage, OpValue, Outcome } from './core/operations';
export type { Bytes, ClusterStatus, KeyScanOptions, PutOptions, Store } from './store-api';

/** Starts a store. With no options: one node named 'local', in memory. */
export async function createStore(options: StoreOptions = {}): Promise<Store> {
  const resolved = resolveStoreOptions(options);
  const clusterOptions = resolved.cluster && resolveClusterOptions(resolved.node, resolved.cluster);
  const storage = createStorage(resolved.storage, resolved);
  const store = new NodeStore(resolved.node);
  const counts = resolved.metrics && store.countInto(resolved.metrics);
  const local = await LocalNode.start({ ...resolved, ...(counts ? counts : {}) }, storage, store.emitSafely);
  if (!clusterOptions) return store.attach(local);
  try {
    const facts = { durable: storage.kind !== 'memory', dir: typeof resolved.storage === 'object' && 'type' in resolved.storage && resolved.storage.type === 'file' ? resolved.storage.dir : undefined };
    return store.attach(local, await Cluster.start(resolved.node, clusterOptions, local, resolved.logger, store.emitSafely, facts));
  } catch (error) {
    await local.stop();
    throw error;
  }
}

class NodeStore extends EventEmitter<StoreEventMap> implements Store {
  private stopping: Promise<void> | undefined;
  private local!: LocalNode;
  private cluster: Cluster | undefined;
  /** Set when the store reports metrics: every call is counted here. */
  private counts: OperationCounts | undefined;

  constructor(readonly node: string) {
    super();
  }

  /** Counts calls and supervision events, and registers the metrics that read them on `registry`; returns where the local node counts calls and storage flushes. */
  countInto(registry: NonNullable<StoreOptions['metrics']>): { calls: OperationCounts; flushes: OperationCounts } {
    const counts = new OperationCounts();
    const flushes = new OperationCounts();
    const supervision = { restarts: 0, failures: 0 };
    registerStoreMetrics(registry, {
      node: this.node,
      counts,
      flushes,
      supervision,
      tree: () => this.tree(),
      peers: () => this.clusterStatus()?.peers ?? {},
      roundTrips: async () => (this.cluster && !this.stopping ? this.cluster.roundTrips(pingTimeoutMs) : {}),
    });
    this.counts = counts;
    this.on('bucketRestarted', () => supervision.restarts++);
    this.on('bucketFailed', () => supervision.failures++);
    return { calls: counts, flushes };
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

  create(bucket: Bytes): Promise<void> {
    return this.counted('create', this.onBucket(bucket, (name, owner) => owner.create(name)));
  }

  put(bucket: Bytes, key: Bytes, value: Bytes, options?: PutOptions): Promise<void> {
    if (options?.ttlMs === undefined) return this.ask(bucket, { kind: 'put', key: bin(key), value: bin(value) }) as Promise<void>;
    return attempt(() => this.ask(bucket, { kind: 'put', key: bin(key), value: bin(value), expiresAt: deadlineIn(options.ttlMs!, 'ttlMs') }) as Promise<void>);
  }

  expire(bucket: Bytes, key: Bytes, ms: number): Promise<boolean> {
    return attempt(() => this.ask(bucket, { kind: 'expire', key: bin(key), expiresAt: ms <= 0 ? 1 : deadlineIn(ms, 'ms') }) as Promise<boolean>);
  }

  persist(bucket: Bytes, key: Bytes): Promise<boolean> {
    return this.ask(bucket, { kind: 'expire', key: bin(key), expiresAt: 0 }) as Promise<boolean>;
  }

  ttl(bucket: Bytes, key: Bytes): Promise<number> {
    return this.ask(bucket, { kind: 'ttl', key: bin(key) }) as Promise<number>;
  }

  async get(bucket: Bytes, key: Bytes): Promise<string | undefined> {
    return text((await this.ask(bucket, { kind: 'get', key: bin(key) })) as string | undefined);
  }

  async getBuffer(bucket: Bytes, key: Bytes): Promise<Buffer | undefined> {
    const value = (await this.ask(bucket, { kind: 'get', key: bin(key) })) as string | undefined;
    return value === undefined ? undefined : binaryToBuffer(value);
  }

  async delete(bucket: Bytes, key: Bytes): Promise<string | undefined> {
    return text((await this.ask(bucket, { kind: 'delete', key: bin(key) })) as string | undefined);
  }

  has(bucket: Bytes, key?: Bytes): Promise<boolean> {
    if (key !== undefined) return this.ask(bucket, { kind: 'has', key: bin(key) }) as Promise<boolean>;
    return this.onBucket(bucket, (name, owner) => Promise.resolve(owner.exists(name)));
  }

  drop(bucket: Bytes): Promise<void> {
    return this.counted('drop', this.onBucket(bucket, (name, owner) => owner.drop(name)));
  }

  /** `call`, counted in the metrics (if any) as a `verb`. */
  private counted<T>(verb: string, call: Promise<T>): Promise<T> {
    const counts = this.counts;
    if (!counts) return call;
    const started = turnNow();
    call.then(() => counts.record(verb, undefined, turnNow() - started), (error: unknown) => counts.record(verb, toErrorData(error).code, turnNow() - started));
    return call;
  }

  clear(bucket: Bytes): Promise<number> {
    return this.ask(bucket, { kind: 'clear' }) as Promise<number>;
  }

  size(bucket: Bytes): Promise<number> {
    return this.ask(bucket, { kind: 'size' }) as Promise<number>;
  }

  async keys(bucket: Bytes, options: KeyScanOptions = {}): Promise<KeyPage> {
    const page = await this.keyPage(bucket, options);
    return { cursor: page.cursor, keys: page.keys.map(binaryToText) };
  }

  async keysBuffer(bucket: Bytes, options: KeyScanOptions = {}): Promise<{ cursor: number; keys: Buffer[] }> {
    const page = await this.keyPage(bucket, options);
    return { cursor: page.cursor, keys: page.keys.map(binaryToBuffer) };
  }

  /** One page of keys, as binary strings. */
  private keyPage(bucket: Bytes, options: KeyScanOptions): Promise<KeyPage> {
    const { cursor = 0, count = defaultScanCount, match } = options;
    return this.ask(bucket, { kind: 'keys', cursor, count, ...(match === undefined ? {} : { match: bin(match) }) }) as Promise<KeyPage>;
  }

  async *entries(bucket: Bytes, options: Omit<KeyScanOptions, 'cursor'> = {}): AsyncIterableIterator<[string, string]> {
    let cursor = 0;
    do {
      const page = await this.keyPage(bucket, { ...options, cursor });
      const values = (await this.ask(bucket, { kind: 'getMany', keys: page.keys })) as Array<string | null>;
      for (let index = 0; index < page.keys.length; index++) {
        // A key deleted between the two reads is skipped.
        if (values[index] !== null) yield [binaryToText(page.keys[index]!), binaryToText(values[index]!)];
      }
      cursor = page.cursor;
    } while (cursor !== 0);
  }

  async getMany(bucket: Bytes, keys: readonly Bytes[]): Promise<Array<string | undefined>> {
    const values = (await this.ask(bucket, { kind: 'getMany', keys: Array.isArray(keys) ? keys.map(bin) : (keys as never) })) as Array<string | null>;
    return values.map((value) => (value === null ? undefined : binaryToText(value)));
  }

  putMany(bucket: Bytes, entries: Iterable<readonly [Bytes, Bytes]> | Record<string, string>): Promise<void> {
    return attempt(() => {
      if (typeof entries !== 'object' || entries === null) throw new KvError('BAD_REQUEST', `entries must be [key, value] pairs or an object, got ${entries === null ? 'null' : typeof entries}`);
      const pairs = Symbol.iterator in entries ? [...(entries as Iterable<readonly [Bytes, Bytes]>)] : Object.entries(entries);
      return this.ask(bucket, { kind: 'putMany', entries: pairs.map((pair) => (Array.isArray(pair) ? [bin(pair[0]), bin(pair[1])] : (pair as never))) }).then(() => undefined);
    });
  }

  async buckets(): Promise<string[]> {
    return (await this.bucketNames()).map(binaryToText);
  }

  async bucketsBuffer(): Promise<Buffer[]> {
    return (await this.bucketNames()).map(binaryToBuffer);
  }

  /** Every node's bucket names, as binary strings, sorted (by bytes: binary strings compare byte by byte). */
  private async bucketNames(): Promise<string[]> {
    this.checkRunning();
    return this.cluster ? this.cluster.buckets() : this.local.buckets();
  }

  crashBucket(bucket: Bytes, reason = 'crashBucket was called', options: { node?: string } = {}): Promise<void> {
    if (options.node === undefined) return this.ask(bucket, { kind: 'crash', reason }) as Promise<void>;
    const node = options.node;
    return attempt(async () => {
      const name = bin(bucket);
      checkBucket(name);
      const handle = node === this.node ? this.local : this.cluster?.node(node);
      if (!handle) throw new KvError('BAD_REQUEST', `no node ${node} in this cluster`);
      const outcome = await new Promise<Outcome>((resolve) => handle.submit(name, { kind: 'crash', reason }, resolve));
      if (!outcome.ok) throw KvError.fromData(outcome.error);
    });
  }

  submit(bucket: string, op: BucketOp, settle: Settle): void {
    let owner: NodeHandle;
    try {
      this.checkRunning();
      checkOp(bucket, op);
      owner = this.owner(bucket);
    } catch (error) {
      const data = toErrorData(error);
      this.counts?.record(op.kind, data.code, 0);
      return settleSafely(settle, failed(data));
    }
    // This node's buckets are counted by its batcher, a batch at a time; other owners' calls here.
    if (this.counts && owner !== this.local) settle = countedSettle(this.counts, op.kind, settle);
    owner.submit(bucket, op, settle);
  }

  async tree(): Promise<NodeTree> {
    this.checkRunning();
    return namesAsText(await (this.cluster?.selfTree() ?? this.local.tree()));
  }

  async clusterTree(): Promise<ClusterTree> {
    this.checkRunning();
    const tree = this.cluster ? await this.cluster.tree() : { nodes: [{ ...this.local.tree(), reachable: true as const }] };
    return { nodes: tree.nodes.map((node) => (node.reachable ? namesAsText(node) : node)) };
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

  /** The promise form of `submit`, for a bucket named by the caller (text or bytes). */
  private ask(bucket: Bytes, op: BucketOp): Promise<OpValue> {
    return new Promise((resolve, reject) =>
      this.submit(bin(bucket), op, (outcome) => (outcome.ok ? resolve(outcome.value) : reject(KvError.fromData(outcome.error)))),
    );
  }

  /** Runs a call on the bucket's owner node, once the store is running and the name is valid. */
  private onBucket<T>(bucket: Bytes, call: (name: string, owner: NodeHandle) => Promise<T>): Promise<T> {
    return attempt(() => {
      this.checkRunning();
      const name = bin(bucket);
      checkBucket(name);
      return call(name, this.owner(name));
    });
  }
}

/** `settle`, counting the outcome and its latency first. */
function countedSettle(counts: OperationCounts, verb: string, settle: Settle): Settle {
  const started = turnNow();
  return (outcome) => {
    counts.record(verb, outcome.ok ? undefined : outcome.error.code, turnNow() - started);
    settle(outcome);
  };
}

/** The binary form of a caller's key, value or name; anything else passes through for checkOp to name. */
function bin(input: Bytes): string {
  return typeof input === 'string' || Buffer.isBuffer(input) ? toBinary(input) : (input as string);
}

/** A stored value as the text callers get back (UTF-8). */
function text(value: string | undefined): string | undefined {
  return value === undefined ? undefined : binaryToText(value);
}

/** A tree with its bucket names as text. */
function namesAsText<T extends NodeTree>(tree: T): T {
  const buckets = tree.buckets.map((bucket) => ({ ...bucket, name: binaryToText(bucket.name) }));
  if (!tree.replication) return { ...tree, buckets };
  return { ...tree, buckets, replication: tree.replication.map((entry) => ({ ...entry, bucket: binaryToText(entry.bucket) })) };
}

/** The absolute deadline `ms` from now (the entry node's clock); throws BAD_REQUEST unless `ms` is a positive integer. */
function deadlineIn(ms: number, what: string): number {
  if (!Number.isSafeInteger(ms) || ms < 1) throw new KvError('BAD_REQUEST', `${what} must be a positive integer of milliseconds, got ${String(ms)}`);
  return wallNow() + ms;
}

/** How long a scrape waits for a peer's ping before leaving its round-trip time out. */
const pingTimeoutMs = 1000;

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
