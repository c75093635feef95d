// The `cluster` option of createStore(), its defaults, and its validation (pure).

import { rejectUnknownKeys, requireDuration, requirePort } from '../core/validate';
import { KvError } from '../errors';
import type { BackoffOptions } from './backoff';
import { isNodeName, maxNodeNameLength } from './handshake';
import type { PeerAddress } from './peer';
import type { ClusterTlsOptions } from './tls';
import { checkRouteNodes, toRoute, type Route, type RouteOption } from './router';

/** A peer's address: 'host:port', `{ host, port }`, or null for a peer that only dials in. */
export type PeerAddressOption = string | { host?: string; port: number } | null;

/** How this node joins a cluster. */
export interface ClusterOptions {
  /** The shared secret every node of the cluster holds; it never crosses the wire. Required. */
  secret: string;
  /**
   * Where this node accepts its peers: a port, or `{ host, port }` (host default 127.0.0.1; port 0 picks one).
   * @default no listener, dial out only
   */
  listen?: number | { host?: string; port: number };
  /** The other nodes by name, each with its address (see PeerAddressOption). */
  peers?: Record<string, PeerAddressOption>;
  /**
   * The routing table, rows as 'a-m=foo' (or 'a-m=foo,bar': primary, then
   * replicas) or objects; first match wins.
   * @default rendezvous hashing over all nodes
   */
  routes?: Array<string | RouteOption>;
  /**
   * How many nodes hold each bucket (R): the primary and R-1 replicas, which
   * hold every acknowledged write (docs/replication.md).
   * @default 1
   */
  replicas?: number;
  /**
   * How long a request to another node may wait for its reply.
   * @default 2000 ms
   */
  requestTimeoutMs?: number;
  /**
   * How long a connection may take to connect and authenticate.
   * @default 2000 ms
   */
  handshakeTimeoutMs?: number;
  /**
   * The longest frame sent or accepted between nodes.
   * @default 64 MiB
   */
  maxFrameBytes?: number;
  /**
   * Bytes queued for a peer that does not read, past which its requests fail fast.
   * @default 64 MiB
   */
  maxBufferedBytes?: number;
  /**
   * Reconnect backoff.
   * @default from 100 ms, doubling, at most 2000 ms, with jitter
   */
  reconnect?: Partial<BackoffOptions>;
  /**
   * Mutual TLS between the nodes: this node's certificate and key, and the
   * cluster's CA (PEM). Each certificate must name its node (CN or a DNS
   * subject alternative name). Every node of a cluster sets it, or none.
   * @default plain TCP (frames after the handshake neither encrypted nor authenticated)
   */
  tls?: ClusterTlsOptions;
}

/** Cluster options with every default filled in. */
export interface ResolvedClusterOptions {
  secret: string;
  listen: PeerAddress | null;
  peers: Map<string, PeerAddress | null>;
  routes: Route[];
  replicas: number;
  requestTimeoutMs: number;
  handshakeTimeoutMs: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  reconnect: BackoffOptions;
  tls: ClusterTlsOptions | null;
}

const defaultHost = '127.0.0.1';
/** The shortest secret accepted: a dialer's proof can still be collected by whoever it dials, so the secret must resist guessing. */
export const minSecretBytes = 16;

export const defaultClusterOptions = {
  replicas: 1,
  requestTimeoutMs: 2000,
  handshakeTimeoutMs: 2000,
  maxFrameBytes: 64 * 1024 * 1024,
  maxBufferedBytes: 64 * 1024 * 1024,
  reconnect: { initialMs: 100, maxMs: 2000 },
} as const;

const bad = (message: string): KvError => new KvError('BAD_REQUEST', message);

/** Validates and fills in defaults for node `self`; throws BAD_REQUEST naming the option at fault. */
const clusterOptionKeys: Record<keyof ClusterOptions, true> = {
  secret: true,
  listen: true,
  peers: true,
  routes: true,
  replicas: true,
  requestTimeoutMs: true,
  handshakeTimeoutMs: true,
  maxFrameBytes: true,
  maxBufferedBytes: true,
  reconnect: true,
  tls: true,
};

const reconnectOptionKeys: Record<keyof BackoffOptions, true> = { initialMs: true, maxMs: true };

export function resolveClusterOptions(self: string, options: ClusterOptions): ResolvedClusterOptions {
  rejectUnknownKeys('cluster.', options, clusterOptionKeys);
  if (options.reconnect !== undefined) rejectUnknownKeys('cluster.reconnect.', options.reconnect, reconnectOptionKeys);
  if (!isNodeName(self)) throw bad(`option \`node\` must be 1-${maxNodeNameLength} letters, digits or _.@:- in a cluster, got ${JSON.stringify(self)}`);
  if (typeof options.secret !== 'string' || options.secret.length === 0) throw bad('option `cluster.secret` (--secret) is required: every node of a cluster shares it');
  const secretBytes = Buffer.byteLength(options.secret, 'utf8');
  if (secretBytes < minSecretBytes) throw bad(`option \`cluster.secret\` (--secret) must be at least ${minSecretBytes} bytes, got ${secretBytes}`);
  const peers = new Map<string, PeerAddress | null>();
  for (const [name, address] of Object.entries(options.peers ?? {})) {
    if (!isNodeName(name)) throw bad(`peer name ${JSON.stringify(name)} in \`cluster.peers\` must be 1-${maxNodeNameLength} letters, digits or _.@:-`);
    if (name === self) throw bad(`\`cluster.peers\` names this node (${self}) itself`);
    peers.set(name, parseAddress(address, `cluster.peers.${name}`));
  }
  const resolved: ResolvedClusterOptions = {
    secret: options.secret,
    listen: options.listen === undefined ? null : parseAddress(options.listen, 'cluster.listen'),
    peers,
    routes: (options.routes ?? []).map(toRoute),
    replicas: options.replicas ?? defaultClusterOptions.replicas,
    requestTimeoutMs: options.requestTimeoutMs ?? defaultClusterOptions.requestTimeoutMs,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? defaultClusterOptions.handshakeTimeoutMs,
    maxFrameBytes: options.maxFrameBytes ?? defaultClusterOptions.maxFrameBytes,
    maxBufferedBytes: options.maxBufferedBytes ?? defaultClusterOptions.maxBufferedBytes,
    reconnect: { ...defaultClusterOptions.reconnect, ...options.reconnect },
    tls: options.tls ?? null,
  };
  if (resolved.tls) {
    rejectUnknownKeys('cluster.tls.', resolved.tls, { cert: true, key: true, ca: true });
    for (const key of ['cert', 'key', 'ca'] as const) {
      const value = resolved.tls[key];
      if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw bad(`option \`cluster.tls.${key}\` must be PEM text or a Buffer`);
    }
  }
  positive('cluster.replicas', resolved.replicas);
  const nodes = [self, ...peers.keys()];
  if (resolved.replicas > nodes.length) throw bad(`option \`cluster.replicas\` is ${resolved.replicas}, but the cluster has only ${nodes.length} node(s)`);
  checkRouteNodes(resolved.routes, nodes, resolved.replicas);
  for (const key of ['maxFrameBytes', 'maxBufferedBytes'] as const) positive(`cluster.${key}`, resolved[key]);
  for (const key of ['requestTimeoutMs', 'handshakeTimeoutMs'] as const) requireDuration(`cluster.${key}`, resolved[key]);
  requireDuration('cluster.reconnect.initialMs', resolved.reconnect.initialMs);
  requireDuration('cluster.reconnect.maxMs', resolved.reconnect.maxMs);
  return resolved;
}

/** A Route object given through the library: the same bounds as a parsed row (bytes 0-255, from <= to, a node name). */
/** Parses 'host:port', '[::1]:port', a port, or `{ host, port }`; null stays null. */
export function parseAddress(value: PeerAddressOption | number, option: string): PeerAddress | null {
  if (value === null) return null;
  if (typeof value === 'number') return checkPort({ host: defaultHost, port: value }, option);
  if (typeof value === 'object') return checkPort({ host: value.host ?? defaultHost, port: value.port }, option);
  const match = typeof value === 'string' ? /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value) : null;
  if (!match) throw bad(`option \`${option}\` must be host:port, got ${JSON.stringify(value)}`);
  return checkPort({ host: match[1] ?? match[2]!, port: Number(match[3]) }, option);
}

function checkPort(address: PeerAddress, option: string): PeerAddress {
  requirePort(option, address.port);
  return address;
}

function positive(option: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw bad(`option \`${option}\` must be a positive integer, got ${String(value)}`);
}
