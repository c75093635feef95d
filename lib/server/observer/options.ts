// Options of the observer (startObserver), with every default in one object.

import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../../core/logger';
import { rejectUnknownKeys, requireDuration, requirePort, requirePositiveInteger, stripUndefined } from '../../core/validate';
import { KvError } from '../../errors';
import { isLoopback } from '../access';

/** Options of `startObserver()`; every field is optional. */
export interface ObserverOptions {
  /**
   * TCP port of the observer's HTTP server; 0 picks a free one (read it back from `observer.port`).
   * @default 4041
   */
  port?: number;
  /**
   * Address to listen on.
   * @default '127.0.0.1' (loopback only)
   */
  host?: string;
  /**
   * Lets clients beyond loopback use the crash and revive buttons, if they send it
   * (`Authorization: Bearer <password>`); compared in constant time, never logged.
   * @default none: actions from loopback only
   */
  password?: string;
  /**
   * The prom-client Registry served at /metrics (give the same one to createStore and startServer).
   * @default none: /metrics answers 404
   */
  metrics?: Registry;
  /**
   * How long after a crash a bucket shows as restarting rather than running (the restart window).
   * @default 5000 ms
   */
  restartingMs?: number;
  /**
   * While someone watches, how often the cluster's trees are read again (other nodes' changes).
   * @default 1000 ms
   */
  pollMs?: number;
  /**
   * How often an idle event stream gets a comment, so that nothing between times it out.
   * @default 15000 ms
   */
  heartbeatMs?: number;
  /**
   * Events kept for clients that reconnect with Last-Event-ID.
   * @default 1000
   */
  eventBuffer?: number;
  /**
   * Unsent bytes past which an event-stream client is dropped (it reconnects and catches up).
   * @default 1 MiB
   */
  maxClientBufferBytes?: number;
  /**
   * Event-stream clients at once; one more gets 503.
   * @default 100
   */
  maxClients?: number;
  /**
   * Which client addresses count as this machine's for the buttons. For tests,
   * which cannot connect from another machine.
   * @default loopback
   */
  isLocalAddress?: (address: string) => boolean;
  /**
   * Where the observer reports that it listens beyond loopback.
   * @default nowhere
   */
  logger?: Logger;
}

export type ResolvedObserverOptions = Required<Omit<ObserverOptions, 'password' | 'metrics'>> & Pick<ObserverOptions, 'password' | 'metrics'>;

export const defaultObserverOptions: ResolvedObserverOptions = {
  port: 4041,
  host: '127.0.0.1',
  restartingMs: 5000,
  pollMs: 1000,
  heartbeatMs: 15_000,
  eventBuffer: 1000,
  maxClientBufferBytes: 1024 * 1024,
  maxClients: 100,
  isLocalAddress: isLoopback,
  logger: silentLogger,
};

/** Fills in defaults; throws a BAD_REQUEST KvError naming the option at fault. */
export function resolveObserverOptions(options: ObserverOptions = {}): ResolvedObserverOptions {
  rejectUnknownKeys('', options, Object.fromEntries([...Object.keys(defaultObserverOptions), 'password', 'metrics'].map((key) => [key, true])));
  const resolved = { ...defaultObserverOptions, ...stripUndefined(options) };
  requirePort('port', resolved.port);
  requireDuration('restartingMs', resolved.restartingMs);
  requireDuration('pollMs', resolved.pollMs);
  requireDuration('heartbeatMs', resolved.heartbeatMs);
  requirePositiveInteger('eventBuffer', resolved.eventBuffer);
  requirePositiveInteger('maxClientBufferBytes', resolved.maxClientBufferBytes);
  requirePositiveInteger('maxClients', resolved.maxClients);
  if (typeof resolved.host !== 'string' || resolved.host === '') throw new KvError('BAD_REQUEST', 'option `host` must be a non-empty string');
  if (resolved.password !== undefined && (typeof resolved.password !== 'string' || resolved.password === '')) throw new KvError('BAD_REQUEST', 'option `password` must be a non-empty string');
  if (resolved.metrics !== undefined && typeof (resolved.metrics as Partial<Registry>).metrics !== 'function') throw new KvError('BAD_REQUEST', 'option `metrics` must be a prom-client Registry');
  return resolved;
}
