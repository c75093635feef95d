// The store's speed against the actor library's own ceiling (raw nact messages
// with a reply) and a plain Map behind an async function, in one run; then the
// time and heap to create many buckets. Run: npm run bench

import { dispatch, query, spawn, start, stop, type Ref } from 'nact';
import { createStore, type Store } from '../lib';
import { closedLoop, printTable, rate } from './measure';

const opsPerRun = Number(process.env.BENCH_OPS ?? 50_000);

type Workload = { name: string; buckets: number; inFlight: number };
const workloads: Workload[] = [
  { name: '1 bucket, sequential', buckets: 1, inFlight: 1 },
  { name: '1 bucket, 1,000 in flight', buckets: 1, inFlight: 1000 },
  { name: '100 buckets, sequential', buckets: 100, inFlight: 1 },
  { name: '100 buckets, 1,000 in flight', buckets: 100, inFlight: 1000 },
];

interface Target {
  put(bucket: number, key: string, value: string): Promise<unknown>;
  get(bucket: number, key: string): Promise<unknown>;
  close(): Promise<void>;
}

async function storeTarget(buckets: number): Promise<Target> {
  const store: Store = await createStore();
  for (let b = 0; b < buckets; b++) await store.create(`b${b}`);
  return {
    put: (b, k, v) => store.put(`b${b}`, k, v),
    get: (b, k) => store.get(`b${b}`, k),
    close: () => store.stop(),
  };
}

type RawMsg = { key: string; value?: string; replyTo: Ref<string | undefined> };

/** One bare nact actor per bucket holding a Map, asked with nact's query. */
async function rawNactTarget(buckets: number): Promise<Target> {
  const system = start();
  const actors = Array.from({ length: buckets }, (_, b) =>
    spawn(
      system,
      (table: Map<string, string>, msg: RawMsg) => {
        if (msg.value === undefined) dispatch(msg.replyTo, table.get(msg.key));
        else dispatch(msg.replyTo, undefined), table.set(msg.key, msg.value);
        return table;
      },
      `b${b}`,
      { initialStateFunc: () => new Map<string, string>() },
    ),
  );
  const ask = (b: number, key: string, value?: string) => query(actors[b]!, (replyTo: Ref<string | undefined>) => ({ key, value, replyTo }), 5000);
  return {
    put: (b, k, v) => ask(b, k, v),
    get: (b, k) => ask(b, k),
    close: async () => {
      actors.forEach((actor) => stop(actor));
      stop(system);
    },
  };
}

async function plainMapTarget(buckets: number): Promise<Target> {
  const tables = Array.from({ length: buckets }, () => new Map<string, string>());
  return {
    put: async (b, k, v) => void tables[b]!.set(k, v),
    get: async (b, k) => tables[b]!.get(k),
    close: async () => {},
  };
}

async function measure(make: (buckets: number) => Promise<Target>, workload: Workload): Promise<[number, number]> {
  const target = await make(workload.buckets);
  const key = (i: number) => `key-${i % 1000}`;
  const bucket = (i: number) => i % workload.buckets;
  const puts = await closedLoop(opsPerRun, workload.inFlight, (i) => target.put(bucket(i), key(i), 'value'));
  const gets = await closedLoop(opsPerRun, workload.inFlight, (i) => target.get(bucket(i), key(i)));
  await target.close();
  return [puts, gets];
}

async function throughput(): Promise<void> {
  const rows: string[][] = [];
  for (const workload of workloads) {
    const [storePut, storeGet] = await measure(storeTarget, workload);
    const [nactPut, nactGet] = await measure(rawNactTarget, workload);
    const [mapPut, mapGet] = await measure(plainMapTarget, workload);
    rows.push([
      workload.name,
      `${rate(storePut)} / ${rate(storeGet)}`,
      `${rate(nactPut)} / ${rate(nactGet)}`,
      `${rate(mapPut)} / ${rate(mapGet)}`,
      `${(storePut / nactPut).toFixed(2)} / ${(storeGet / nactGet).toFixed(2)}`,
    ]);
  }
  console.log(`put / get throughput, ${opsPerRun} ops each`);
  printTable(['workload', 'store', 'raw nact', 'Map behind async', 'store ÷ raw nact'], rows);
}

async function creation(): Promise<void> {
  const rows: string[][] = [];
  for (const count of [1_000, 10_000, 100_000]) {
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const store = await createStore();
    const started = performance.now();
    const created: Promise<void>[] = [];
    for (let i = 0; i < count; i++) created.push(store.create(`bucket-${i}`));
    await Promise.all(created);
    const seconds = (performance.now() - started) / 1000;
    global.gc?.();
    const heap = process.memoryUsage().heapUsed - heapBefore;
    rows.push([count.toLocaleString('en'), `${seconds.toFixed(2)} s`, `${((seconds / count) * 1e6).toFixed(1)} us`, `${(heap / 2 ** 20).toFixed(0)} MiB`]);
    await store.stop();
  }
  console.log('creating buckets' + (global.gc ? '' : ' (run with --expose-gc for exact heap figures)'));
  printTable(['buckets', 'time', 'per bucket', 'heap'], rows);
}

async function main(): Promise<void> {
  await throughput();
  await creation();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
