// Supervision: a crashed bucket is restarted alone and keeps every acknowledged
// write; past its restart intensity it fails fast until created again.
// Run it: npx ts-node examples/crash-and-restart.ts
import { createStore } from '../lib';

async function main(): Promise<void> {
  const store = await createStore({ supervision: { maxRestarts: 3, withinMs: 5000 } });
  await store.create('shopping');
  await store.create('chores');
  await store.put('shopping', 'milk', '1');

  await store.crashBucket('shopping'); // the actor throws; nact's onCrash restarts it
  console.log('after a crash, milk =', await store.get('shopping', 'milk')); // still 1

  const { buckets } = await store.tree();
  for (const b of buckets) console.log(`${b.name}: ${b.status}, ${b.restarts} restart(s), ${b.keys} key(s)`);

  for (let i = 0; i < 3; i++) await store.crashBucket('shopping'); // the 4th crash in 5 s
  await store.get('shopping', 'milk').catch((error) => console.log('now:', error.code)); // BUCKET_FAILED
  console.log('chores is untouched:', await store.has('chores'));

  await store.create('shopping'); // revives it, data included
  console.log('revived, milk =', await store.get('shopping', 'milk')); // 1
  await store.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
