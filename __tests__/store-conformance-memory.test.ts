// The store conformance suite on the embedded default: one node, in memory.

import { createStore } from '../lib';
import { behavesLikeAStore, singleNode } from './support/store-conformance';

behavesLikeAStore('one node, in memory', async (options) => {
  const store = await createStore(options);
  return { store, cleanup: () => store.stop() };
}, singleNode('memory'));
