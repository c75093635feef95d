// Every option of createStore() in one typed object, with its default in one place.

import type { Registry } from 'prom-client';
import type { SupervisionOptions } from './actors/restart-intensity';
import type { ClusterOptions } from './cluster/options';
import { silentLogger, type Logger } from './core/logger';
import { rejectUnknownKeys, requireDuration, requirePositiveInteger, stripUndefined } from './core/validate';
import { KvError } from './errors';
import type { StorageOption } from './storage/open-storage';

/** Options of `createStore()`; every field is optional. */
export interface StoreOptions {
  /**
   * This node's name, shown in `tree()` and used by the cluster.
   * @default 'local'
   */
  node?: string;
  /**
   * Where bucket tables live: 'memory' (lost when the process exits);
   * `{ type: 'file', dir, fsync }` for an append-only log in `dir` (see
   * FileStorageOptions); `{ type: 'redis', url | client, prefix }` for Redis
   * hashes (see RedisStorageOptions). docs/durability.md says what each can lose.
   * @default 'memory'
   */
  storage?: StorageOption;
  /**
   * Restart intensity per bucket.
   * @default 3 restarts in 5 s
   */
  supervision?: Partial<SupervisionOptions>;
  /**
   * How long a call may wait for its bucket before it rejects with TIMEOUT.
   * @default 5000 ms
   */
  callTimeoutMs?: number;
  /**
   * Bucket supervisors the buckets are spread over (keeps nact's per-child costs flat).
   * @default 16
   */
  bucketSupervisors?: number;
  /**
   * Where the store reports crashes, restarts and give-ups.
   * @default nowhere
   */
  logger?: Logger;
  /**
   * Join a cluster: peers, routes, secret (see ClusterOptions).
   * @default a single node, no network
   */
  cluster?: ClusterOptions;
  /**
   * A prom-client Registry to report this store's metrics on (calls by verb
   * and result, their latency, buckets, restarts, peer links; docs/observer.md).
   * Counting costs a few additions per call; prom-client runs only when scraped.
   * @default no metrics
   */
  metrics?: Registry;
}

/** Options with every default filled in. */
export interface ResolvedStoreOptions {
  node: string;
  storage: StorageOption;
  supervision: SupervisionOptions;
  callTimeoutMs: number;
  bucketSupervisors: number;
  logger: Logger;
  cluster?: ClusterOptions;
  metrics?: Registry;
}

export const defaultStoreOptions: ResolvedStoreOptions = {
  node: 'local',
  storage: 'memory',
  supervision: { maxRestarts: 3, withinMs: 5000 },
  callTimeoutMs: 5000,
  bucketSupervisors: 16,
  logger: silentLogger,
};

/** Every key StoreOptions has: the compiler keeps this list complete. */
const storeOptionKeys: Record<keyof StoreOptions, true> = {
  node: true,
  storage: true,
  supervision: true,
  callTimeoutMs: true,
  bucketSupervisors: true,
  logger: true,
  cluster: true,
  metrics: true,
};

const supervisionOptionKeys: Record<keyof SupervisionOptions, true> = { maxRestarts: true, withinMs: true };

/** Fills in defaults; throws a BAD_REQUEST KvError naming the option at fault. */
export function resolveStoreOptions(options: StoreOptions = {}): ResolvedStoreOptions {
  rejectUnknownKeys('', options, storeOptionKeys);
  if (options.supervision !== undefined) rejectUnknownKeys('supervision.', options.supervision, supervisionOptionKeys);
  const resolved: ResolvedStoreOptions = {
    ...defaultStoreOptions,
    ...stripUndefined(options),
    supervision: { ...defaultStoreOptions.supervision, ...stripUndefined(options.supervision ?? {}) },
  };
  requirePositiveInteger('supervision.maxRestarts', resolved.supervision.maxRestarts, true);
  requirePositiveInteger('supervision.withinMs', resolved.supervision.withinMs);
  requireDuration('callTimeoutMs', resolved.callTimeoutMs);
  requirePositiveInteger('bucketSupervisors', resolved.bucketSupervisors);
  if (resolved.metrics !== undefined && typeof (resolved.metrics as Partial<Registry>).registerMetric !== 'function') {
    throw new KvError('BAD_REQUEST', 'option `metrics` must be a prom-client Registry');
  }
  if (typeof resolved.node !== 'string' || resolved.node.length === 0) {
    throw new KvError('BAD_REQUEST', 'option `node` must be a non-empty string');
  }
  return resolved;
}
