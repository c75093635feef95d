// INFO's text: Redis's sections that clients and tools read (server, clients,
// stats, keyspace), and a `supervision` section of our own (buckets, restarts,
// failed buckets, peers). Pure: the facts are gathered by the caller.

import type { NodeTree } from '../../core/tree';

export interface InfoFacts {
  version: string;
  node: string;
  port: number;
  uptimeSeconds: number;
  connectedClients: number;
  maxClients: number;
  connectionsReceived: number;
  commandsProcessed: number;
  rejectedConnections: number;
  /** Names in the keyspace: hashes (buckets) plus string keys. */
  keys: number;
  tree: NodeTree;
  /** Peer name to 'up', 'dialing' or 'down'; empty outside a cluster. */
  peers: Record<string, string>;
}

const sections = ['server', 'clients', 'stats', 'keyspace', 'supervision'] as const;
export type InfoSection = (typeof sections)[number];

/** The sections INFO's arguments ask for: none, `all`, `default` or `everything` give all of them; unknown names are skipped. */
export function sectionsAsked(args: readonly string[]): InfoSection[] {
  const asked = args.map((arg) => arg.toLowerCase());
  if (asked.length === 0 || asked.some((name) => name === 'all' || name === 'default' || name === 'everything')) return [...sections];
  return sections.filter((section) => asked.includes(section));
}

/** The INFO text of `wanted` sections, `\r\n` line ends, as Redis sends it. */
export function formatInfo(facts: InfoFacts, wanted: readonly InfoSection[]): string {
  const bodies: Record<InfoSection, () => Array<[string, string | number]>> = {
    server: () => [
      ['redis_version', '7.0.0'],
      ['actor_kv_version', facts.version],
      ['redis_mode', 'standalone'],
      ['actor_kv_node', facts.node],
      ['process_id', process.pid],
      ['tcp_port', facts.port],
      ['uptime_in_seconds', facts.uptimeSeconds],
    ],
    clients: () => [
      ['connected_clients', facts.connectedClients],
      ['maxclients', facts.maxClients],
    ],
    stats: () => [
      ['total_connections_received', facts.connectionsReceived],
      ['total_commands_processed', facts.commandsProcessed],
      ['rejected_connections', facts.rejectedConnections],
    ],
    keyspace: () => (facts.keys > 0 ? [['db0', `keys=${facts.keys},expires=0,avg_ttl=0`]] : []),
    supervision: () => {
      const buckets = facts.tree.buckets;
      const peers = Object.entries(facts.peers);
      return [
        ['storage', facts.tree.storage],
        ['buckets', buckets.length],
        ['bucket_restarts', buckets.reduce((sum, bucket) => sum + bucket.restarts, 0)],
        ['failed_buckets', buckets.filter((bucket) => bucket.status === 'failed').length],
        ['peers', peers.length],
        ['peers_up', peers.filter(([, state]) => state === 'up').length],
        ...peers.map(([name, state]): [string, string] => [`peer_${name}`, state]),
      ];
    },
  };
  const parts = wanted.map((section) => [`# ${section[0]!.toUpperCase()}${section.slice(1)}`, ...bodies[section]().map(([key, value]) => `${key}:${value}`)].join('\r\n'));
  return `${parts.join('\r\n\r\n')}\r\n`;
}
