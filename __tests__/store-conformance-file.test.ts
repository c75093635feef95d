// The store conformance suite on one node over the append-only file, each
// store in a fresh temporary directory.

import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import { createStore } from '../lib';
import { behavesLikeAStore, singleNode } from './support/store-conformance';

behavesLikeAStore('one node, on a file', async (options) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-conformance-'));
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const store = await createStore({ ...options, storage: { type: 'file', dir, fsync: 'no' } });
    return { store, cleanup: async () => {
      await store.stop();
      remove();
    } };
  } catch (error) {
    remove();
    throw error;
  }
}, singleNode('file'));
