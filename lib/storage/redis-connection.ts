// How the Redis backend creates, configures and connects its ioredis client so
// that no call hangs and nothing piles up while Redis is away.

import type { Redis, RedisOptions } from 'ioredis';

/**
 * A new client for `url` (not yet connected: see lazyConnect below). ioredis
 * is required here, on first use, and only type-imported elsewhere, so that a
 * store without Redis never loads it: it would add ~75 ms to every require.
 */
export function createRedisClient(url: string, commandTimeoutMs: number): Redis {
  const ioredis = require('ioredis') as typeof import('ioredis');
  return new ioredis.Redis(url, redisClientOptions(commandTimeoutMs));
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

/** Resolves once `client` can take commands; rejects after `timeoutMs`. */
export async function connectRedis(client: Redis, timeoutMs: number): Promise<void> {
  const status = client.status as string | undefined;
  if (status === undefined || status === 'ready') return; // ready, or a mock without a status
  let timer: NodeJS.Timeout | undefined;
  let onReady = (): void => {};
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    client.once('ready', onReady);
  });
  try {
    if (status === 'wait') client.connect().catch(() => {}); // errors: the retry strategy reconnects
    await ready;
  } finally {
    clearTimeout(timer);
    client.off('ready', onReady);
  }
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
