// What changed between two pictures, as the events the page applies: a
// bucket's new state, a bucket gone, a node's new state. Pure, tested as a
// table. Key counts and mailbox depths move with every call, so they alone
// are no change: the page reads them from /api/tree.

import type { Observed, ObservedBucket, ObservedNode } from './observed';

/** One change, as an event name and its data. */
export type Change =
  | { event: 'bucket'; data: ObservedBucket }
  | { event: 'bucketRemoved'; data: { node: string; name: string } }
  | { event: 'node'; data: ObservedNode }
  | { event: 'nodeRemoved'; data: { node: string } };

/**
 * The changes from `before` to `after`. A bucket of a node that became
 * unreachable is not reported removed: the node's event says its buckets are
 * unknown now.
 */
export function changesBetween(before: Observed, after: Observed): Change[] {
  const changes: Change[] = [];
  const oldNodes = new Map(before.nodes.map((node) => [node.node, node]));
  for (const node of after.nodes) {
    const old = oldNodes.get(node.node);
    if (!old || !sameNode(old, node)) changes.push({ event: 'node', data: node });
    oldNodes.delete(node.node);
  }
  for (const gone of oldNodes.keys()) changes.push({ event: 'nodeRemoved', data: { node: gone } });
  const reachable = new Set(after.nodes.filter((node) => node.reachable).map((node) => node.node));
  const oldBuckets = new Map(before.buckets.map((bucket) => [bucketKey(bucket), bucket]));
  for (const bucket of after.buckets) {
    const key = bucketKey(bucket);
    const old = oldBuckets.get(key);
    if (!old || !sameBucket(old, bucket)) changes.push({ event: 'bucket', data: bucket });
    oldBuckets.delete(key);
  }
  for (const gone of oldBuckets.values()) {
    if (reachable.has(gone.node)) changes.push({ event: 'bucketRemoved', data: { node: gone.node, name: gone.name } });
  }
  return changes;
}

function bucketKey(bucket: ObservedBucket): string {
  return `${bucket.node}\u0000${bucket.name}`;
}

function sameBucket(a: ObservedBucket, b: ObservedBucket): boolean {
  return a.status === b.status && a.restarts === b.restarts && a.lastCrash === b.lastCrash && a.lastCrashAt === b.lastCrashAt && a.supervisor === b.supervisor;
}

function sameNode(a: ObservedNode, b: ObservedNode): boolean {
  return a.reachable === b.reachable && a.reason === b.reason && a.storage === b.storage && JSON.stringify(a.links) === JSON.stringify(b.links) && a.supervisors.join() === b.supervisors.join();
}
