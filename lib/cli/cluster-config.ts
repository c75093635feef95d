// The command line's cluster flags (config.ts) turned into createStore's
// `cluster` option, checked up front so a mistake is a usage error that names
// the flag (or its environment variable). Pure.

import type { ClusterOptions } from '../cluster/options';
import { minSecretBytes, resolveClusterOptions } from '../cluster/options';
import { parseRoute } from '../cluster/router';
import { toErrorData } from '../errors';
import { sourceName, type Config, type Loaded } from './config';
import { inFlagTerms } from './messages';

/** Whether the flags make this node part of a cluster. */
export function isClustered(config: Config): boolean {
  return config.peer.length > 0 || config.route.length > 0 || config.clusterPort !== undefined;
}

/** The cluster option for these flags (undefined for a single node), or what is wrong with them. */
export function clusterOptionsFrom({ config, origin }: Loaded): { cluster: ClusterOptions | undefined } | { error: string } {
  if (!isClustered(config)) return { cluster: undefined };
  const { peer, route, clusterPort, clusterHost, secret, clusterTimeoutMs, replicas, node } = config;
  if (secret === undefined) return { error: '--secret (or ACTOR_KV_SECRET) is required with --peer, --route or --cluster-port' };
  const secretBytes = Buffer.byteLength(secret, 'utf8');
  if (secretBytes < minSecretBytes) return { error: `${sourceName('secret', origin)} must be at least ${minSecretBytes} bytes, got ${secretBytes}` };
  const peers = peersFrom(peer, node, sourceName('peer', origin));
  if (typeof peers === 'string') return { error: peers };
  for (const row of route) {
    for (const owner of parseRoute(row).nodes) { // its syntax was checked with the flag
      if (owner !== node && !Object.hasOwn(peers, owner)) {
        return { error: `${sourceName('route', origin)} ${row}: ${owner} is neither this node (${sourceName('node', origin)} ${node}) nor a peer (--peer)` };
      }
    }
  }
  const cluster: ClusterOptions = {
    secret,
    peers,
    routes: route,
    requestTimeoutMs: clusterTimeoutMs,
    replicas,
    ...(clusterPort === undefined ? {} : { listen: { host: clusterHost, port: clusterPort } }),
  };
  try {
    resolveClusterOptions(node, cluster); // anything the checks above missed, in the library's words
  } catch (error) {
    return { error: inFlagTerms(toErrorData(error).message) };
  }
  return { cluster };
}

/** `bar=127.0.0.1:5041` -> bar with that address; `bar` -> bar, which dials in. A message for a repeated name or this node's own. */
function peersFrom(flags: readonly string[], self: string, source: string): Record<string, string | null> | string {
  const peers: Record<string, string | null> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    const name = at < 0 ? flag : flag.slice(0, at);
    if (Object.hasOwn(peers, name)) return `${source} names ${name} twice`;
    if (name === self) return `${source} ${flag} names this node itself`;
    peers[name] = at < 0 ? null : flag.slice(at + 1);
  }
  return peers;
}
