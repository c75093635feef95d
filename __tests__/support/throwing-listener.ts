// Run as its own process by store-process.system.test.ts: an event listener
// that throws inside a bucket's supervision must surface as an uncaught
// exception and leave the bucket serving. Prints one JSON line.

import { createStore } from '../../lib';

async function main(): Promise<void> {
  const store = await createStore();
  const rethrown = new Promise<string>((resolve) => process.once('uncaughtException', (error) => resolve(error.message)));
  store.on('bucketRestarted', () => {
    throw new Error('a bug in the listener');
  });
  await store.create('shopping');
  await store.crashBucket('shopping');
  const message = await rethrown;
  await store.put('shopping', 'milk', '1');
  const value = await store.get('shopping', 'milk');
  const { status, restarts } = (await store.tree()).buckets[0]!;
  await store.stop();
  console.log(JSON.stringify({ rethrown: message, value, status, restarts }));
}

void main();
