// The observer's picture as text for a terminal (`actor-kv tree`, and the
// text protocol's TREE), drawn as the Elixir guide's Observer shows it (node,
// registry, bucket supervisors, buckets). Pure, tested as a table.

import type { Observed, ObservedBucket } from './observed';

/** The tree, one line per node, supervisor and bucket (supervisors without buckets left out). */
export function treeText(observed: Observed): string {
  const lines: string[] = [];
  for (const node of observed.nodes) {
    const about = [node.self ? 'this node' : '', node.storage ?? ''].filter(Boolean).join(', ');
    if (!node.reachable) {
      lines.push(`node ${node.node}${about ? ` (${about})` : ''}: unreachable: ${node.reason ?? 'no answer'}`);
      continue;
    }
    const links = Object.entries(node.links).map(([peer, state]) => `${peer} ${state}`);
    lines.push(`node ${node.node}${about ? ` (${about})` : ''}${links.length ? `, links: ${links.join(', ')}` : ''}`);
    const buckets = observed.buckets.filter((bucket) => bucket.node === node.node);
    lines.push(`└─ registry: ${node.supervisors.length} bucket supervisors, ${buckets.length} ${buckets.length === 1 ? 'bucket' : 'buckets'}`);
    const groups = node.supervisors.map((name) => ({ name, buckets: buckets.filter((bucket) => bucket.supervisor === name) })).filter((group) => group.buckets.length > 0);
    groups.forEach((group, groupIndex) => {
      const lastGroup = groupIndex === groups.length - 1;
      lines.push(`   ${lastGroup ? '└─' : '├─'} ${group.name}`);
      group.buckets.forEach((bucket, index) => lines.push(`   ${lastGroup ? '   ' : '│  '}${index === group.buckets.length - 1 ? '└─' : '├─'} ${bucketText(bucket)}`));
    });
  }
  return `${lines.join('\n')}\n`;
}

function bucketText(bucket: ObservedBucket): string {
  const crash = bucket.lastCrash === null ? '' : `, last crash: ${bucket.lastCrash}${bucket.lastCrashAt === null ? '' : ` at ${new Date(bucket.lastCrashAt).toISOString()}`}`;
  return `${bucket.name} [${bucket.status}] restarts ${bucket.restarts}, keys ${bucket.keys}${bucket.mailbox ? `, mailbox ${bucket.mailbox}` : ''}${crash}`;
}
