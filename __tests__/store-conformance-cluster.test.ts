// The store conformance suite on two nodes in this process, entered through
// each: every bucket is local to one entry and remote to the other.

import { behavesLikeAStore } from './support/store-conformance';
import { startNodes, stopAll } from './support/cluster-nodes';

// The guide's table a-m=foo, n-z=bar, widened to every first byte so that
// names such as '$' and 'ünïcode' have an owner too.
const routes = ['0x00-0x6d=foo', '0x6e-0xff=bar'];
const ownerOf = (bucket: string): string => (bucket < 'n' ? 'foo' : 'bar');

for (const entry of ['foo', 'bar']) {
  behavesLikeAStore(`two nodes, entered through ${entry}`, async (options) => {
    const nodes = await startNodes(['foo', 'bar'], { ...options, cluster: { routes } });
    return { store: nodes.get(entry)!, cleanup: () => stopAll(nodes) };
  }, { node: entry, nodes: ['bar', 'foo'], ownerOf, storage: 'memory' });
}
