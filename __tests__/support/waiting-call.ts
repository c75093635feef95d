// Run as its own process by store-process.system.test.ts: once every call was
// answered the store lets the process exit, but a call opened after that, to
// a bucket that never answers, keeps it alive until the call times out.

import { createStore } from '../../lib';
import { FaultyStorage } from './faulty-storage';

async function main(): Promise<void> {
  const storage = new FaultyStorage();
  const store = await createStore({ storage, callTimeoutMs: 1000 });
  await store.create('stuck');
  await store.put('stuck', 'k', 'answered'); // every call answered: nothing holds the process now
  storage.table('stuck').hang = true;
  const started = Date.now();
  // Nothing but the store's timer is left to keep the process alive.
  store.put('stuck', 'k', 'never stored').then(
    () => console.log('ok'),
    (error: { code: string }) => console.log(`${error.code} after ${Date.now() - started} ms`),
  );
}

void main();
