// What the observer shows (Erlang's Observer, as the Elixir guide uses it):
// every node's supervision tree and this node's links, as plain JSON. Pure:
// built from clusterTree() and clusterStatus(), tested as a table.

import type { ClusterTree } from '../../cluster/cluster';
import type { ClusterStatus } from '../../store';

/** A bucket as the page shows it: 'restarting' while a crash is recent (within the restart window), failed once supervision gave up. */
export type ObservedStatus = 'running' | 'restarting' | 'failed';

export interface ObservedBucket {
  node: string;
  name: string;
  supervisor: string;
  status: ObservedStatus;
  restarts: number;
  lastCrash: string | null;
  /** Epoch ms. */
  lastCrashAt: number | null;
  keys: number;
  /** Operations waiting for it; null when its node does not say. */
  mailbox: number | null;
}

/** A node and, for this node, its links to its peers. */
export interface ObservedNode {
  node: string;
  /** The node the observer runs on. */
  self: boolean;
  reachable: boolean;
  /** Why it could not be asked, when unreachable. */
  reason: string | null;
  storage: string | null;
  supervisors: string[];
  /** This node's link to each peer ('up', 'dialing', 'down'); empty for the others. */
  links: Record<string, string>;
}

/** The whole picture at one moment. */
export interface Observed {
  /** The node the observer runs on. */
  self: string;
  /** When it was taken (epoch ms). */
  at: number;
  nodes: ObservedNode[];
  /** Every bucket of every reachable node, by node then name. */
  buckets: ObservedBucket[];
}

/** The picture from a cluster tree and this node's links; a crash within `restartingMs` of `now` counts as restarting. */
export function observe(self: string, tree: ClusterTree, status: ClusterStatus | null, now: number, restartingMs: number): Observed {
  const nodes: ObservedNode[] = [];
  const buckets: ObservedBucket[] = [];
  for (const entry of tree.nodes) {
    const isSelf = entry.node === self;
    const links = isSelf && status ? { ...status.peers } : {};
    if (!entry.reachable) {
      nodes.push({ node: entry.node, self: isSelf, reachable: false, reason: entry.reason, storage: null, supervisors: [], links });
      continue;
    }
    nodes.push({ node: entry.node, self: isSelf, reachable: true, reason: null, storage: entry.storage, supervisors: [...entry.supervisors], links });
    for (const bucket of entry.buckets) {
      const lastCrashAt = bucket.lastCrashAt ?? null;
      const recent = lastCrashAt !== null && now - lastCrashAt < restartingMs;
      buckets.push({
        node: entry.node,
        name: bucket.name,
        supervisor: bucket.supervisor,
        status: bucket.status === 'failed' ? 'failed' : recent ? 'restarting' : 'running',
        restarts: bucket.restarts,
        lastCrash: bucket.lastCrash,
        lastCrashAt,
        keys: bucket.keys,
        mailbox: bucket.mailbox ?? null,
      });
    }
  }
  return { self, at: now, nodes, buckets };
}
