// The observer: every node's supervision tree, live in a browser, as JSON and
// as Prometheus metrics. Run it: npx ts-node examples/observer.ts
// To watch it in a browser: OBSERVER_PORT=4041 KEEP_OPEN=1 npx ts-node examples/observer.ts
import { Registry } from 'prom-client';
import { createStore, startObserver, type Observed } from '../lib';

async function main(): Promise<void> {
  const metrics = new Registry(); // the same registry for the store and the observer's /metrics
  const store = await createStore({ metrics });
  const observer = await startObserver(store, { port: Number(process.env.OBSERVER_PORT ?? 0), metrics });
  console.error(`open ${observer.url}`);

  await store.create('shopping');
  await store.put('shopping', 'milk', '1');
  await store.crashBucket('shopping', 'killed from the example'); // the page shows it restart

  const tree = (await (await fetch(`${observer.url}api/tree`)).json()) as Observed;
  for (const b of tree.buckets) console.log(`${b.name}: ${b.status}, ${b.restarts} restart(s), last crash: ${b.lastCrash}`);
  const scraped = await (await fetch(`${observer.url}metrics`)).text();
  console.log(scraped.split('\n').find((line) => line.startsWith('actor_kv_bucket_restarts_total')));

  if (process.env.KEEP_OPEN) return; // Ctrl-C stops it
  await observer.close();
  await store.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
