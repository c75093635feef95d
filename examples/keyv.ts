// Keyv on actor-kv: a cache in a bucket, expired by the store itself.
// Run it: npx ts-node examples/keyv.ts
// In your own project (with keyv 5 installed beside actor-kv):
//   import Keyv from 'keyv';
//   import { KeyvActorKv } from 'actor-kv/keyv';
import Keyv from 'keyv';
import { createStore } from '../lib';
import { KeyvActorKv } from '../lib/keyv';

async function main(): Promise<void> {
  const store = await createStore(); // one node, in memory; a file or a cluster works the same
  const users = new Keyv({ store: new KeyvActorKv(store, { bucket: 'cache' }), namespace: 'users' });

  await users.set('ada', { name: 'Ada', born: 1815 });
  await users.set('grace', { name: 'Grace', born: 1906 });
  await users.set('session', 'f00d', 100); // Keyv's ttl becomes the store's own: 100 ms
  console.log('ada =', await users.get('ada'));
  console.log('in the bucket:', await store.get('cache', 'users:ada')); // what Keyv serialized

  await new Promise((resolve) => setTimeout(resolve, 150));
  console.log('after 150 ms, the bucket has session:', await store.has('cache', 'users:session')); // false: the store expired it
  console.log('session =', await users.get('session')); // undefined

  const names: string[] = [];
  for await (const [key] of users.iterator!(undefined)) names.push(key as string);
  console.log('users:', names.sort());

  await users.clear(); // this namespace's keys
  console.log('keys left in cache:', await store.size('cache'));
  await store.stop(); // the store is yours: Keyv does not stop it
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
