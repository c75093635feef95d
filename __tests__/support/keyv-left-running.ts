// Run as its own process by keyv-process.system.test.ts: the library and its
// Keyv adapter load no keyv, and a Keyv on a store that is never stopped,
// keys with a ttl included, lets the process exit once its calls are answered.

import * as path from 'node:path';
import { createStore } from '../../lib';
import { KeyvActorKv } from '../../lib/keyv';

const keyvLoaded = (): boolean => Object.keys(require.cache).some((file) => file.includes(`${path.sep}node_modules${path.sep}keyv${path.sep}`));

async function main(): Promise<void> {
  const loadedByLibrary = keyvLoaded();
  const { default: Keyv } = await import('keyv');
  const store = await createStore({ callTimeoutMs: 60_000 });
  const keyv = new Keyv({ store: new KeyvActorKv(store, { bucket: 'cache' }) });
  await keyv.set('milk', '1', 60_000);
  await keyv.set('eggs', '6');
  const keys: string[] = [];
  for await (const [key] of keyv.iterator!(undefined)) keys.push(key as string);
  console.log(JSON.stringify({ loadedByLibrary, milk: await keyv.get('milk'), keys: keys.sort() }));
}

void main();
