// Run as its own process by store.test.ts: a settle that throws must surface
// as an uncaught exception, which Jest would not let a test observe in-process.
// Prints one JSON line: what each call saw, what was rethrown, the bucket's restarts.

import { createStore, type Outcome } from '../../lib';

async function main(): Promise<void> {
  const store = await createStore();
  await store.create('shopping');
  const rethrown = new Promise<string>((resolve) => process.once('uncaughtException', (error) => resolve(error.message)));
  const seen: Outcome[][] = [[], [], []];
  // Issued together, the three travel as one batch; the middle settle throws.
  store.submit('shopping', { kind: 'put', key: 'milk', value: '1' }, (outcome) => seen[0]!.push(outcome));
  store.submit('shopping', { kind: 'get', key: 'milk' }, (outcome) => {
    seen[1]!.push(outcome);
    throw new Error('a bug in the caller');
  });
  store.submit('shopping', { kind: 'get', key: 'milk' }, (outcome) => seen[2]!.push(outcome));
  const error = await rethrown;
  const { restarts } = (await store.tree()).buckets[0]!;
  await store.stop();
  console.log(JSON.stringify({ seen, error, restarts }));
}

void main();
