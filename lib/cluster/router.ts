// Which nodes hold a bucket (the Elixir guide's KV.Router): a table of inclusive byte
// ranges of the bucket name's first byte (`a-m=foo`, or `a-m=foo,bar` for a
// primary and its replica), or, when no table is given, rendezvous hashing
// over every node (the top R scores). The result is the bucket's preference
// list: R distinct nodes, the preferred primary first. Pure: no actors, no sockets.

import { KvError } from '../errors';
import { clusterErrors } from './errors';
import { isNodeName, maxNodeNameLength } from './handshake';

/** One row of the routing table: names whose first byte is in from..to go to `nodes`. */
export interface Route {
  /** First byte of the range, inclusive (0-255). */
  from: number;
  /** Last byte of the range, inclusive (0-255). */
  to: number;
  /** The nodes that hold the range, preferred primary first; distinct. */
  nodes: readonly string[];
}

/** A Route as the library accepts it: one node, or a list. */
export type RouteOption = { from: number; to: number; node: string } | { from: number; to: number; nodes: readonly string[] };

/** Maps a bucket name to its owner's node name; throws NO_ROUTE when none covers it. */
export type Router = (bucket: string) => string;

/** Maps a bucket name to its preference list (R distinct nodes, primary first); throws NO_ROUTE. */
export type Preferences = (bucket: string) => readonly string[];

/**
 * Parses `a-m=foo` (a range), `x=bar` (one byte) or `0x80-0xff=baz` (bytes in
 * hex, for names that start with non-ASCII UTF-8); the nodes may be a list,
 * `a-m=foo,bar`, primary first. Throws BAD_REQUEST.
 */
export function parseRoute(text: string): Route {
  const match = /^(.+)=([^=]+)$/.exec(text);
  if (!match) throw badRoute(text, 'expected RANGE=NODE, as in a-m=foo');
  const [from, to] = splitRange(match[1]!, text);
  const fromByte = parseByte(from, text);
  const toByte = to === undefined ? fromByte : parseByte(to, text);
  if (fromByte > toByte) throw badRoute(text, 'the range ends before it starts');
  const nodes = match[2]!.split(',');
  if (!nodes.every(isNodeName)) throw badRoute(text, `a node name must be 1-${maxNodeNameLength} letters, digits or _.@:-`);
  if (new Set(nodes).size < nodes.length) throw badRoute(text, 'a node is listed twice');
  return { from: fromByte, to: toByte, nodes };
}

/** A routing-table row given as text (parseRoute) or as an object, checked; throws BAD_REQUEST. */
export function toRoute(route: string | RouteOption): Route {
  if (typeof route === 'string') return parseRoute(route);
  const { from, to, node, nodes = node === undefined ? undefined : [node] } = (route ?? {}) as { from?: number; to?: number; node?: string; nodes?: readonly string[] };
  const isByte = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 255;
  const isList = Array.isArray(nodes) && nodes.length > 0 && nodes.every(isNodeName) && new Set(nodes).size === nodes.length;
  if (!isByte(from) || !isByte(to) || from > to || !isList) {
    throw new KvError('BAD_REQUEST', `route ${JSON.stringify(route)} in \`cluster.routes\` must be { from, to, node } or { from, to, nodes } with bytes 0-255, from <= to, and distinct node names`);
  }
  return { from, to, nodes: [...nodes] };
}

/** Throws BAD_REQUEST unless every row routes to `replicas` or more of `nodes` (this node or a peer). */
export function checkRouteNodes(routes: readonly Route[], nodes: readonly string[], replicas = 1): void {
  for (const route of routes) {
    for (const node of route.nodes) {
      if (!nodes.includes(node)) throw new KvError('BAD_REQUEST', `route to unknown node ${node}: it is neither this node nor a peer`);
    }
    if (route.nodes.length < replicas) {
      throw new KvError('BAD_REQUEST', `route ${formatRoute(route)} lists ${route.nodes.length} node(s), but each bucket has ${replicas} copies (replicas): list at least ${replicas}`);
    }
  }
}

/** A route as its row would be written: a-m=foo,bar. */
export function formatRoute(route: Route): string {
  const byte = (value: number): string => (value > 0x20 && value < 0x7f ? String.fromCharCode(value) : `0x${value.toString(16).padStart(2, '0')}`);
  const range = route.from === route.to ? byte(route.from) : `${byte(route.from)}-${byte(route.to)}`;
  return `${range}=${route.nodes.join(',')}`;
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
  return primaryOf(rangePreferences(routes, 1));
}

/** Preference lists from a table: the first `replicas` nodes of the first row that holds the first byte. */
export function rangePreferences(routes: readonly Route[], replicas: number): Preferences {
  // 256 entries, filled once: a lookup is one array index.
  const lists: Array<readonly string[] | undefined> = new Array(256).fill(undefined);
  for (const route of [...routes].reverse()) lists.fill(route.nodes.slice(0, replicas), route.from, route.to + 1);
  return (bucket) => {
    const list = lists[firstByte(bucket)];
    if (list === undefined) throw clusterErrors.noRoute(bucket);
    return list;
  };
}

/**
 * Rendezvous (highest random weight) hashing: each bucket goes to the node with
 * the highest hash of (node, bucket). Adding a node moves only the buckets it
 * wins; removing one moves only the buckets it had.
 */
export function rendezvousRouter(nodes: readonly string[]): Router {
  return primaryOf(rendezvousPreferences(nodes, 1));
}

/**
 * The top `replicas` nodes by rendezvous score, highest first. Adding a node
 * changes only the lists it enters (it displaces the last of those); the
 * order of the others is unchanged.
 */
export function rendezvousPreferences(nodes: readonly string[], replicas: number): Preferences {
  if (nodes.length === 0) throw new KvError('BAD_REQUEST', 'rendezvous hashing needs at least one node');
  if (replicas > nodes.length) throw new KvError('BAD_REQUEST', `each bucket has ${replicas} copies (replicas), but the cluster has only ${nodes.length} node(s)`);
  const seeds = nodes.map((node) => ({ node, seed: hashString(node, 0x811c9dc5) }));
  if (replicas === 1) return (bucket) => [topScore(seeds, bucket)];
  return (bucket) =>
    seeds
      .map(({ node, seed }) => ({ node, score: hashString(bucket, seed) }))
      .sort((a, b) => b.score - a.score || (a.node < b.node ? -1 : 1))
      .slice(0, replicas)
      .map(({ node }) => node);
}

/** The node with the highest score for `bucket` (ties: the smaller name), without sorting. */
function topScore(seeds: ReadonlyArray<{ node: string; seed: number }>, bucket: string): string {
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

/** The preference lists for a cluster: the table if one is given (every row naming known nodes, enough of them), else rendezvous. */
export function makePreferences(routes: readonly Route[], nodes: readonly string[], replicas = 1): Preferences {
  if (routes.length === 0) return rendezvousPreferences(nodes, replicas);
  checkRouteNodes(routes, nodes, replicas);
  return rangePreferences(routes, replicas);
}

/** The router for a cluster: each bucket's preferred primary. */
export function makeRouter(routes: readonly Route[], nodes: readonly string[]): Router {
  return primaryOf(makePreferences(routes, nodes, 1));
}

function primaryOf(preferences: Preferences): Router {
  return (bucket) => preferences(bucket)[0]!;
}
