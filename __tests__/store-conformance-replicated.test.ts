// The store conformance suite on three nodes in this process with two copies
// of each bucket (replicas: 2), entered through one of them: every call goes
// through its bucket's primary, which has the other copy apply each write
// before it answers.

import { rendezvousPreferences } from '../lib/cluster/router';
import { toBinary } from '../lib/core/bytes';
import { behavesLikeAStore } from './support/store-conformance';
import { startNodes, stopAll } from './support/cluster-nodes';

const nodes = ['bar', 'baz', 'foo'];
const placed = rendezvousPreferences(nodes, 2);
// Names are placed by their bytes, as the store holds them.
const preferences = (bucket: string): readonly string[] => placed(toBinary(bucket));

behavesLikeAStore('three nodes, two copies of each bucket, entered through foo', async (options) => {
  const started = await startNodes(['foo', 'bar', 'baz'], { ...options, cluster: { replicas: 2 } });
  return { store: started.get('foo')!, cleanup: () => stopAll(started) };
}, { node: 'foo', nodes, ownerOf: (bucket) => preferences(bucket)[0]!, holdersOf: preferences, storage: 'memory' });
