// The store conformance suite on one node over Redis, through ioredis-mock.

import RedisMock from 'ioredis-mock';
import { createStore } from '../lib';
import { behavesLikeAStore, singleNode } from './support/store-conformance';

behavesLikeAStore('one node, on Redis', async (options) => {
  const client = new RedisMock();
  // ioredis-mock instances share their data: each store starts from an empty Redis.
  await client.flushall();
  const store = await createStore({ ...options, storage: { type: 'redis', client: client as never } }).catch((error: unknown) => {
    client.disconnect();
    throw error;
  });
  return { store, cleanup: async () => {
    await store.stop();
    client.disconnect();
  } };
}, singleNode('redis'));
