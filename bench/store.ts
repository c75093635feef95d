// The store's speed against the actor library's own ceiling (raw nact messages
// with a reply) and a plain Map behind an async function, in one run; the
// time and heap to create many buckets; a scan of a large bucket under writes;
// puts with a TTL against puts without, and the heap given back once keys
// expire. Run: npm run bench (BENCH_ONLY=scan|expiry|throughput|creation for one part)

import { dispatch, query, spawn, start, stop, type Ref } from 'nact';
import { createStore, type Store } from '../lib';
import { KeyTable } from '../lib/storage/key-table';
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

const scanKeys = Number(process.env.BENCH_SCAN_KEYS ?? 1_000_000);

/** Loads `count` keys into one bucket with putMany, in chunks. */
async function load(store: Store, bucket: string, count: number, ttlMs?: number): Promise<void> {
  await store.create(bucket);
  for (let at = 0; at < count; at += 10_000) {
    const chunk = Array.from({ length: Math.min(10_000, count - at) }, (_, i): [string, string] => [`key-${at + i}`, 'value']);
    if (ttlMs === undefined) await store.putMany(bucket, chunk);
    else await Promise.all(chunk.map(([key, value]) => store.put(bucket, key, value, { ttlMs })));
  }
}

/** A full scan of a large bucket, and the longest wait of puts to the same bucket issued meanwhile. */
async function scanning(): Promise<void> {
  const store = await createStore();
  await load(store, 'big', scanKeys);
  let scanning = true;
  const waits: number[] = [];
  let puts = 0;
  const writer = (async () => {
    while (scanning) {
      const started = performance.now();
      await store.put('big', `new-${puts++}`, 'v');
      waits.push(performance.now() - started);
    }
  })();
  const started = performance.now();
  let seen = 0;
  let cursor = 0;
  do {
    const page = await store.keys('big', { cursor, count: 1000 });
    seen += page.keys.length;
    cursor = page.cursor;
  } while (cursor !== 0);
  const seconds = (performance.now() - started) / 1000;
  scanning = false;
  await writer;
  await store.stop();
  console.log(`scanning one bucket of ${scanKeys.toLocaleString('en')} keys, pages of 1,000, while one caller puts to it`);
  waits.sort((a, b) => a - b);
  const at = (q: number): string => `${waits[Math.min(waits.length - 1, Math.floor(q * waits.length))]!.toFixed(2)} ms`;
  printTable(['keys returned', 'keys/s', 'puts meanwhile', 'put wait p50 / p99 / max'], [[seen.toLocaleString('en'), rate(seen / seconds), puts.toLocaleString('en'), `${at(0.5)} / ${at(0.99)} / ${at(1)}`]]);
}

/** Times every run of the active expiry sweep (its budget is 5 ms; a run that rebuilds a large table's order takes longer). */
function timeSweeps(): { longestMs: number; restore: () => void } {
  const sweep = KeyTable.prototype.sweepExpired;
  const timing = { longestMs: 0, restore: () => void (KeyTable.prototype.sweepExpired = sweep) };
  KeyTable.prototype.sweepExpired = function (this: KeyTable, budgetMs: number): boolean {
    const started = performance.now();
    try {
      return sweep.call(this, budgetMs);
    } finally {
      timing.longestMs = Math.max(timing.longestMs, performance.now() - started);
    }
  };
  return timing;
}

/** Puts with and without a TTL, in one run; then the heap until keys that are never read again have been swept. */
async function expiring(): Promise<void> {
  const count = scanKeys;
  const rates: number[] = [];
  for (const ttlMs of [undefined, 1000]) {
    const store = await createStore();
    await store.create('b');
    const put = await closedLoop(opsPerRun * 4, 1000, (i) => store.put('b', `key-${i}`, 'value', ttlMs === undefined ? undefined : { ttlMs: 60_000 }));
    rates.push(put);
    await store.stop();
  }
  global.gc?.();
  const baseline = process.memoryUsage().heapUsed;
  const store = await createStore();
  await load(store, 'b', count, 1000);
  global.gc?.();
  const loaded = process.memoryUsage().heapUsed;
  const sweeps = timeSweeps();
  const started = performance.now();
  let heap = loaded;
  while (performance.now() - started < 20_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    global.gc?.();
    heap = process.memoryUsage().heapUsed;
    if ((await store.size('b')) === 0) break;
  }
  const back = (performance.now() - started) / 1000;
  sweeps.restore();
  await store.stop();
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  console.log(`expiry: puts with and without a TTL (${opsPerRun * 4} each, 1,000 in flight); then ${count.toLocaleString('en')} keys with a 1 s TTL, never read again`);
  printTable(
    ['puts, no TTL', 'puts, TTL', 'TTL ÷ no TTL', 'heap: before / loaded / after', 'swept within', 'longest sweep run'],
    [[rate(rates[0]!), rate(rates[1]!), (rates[1]! / rates[0]!).toFixed(2), `${mib(baseline)} / ${mib(loaded)} / ${mib(heap)}`, `${back.toFixed(1)} s after the load (the last deadline: 1 s after it)`, `${sweeps.longestMs.toFixed(1)} ms`]],
  );
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'throughput') await throughput();
  if (!only || only === 'creation') await creation();
  if (!only || only === 'scan') await scanning();
  if (!only || only === 'expiry') await expiring();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
