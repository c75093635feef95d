// Run as its own process (node --expose-gc) by store-process.system.test.ts:
// keys with a short TTL that are never read again are swept by the store
// itself, and the heap they took is given back. Prints one JSON line of MiB.

import { createStore } from '../../lib';

const keys = 200_000;
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function heap(): number {
  global.gc!();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const store = await createStore();
  await store.create('cache');
  const baseline = heap();
  for (let at = 0; at < keys; at += 1000) {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.put('cache', `key-${at + i}`, 'a value of some thirty-two bytes', { ttlMs: 300 })));
  }
  const loaded = heap();
  const deadline = Date.now() + 30_000;
  while ((await store.size('cache')) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const swept = heap();
  const left = await store.size('cache');
  await store.stop();
  console.log(JSON.stringify({ baseline: mib(baseline), loaded: mib(loaded), swept: mib(swept), left }));
}

void main();
