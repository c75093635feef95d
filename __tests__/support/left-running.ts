// Run as its own process by store-process.system.test.ts: a store whose calls are all
// answered must not keep the process alive, even if it is never stopped.

import { createStore } from '../../lib';

async function main(): Promise<void> {
  const store = await createStore({ callTimeoutMs: 60_000 });
  await store.create('shopping');
  await store.put('shopping', 'milk', '1');
  console.log(await store.get('shopping', 'milk'));
}

void main();
