// How the Redis backend creates, configures and connects its ioredis client so
// that no call hangs and nothing piles up while Redis is away.

import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** A client of one Redis server or of a Redis Cluster: the commands the storage sends are the same. */
export type RedisClient = Redis | Cluster;

/** A Redis Cluster node to start from: 'host:port' or its parts. */
export type ClusterNode = string | { host: string; port: number };

/**
 * TLS to Redis: the CA that signed its certificate (when not a public one),
 * and this node's certificate and key when Redis asks for one (its default,
 * `tls-auth-clients yes`). PEM text or bytes.
 */
export interface RedisTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** How the client proves itself and protects the connection: Redis's AUTH password, and TLS. */
export interface RedisCredentials {
  password?: string;
  /** For one server, a rediss:// URL turns TLS on and this adds to it; for a cluster, this turns it on. */
  tls?: RedisTls;
}

/**
 * A new client for `url` (not yet connected: see lazyConnect below). ioredis
 * is required here, on first use, and only type-imported elsewhere, so that a
 * store without Redis never loads it: it would add ~75 ms to every require.
 */
export function createRedisClient(url: string, commandTimeoutMs: number, credentials: RedisCredentials = {}): Redis {
  const ioredis = require('ioredis') as typeof import('ioredis');
  return new ioredis.Redis(url, { ...redisClientOptions(commandTimeoutMs), ...credentialOptions(credentials) });
}

/** ioredis's options for `credentials`, left out when not given. */
function credentialOptions({ password, tls }: RedisCredentials): RedisOptions {
  return { ...(password === undefined ? {} : { password }), ...(tls === undefined ? {} : { tls: { ...tls } }) };
}

/**
 * A new client of the Redis Cluster that `nodes` belong to (not yet
 * connected). The cluster-level settings follow the same rule as
 * redisClientOptions: fail fast, let the storage decide about retrying.
 * Redirections (MOVED, ASK) and a refresh of the slot map after a failover
 * are ioredis's, bounded by maxRedirections; the storage bounds each write by
 * its own deadline too.
 */
export function createRedisClusterClient(nodes: readonly ClusterNode[], commandTimeoutMs: number, credentials: RedisCredentials = {}): Cluster {
  const ioredis = require('ioredis') as typeof import('ioredis');
  const { retryStrategy, enableOfflineQueue, ...perNode } = redisClientOptions(commandTimeoutMs);
  const options: ClusterOptions = {
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy,
    lazyConnect: true,
    enableAutoPipelining: true,
    scaleReads: 'master',
    slotsRefreshTimeout: commandTimeoutMs,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 50,
    maxRedirections: 8,
    redisOptions: { ...perNode, ...credentialOptions(credentials) },
  };
  return new ioredis.Cluster(nodes.map(clusterNodeAddress), options);
}

function clusterNodeAddress(node: ClusterNode): { host: string; port: number } {
  if (typeof node !== 'string') return node;
  const parsed = parseHostPort(node);
  if (!parsed) throw new Error(`not host:port: ${node}`);
  return parsed;
}

/** 'host:port' or '[v6]:port' as its parts, or undefined. Pure. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

/** The masters to scan: every master of a cluster, or the one server. */
export function mastersOf(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/**
 * The client options, each chosen so an outage turns into a fast error:
 * 1. enableOfflineQueue false: a command sent while disconnected fails at
 *    once instead of waiting in memory for a reconnect that may never come.
 * 2. maxRetriesPerRequest 0: a command in flight when the connection drops
 *    fails at once; the caller, not ioredis, decides about retrying.
 * 3. commandTimeout: a Redis that is connected but silent (paused, overloaded)
 *    fails the command after this long, within the store's call timeout.
 * 4. connectTimeout: a connect attempt to a black hole gives up as quickly.
 * 5. retryStrategy: keep reconnecting, at most a second apart, so writes
 *    recover on their own when Redis returns.
 * 6. lazyConnect: the storage connects in open(), where it can report failure.
 * 7. enableAutoPipelining: the writes of many buckets in one event-loop turn
 *    leave in one packet (order per connection is kept).
 * 8. disconnectTimeout: after a failed start, ioredis's wait for its socket to
 *    close (2 s by default, a timer that keeps the process alive) is as short.
 */
export function redisClientOptions(commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    lazyConnect: true,
    enableAutoPipelining: true,
    disconnectTimeout: commandTimeoutMs,
  };
}

/**
 * Resolves once `client` can take commands; rejects after `timeoutMs`, with
 * the last error seen, or at once when Redis refuses the credentials (no
 * retry will change that).
 */
export async function connectRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  const status = client.status as string | undefined;
  if (status === undefined || status === 'ready') return; // ready, or a mock without a status
  let timer: NodeJS.Timeout | undefined;
  let onReady = (): void => {};
  let onError = (_error: Error): void => {};
  const ready = new Promise<void>((resolve, reject) => {
    let last: Error | undefined;
    onReady = resolve;
    onError = (error) => {
      last = error;
      if (refusedCredentials(error)) reject(error);
    };
    timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms${last ? ` (last error: ${last.message})` : ''}`)), timeoutMs);
    client.once('ready', onReady);
    client.on('error', onError);
  });
  try {
    if (status === 'wait') client.connect().catch(() => {}); // errors: the retry strategy reconnects
    await ready;
  } finally {
    clearTimeout(timer);
    client.off('ready', onReady);
    client.off('error', onError);
  }
}

/** Redis's answers to a missing or wrong password. */
function refusedCredentials(error: Error): boolean {
  return /^(NOAUTH|WRONGPASS)\b|invalid (username-)?password/i.test(error.message);
}

/**
 * Where `url` points, safe to show: scheme, host, port and database only. The
 * user name, the password and the query (ioredis reads `?password=` too) are
 * left out, since messages reach text clients and logs.
 */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'an unparsable URL';
  }
  const db = parsed.pathname === '/' ? '' : parsed.pathname;
  return `${parsed.protocol}//${parsed.host}${db}`;
}
