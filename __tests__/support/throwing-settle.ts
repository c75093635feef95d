// Run as its own process by store-process.system.test.ts: a settle that throws
// must surface as an uncaught exception, which Jest would not let a test
// observe in-process. Prints one JSON line: what each call saw, what was
// rethrown, the bucket's restarts.

import { createStore, type Outcome } from '../../lib';

async function main(): Promise<void> {
  const store = await createStore();
  await store.create('shopping');
  const rethrown: string[] = [];
  const twoRethrown = new Promise<void>((resolve) =>
    process.on('uncaughtException', (error) => {
      if (rethrown.push(error.message) === 2) resolve();
    }),
  );
  const seen: Outcome[][] = [[], [], [], []];
  // Issued together, the first three travel as one batch; the middle settle throws.
  store.submit('shopping', { kind: 'put', key: 'milk', value: '1' }, (outcome) => seen[0]!.push(outcome));
  store.submit('shopping', { kind: 'get', key: 'milk' }, (outcome) => {
    seen[1]!.push(outcome);
    throw new Error('a bug in the caller');
  });
  store.submit('shopping', { kind: 'get', key: 'milk' }, (outcome) => seen[2]!.push(outcome));
  // Settled before submit returns (no such bucket), and throwing there too.
  store.submit('nope', { kind: 'get', key: 'milk' }, (outcome) => {
    seen[3]!.push(outcome);
    throw new Error('a bug in the caller, at once');
  });
  await twoRethrown;
  const { restarts } = (await store.tree()).buckets[0]!;
  await store.stop();
  console.log(JSON.stringify({ seen, rethrown: rethrown.sort(), restarts }));
}

void main();
