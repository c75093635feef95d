// The embedded store: create a bucket, then put, get and delete keys.
// Run it: npx ts-node examples/basic.ts
// In your own project: import { createStore, KvError } from 'actor-kv';
import { createStore, KvError } from '../lib';

async function main(): Promise<void> {
  const store = await createStore(); // one node, in memory

  await store.create('shopping'); // idempotent, like CREATE shopping
  await store.put('shopping', 'milk', '1');
  await store.put('shopping', 'eggs', '6');
  console.log('milk =', await store.get('shopping', 'milk')); // 1

  const removed = await store.delete('shopping', 'eggs');
  console.log('deleted eggs, which was', removed); // 6
  console.log('eggs =', await store.get('shopping', 'eggs')); // undefined

  try {
    await store.get('groceries', 'milk'); // never created
  } catch (error) {
    if (error instanceof KvError) console.log('groceries:', error.code); // NOT_FOUND
  }

  console.log('buckets:', await store.buckets()); // [ 'shopping' ]
  await store.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
