// Options of the text server, with every default in one object.

import { getHeapStatistics } from 'node:v8';
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../core/logger';
import { isLoopback } from './access';
import { toBinary } from '../core/bytes';
import { words } from './parse';

const isOneWord = (binary: string): boolean => {
  const found = words(binary);
  return found.length === 1 && found[0] === binary;
};
import { rejectUnknownKeys, requireDuration, requirePort, requirePositiveInteger, stripUndefined } from '../core/validate';
import { KvError } from '../errors';
import { resolveRespOptions, type ResolvedRespOptions, type RespOptions } from './resp/options';

/** Options of `startServer()`; every field is optional. */
export interface ServerOptions {
  /**
   * TCP port to listen on; 0 picks a free one (read it back from `server.port`).
   * @default 4040
   */
  port?: number;
  /**
   * Address to listen on.
   * @default '127.0.0.1' (loopback only)
   */
  host?: string;
  /**
   * Longest request line in bytes, terminator excluded; a longer one gets `ERROR line too long` and a close.
   * @default 65536
   */
  maxLineBytes?: number;
  /**
   * Most clients at once; one more gets `ERROR max clients reached` and a close.
   * @default 10000
   */
  maxConnections?: number;
  /**
   * Unsent reply bytes past which the server stops reading from that client until it drains.
   * @default 1 MiB
   */
  outputSoftLimitBytes?: number;
  /**
   * Unsent reply bytes past which the client is disconnected.
   * @default 32 MiB
   */
  outputHardLimitBytes?: number;
  /**
   * Bytes all clients together may hold (input not yet cut into requests,
   * requests in flight, replies not yet sent). Past it, growing clients are
   * paused; a quarter past it, the biggest are disconnected first.
   * @default a quarter of the heap limit, at most 256 MiB
   */
  maxClientMemoryBytes?: number;
  /**
   * How long a started line may stay incomplete before the client is dropped; 0 = never.
   * @default 60000 ms
   */
  idleTimeoutMs?: number;
  /**
   * After the server ends a connection, how long it waits for the client to close before destroying it.
   * @default 2000 ms
   */
  closeTimeoutMs?: number;
  /**
   * The node's password: every client must `AUTH <password>` before any other
   * command. Never logged.
   * @default none
   */
  password?: string;
  /**
   * Protected mode: with no password and a listener bound beyond loopback,
   * clients from other addresses get an explanation and a close.
   * @default true
   */
  protectedMode?: boolean;
  /**
   * Which client addresses count as this machine's for protected mode. For
   * tests, which cannot connect from another machine.
   * @default loopback (127.0.0.0/8, ::1, ::ffff:127.x)
   */
  isLocalAddress?: (address: string) => boolean;
  /**
   * TLS on the client listener: the server's certificate and key (PEM).
   * @default plain TCP
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * A Redis-protocol (RESP2) listener beside the text server, on the same
   * store, with these limits and this logger (see docs/resp.md).
   * @default none
   */
  resp?: RespOptions;
  /**
   * Where the server reports refused, paused and dropped clients.
   * @default nowhere
   */
  logger?: Logger;
  /**
   * A prom-client Registry on which `actor_kv_connections{protocol="text"}` counts its clients.
   * @default no metrics
   */
  metrics?: Registry;
}

export type ResolvedServerOptions = Required<Omit<ServerOptions, 'tls' | 'password' | 'metrics' | 'resp'>> & Pick<ServerOptions, 'tls' | 'password' | 'metrics'> & { resp?: ResolvedRespOptions };

export const defaultServerOptions: ResolvedServerOptions = {
  port: 4040,
  host: '127.0.0.1',
  maxLineBytes: 64 * 1024,
  maxConnections: 10_000,
  outputSoftLimitBytes: 1024 * 1024,
  outputHardLimitBytes: 32 * 1024 * 1024,
  maxClientMemoryBytes: Math.min(256 * 1024 * 1024, Math.floor(getHeapStatistics().heap_size_limit / 4)),
  idleTimeoutMs: 60_000,
  closeTimeoutMs: 2_000,
  protectedMode: true,
  isLocalAddress: isLoopback,
  logger: silentLogger,
};

/** Fills in defaults; throws a BAD_REQUEST KvError naming the option at fault. */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  rejectUnknownKeys('', options, Object.fromEntries([...Object.keys(defaultServerOptions), 'tls', 'password', 'metrics', 'resp'].map((key) => [key, true])));
  if (options.password !== undefined && (typeof options.password !== 'string' || !isOneWord(toBinary(options.password)))) {
    // AUTH takes it as one word of a request line.
    throw new KvError('BAD_REQUEST', 'option `password` must be one word: no spaces or other whitespace');
  }
  if (options.tls !== undefined) {
    rejectUnknownKeys('tls.', options.tls, { cert: true, key: true });
    for (const key of ['cert', 'key'] as const) {
      const value = options.tls[key];
      if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw new KvError('BAD_REQUEST', `option \`tls.${key}\` must be PEM text or a Buffer`);
    }
  }
  const { resp, ...rest } = options;
  const resolved: ResolvedServerOptions = { ...defaultServerOptions, ...stripUndefined(rest), ...(resp === undefined ? {} : { resp: resolveRespOptions(resp) }) };
  requirePort('port', resolved.port);
  requirePositiveInteger('maxLineBytes', resolved.maxLineBytes);
  requirePositiveInteger('maxConnections', resolved.maxConnections);
  requirePositiveInteger('outputSoftLimitBytes', resolved.outputSoftLimitBytes);
  requirePositiveInteger('outputHardLimitBytes', resolved.outputHardLimitBytes);
  requirePositiveInteger('maxClientMemoryBytes', resolved.maxClientMemoryBytes);
  requireDuration('idleTimeoutMs', resolved.idleTimeoutMs, true);
  requireDuration('closeTimeoutMs', resolved.closeTimeoutMs);
  if (resolved.outputHardLimitBytes < resolved.outputSoftLimitBytes) {
    throw new KvError('BAD_REQUEST', 'option `outputHardLimitBytes` must be at least `outputSoftLimitBytes`');
  }
  if (typeof resolved.host !== 'string' || resolved.host === '') throw new KvError('BAD_REQUEST', 'option `host` must be a non-empty string');
  return resolved;
}
