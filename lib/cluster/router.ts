// Which node owns a bucket (the Elixir guide's KV.Router): a table of inclusive byte
// ranges of the bucket name's first byte (`a-m=foo`), or, when no table is
// given, rendezvous hashing over every node. Pure: no actors, no sockets.

import { KvError } from '../errors';
import { clusterErrors } from './errors';
import { isNodeName, maxNodeNameLength } from './handshake';

/** One row of the routing table: names whose first byte is in from..to go to `node`. */
export interface Route {
  /** First byte of the range, inclusive (0-255). */
  from: number;
  /** Last byte of the range, inclusive (0-255). */
  to: number;
  /** The node that owns the range. */
  node: string;
}

/** Maps a bucket name to its owner's node name; throws NO_ROUTE when none covers it. */
export type Router = (bucket: string) => string;

/**
 * Parses `a-m=foo` (a range), `x=bar` (one byte) or `0x80-0xff=baz` (bytes in
 * hex, for names that start with non-ASCII UTF-8). Throws BAD_REQUEST.
 */
export function parseRoute(text: string): Route {
  const match = /^(.+)=([^=]+)$/.exec(text);
  if (!match) throw badRoute(text, 'expected RANGE=NODE, as in a-m=foo');
  const [from, to] = splitRange(match[1]!, text);
  const fromByte = parseByte(from, text);
  const toByte = to === undefined ? fromByte : parseByte(to, text);
  if (fromByte > toByte) throw badRoute(text, 'the range ends before it starts');
  if (!isNodeName(match[2])) throw badRoute(text, `the node name must be 1-${maxNodeNameLength} letters, digits or _.@:-`);
  return { from: fromByte, to: toByte, node: match[2]! };
}

/** A routing-table row given as text (parseRoute) or as a Route, checked; throws BAD_REQUEST. */
export function toRoute(route: string | Route): Route {
  if (typeof route === 'string') return parseRoute(route);
  const { from, to, node } = (route ?? {}) as Partial<Route>;
  const isByte = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 255;
  if (!isByte(from) || !isByte(to) || from > to || !isNodeName(node)) {
    throw new KvError('BAD_REQUEST', `route ${JSON.stringify(route)} in \`cluster.routes\` must be { from, to, node } with bytes 0-255, from <= to, and a node name`);
  }
  return { from, to, node };
}

/** Throws BAD_REQUEST unless every row routes to one of `nodes` (this node or a peer). */
export function checkRouteNodes(routes: readonly Route[], nodes: readonly string[]): void {
  for (const route of routes) {
    if (!nodes.includes(route.node)) throw new KvError('BAD_REQUEST', `route to unknown node ${route.node}: it is neither this node nor a peer`);
  }
}

function splitRange(range: string, text: string): [string, string | undefined] {
  if (range.length === 1) return [range, undefined];
  const hex = /^(0x[0-9a-f]{2})(?:-(0x[0-9a-f]{2}))?$/i.exec(range);
  if (hex) return [hex[1]!, hex[2]];
  if (range.length === 3 && range[1] === '-') return [range[0]!, range[2]!];
  throw badRoute(text, 'a range is one byte (x), two bytes joined by a dash (a-m), or hex (0x80-0xff)');
}

function parseByte(token: string, text: string): number {
  if (token.length === 1) {
    const code = token.charCodeAt(0);
    if (code > 0x7e || code < 0x21) throw badRoute(text, 'a range byte is a printable ASCII character or hex (0x80)');
    return code;
  }
  return Number.parseInt(token.slice(2), 16);
}

function badRoute(text: string, why: string): KvError {
  return new KvError('BAD_REQUEST', `bad route ${JSON.stringify(text)}: ${why}`);
}

/** The name's first byte (names are binary strings), as Elixir's `<<first, _::binary>>`. */
export function firstByte(bucket: string): number {
  return bucket.charCodeAt(0) || 0;
}

/** A router over a table: the first row whose range holds the first byte wins, as the Elixir guide's Enum.find. */
export function rangeRouter(routes: readonly Route[]): Router {
  // 256 entries, filled once: a lookup is one array index.
  const owners: Array<string | undefined> = new Array(256).fill(undefined);
  for (const route of [...routes].reverse()) owners.fill(route.node, route.from, route.to + 1);
  return (bucket) => {
    const owner = owners[firstByte(bucket)];
    if (owner === undefined) throw clusterErrors.noRoute(bucket);
    return owner;
  };
}

/**
 * Rendezvous (highest random weight) hashing: each bucket goes to the node with
 * the highest hash of (node, bucket). Adding a node moves only the buckets it
 * wins; removing one moves only the buckets it had.
 */
export function rendezvousRouter(nodes: readonly string[]): Router {
  if (nodes.length === 0) throw new KvError('BAD_REQUEST', 'rendezvous hashing needs at least one node');
  const seeds = nodes.map((node) => ({ node, seed: hashString(node, 0x811c9dc5) }));
  return (bucket) => {
    let best = seeds[0]!;
    let bestScore = -1;
    for (const candidate of seeds) {
      const score = hashString(bucket, candidate.seed);
      if (score > bestScore || (score === bestScore && candidate.node < best.node)) {
        best = candidate;
        bestScore = score;
      }
    }
    return best.node;
  };
}

/** FNV-1a over UTF-16 code units from `seed`, then murmur3's finaliser to spread the bits. */
export function hashString(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The router for a cluster: the table if one is given (every row naming a known node), else rendezvous. */
export function makeRouter(routes: readonly Route[], nodes: readonly string[]): Router {
  if (routes.length === 0) return rendezvousRouter(nodes);
  checkRouteNodes(routes, nodes);
  return rangeRouter(routes);
}
