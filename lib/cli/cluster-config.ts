// The command line's cluster flags (config.ts) turned into createStore's
// `cluster` option, checked up front so a mistake is a usage error. Pure.

import type { Config } from './config';
import type { ClusterOptions } from '../cluster/options';
import { resolveClusterOptions } from '../cluster/options';
import { toErrorData } from '../errors';

/** The cluster option for `config` (undefined for a single node), or what is wrong with the flags. */
export function clusterOptionsFrom(config: Config): { cluster: ClusterOptions | undefined } | { error: string } {
  const { peer, route, clusterPort, clusterHost, secret, clusterTimeoutMs, node } = config;
  if (peer.length === 0 && route.length === 0 && clusterPort === undefined) return { cluster: undefined };
  if (!secret) return { error: '--secret (or ACTOR_KV_SECRET) is required with --peer, --route or --cluster-port' };
  try {
    const cluster: ClusterOptions = {
      secret,
      peers: peersFrom(peer),
      routes: route,
      requestTimeoutMs: clusterTimeoutMs,
      listen: clusterPort === undefined ? undefined : { host: clusterHost, port: portFrom(clusterPort) },
    };
    resolveClusterOptions(node, cluster);
    return { cluster };
  } catch (error) {
    return { error: toErrorData(error).message };
  }
}

/** `bar=127.0.0.1:5041` -> bar with that address; `bar` -> bar, which dials in. */
function peersFrom(flags: readonly string[]): Record<string, string | null> {
  const peers: Record<string, string | null> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    const name = at < 0 ? flag : flag.slice(0, at);
    if (Object.hasOwn(peers, name)) throw new Error(`--peer ${name} is given twice`);
    peers[name] = at < 0 ? null : flag.slice(at + 1);
  }
  return peers;
}

function portFrom(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`--cluster-port: ${JSON.stringify(text)} is not a port number`);
  return Number(text);
}
