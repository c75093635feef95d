// Every option of createStore() in one typed object, with its default in one place.

import type { ClusterOptions } from './cluster/options';
import { KvError } from './errors';
import type { StorageOption } from './storage/open-storage';

/**
 * Structured log sink, shaped as pino's methods (fields first, then the message),
 * so `createStore({ logger: pino() })` works as it is. The library is silent unless given one.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Restart intensity, as OTP's MaxR/MaxT: more crashes than this in the window stop the bucket. */
export interface SupervisionOptions {
  /** Restarts allowed within `withinMs` before the bucket is stopped as failed. Default 3. */
  maxRestarts: number;
  /** The sliding window for `maxRestarts`, in milliseconds. Default 5000. */
  withinMs: number;
}

/** Options of `createStore()`; every field is optional. */
export interface StoreOptions {
  /** This node's name, shown in `tree()` and used by the cluster. Default 'local'. */
  node?: string;
  /**
   * Where bucket tables live. Default 'memory' (lost when the process exits);
   * `{ type: 'file', dir, fsync }` for an append-only log in `dir` ('always',
   * 'everysec' (default) or 'no'); `{ type: 'redis', url | client, prefix }`
   * for Redis hashes. See README "Durability" for what each can lose.
   */
  storage?: StorageOption;
  /** Restart intensity per bucket. Default: 3 restarts in 5 s. */
  supervision?: Partial<SupervisionOptions>;
  /** How long a call may wait for its bucket before it rejects with TIMEOUT. Default 5000 ms. */
  callTimeoutMs?: number;
  /** Bucket supervisors the buckets are spread over (keeps nact's per-child costs flat). Default 16. */
  bucketSupervisors?: number;
  /** Where the store reports crashes, restarts and give-ups. Default: nowhere. */
  logger?: Logger;
  /** Join a cluster: peers, routes, secret (see ClusterOptions). Default: a single node, no network. */
  cluster?: ClusterOptions;
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
}

const silent = (): void => {};

/** The logger used when none is given: says nothing. */
export const silentLogger: Logger = { debug: silent, info: silent, warn: silent, error: silent };

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
  if (typeof resolved.node !== 'string' || resolved.node.length === 0) {
    throw new KvError('BAD_REQUEST', 'option `node` must be a non-empty string');
  }
  return resolved;
}

/**
 * Throws BAD_REQUEST naming the first key of `options` that `known` lacks: a
 * misspelt option would otherwise be ignored and its default used in silence.
 */
export function rejectUnknownKeys(prefix: string, options: unknown, known: Readonly<Record<string, true>>): void {
  const what = prefix === '' ? 'options' : `option \`${prefix.slice(0, -1)}\``;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new KvError('BAD_REQUEST', `${what} must be an object`);
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(known, key)) throw new KvError('BAD_REQUEST', `unknown option \`${prefix}${key}\` (known: ${Object.keys(known).join(', ')})`);
  }
}

/** Throws a BAD_REQUEST KvError naming the option unless `value` is a positive (or, if allowed, zero) integer. */
export function requirePositiveInteger(name: string, value: number, zeroAllowed = false): void {
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
    throw new KvError('BAD_REQUEST', `option \`${name}\` must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, got ${String(value)}`);
  }
}

/** The longest delay Node's timers honour: a longer one fires after 1 ms. */
const maxTimerDelayMs = 2 ** 31 - 1;

/** A duration in milliseconds that a timer waits for: a (non-negative) integer a timer can honour. */
export function requireDuration(name: string, value: number, zeroAllowed = false): void {
  requirePositiveInteger(name, value, zeroAllowed);
  if (value > maxTimerDelayMs) throw new KvError('BAD_REQUEST', `option \`${name}\` must be at most ${maxTimerDelayMs} ms (about 24.8 days), got ${value}`);
}

/** A copy without the fields set to undefined, so they do not override defaults. */
export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
