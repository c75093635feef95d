// Put throughput and p99 latency for each storage backend, as ratios of the
// in-memory store measured in the same run: memory, file with fsync no /
// everysec / always, and when redis-server is on PATH, one Redis and a Redis
// Cluster of 3 masters on this machine, without replicas and with one each. Each cell runs for a fixed
// time, so a slow backend cannot stretch the run. Then the time a node takes
// to open 100,000 buckets on each Redis. Prints, never asserts.
// Run: npm run bench:storage

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createStore, RedisStorage, type RedisStorageOptions, type StorageOption } from '../lib';
import { RedisCluster } from '../__tests__/support/redis-cluster';
import { haveRedisServer, RedisServer } from '../__tests__/support/storage-redis-server';
import { printTable, rate } from './measure';

const secondsPerCell = Number(process.env.BENCH_SECONDS ?? 1.5);
const bucketsToOpen = Number(process.env.BENCH_OPEN_BUCKETS ?? 100_000);
/** Only the backends whose names contain this (memory, the baseline, always runs). */
const only = process.env.BENCH_ONLY;

type Workload = { name: string; buckets: number; writers: number };
const workloads: Workload[] = [
  { name: '1 writer', buckets: 1, writers: 1 },
  { name: '50 writers, 50 buckets', buckets: 50, writers: 50 },
  { name: '1,000 writers, 100 buckets', buckets: 100, writers: 1000 },
];

interface Result {
  opsPerSecond: number;
  p99Ms: number;
}

/** `writers` callers put in a closed loop for `seconds`; throughput and p99 latency. */
async function putLoop(storage: StorageOption, workload: Workload): Promise<Result> {
  const store = await createStore({ storage, callTimeoutMs: 30_000 });
  for (let b = 0; b < workload.buckets; b++) await store.create(`b${b}`);
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + secondsPerCell * 1000;
  await Promise.all(
    Array.from({ length: workload.writers }, async (_, writer) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const begun = performance.now();
        await store.put(`b${writer % workload.buckets}`, `key-${writer}-${i % 100}`, 'value-of-some-thirty-two-bytes!!');
        latencies.push(performance.now() - begun);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.stop();
  latencies.sort((a, b) => a - b);
  return { opsPerSecond: latencies.length / seconds, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

/**
 * The disk's own cost in 'always': the mean time of an append plus
 * fdatasync, written the way the log is. W closed-loop writers sharing each
 * fsync cannot exceed W puts per that time, however cheap the rest is.
 */
function fsyncMicros(dir: string): number {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(3000, 1);
  const rounds = 300;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) {
    fs.writeSync(fd, chunk, 0, chunk.length, i * chunk.length);
    fs.fdatasyncSync(fd);
  }
  const micros = ((performance.now() - started) * 1000) / rounds;
  fs.closeSync(fd);
  fs.rmSync(file);
  return micros;
}

/** Creates `count` buckets (one key each) under a fresh prefix, then times a new node's open of them. */
async function openTime(options: RedisStorageOptions, count: number): Promise<number> {
  const prefix = `open-${Date.now()}:`;
  const writer = new RedisStorage({ ...options, prefix });
  await writer.open();
  for (let start = 0; start < count; start += 2000) {
    await Promise.all(Array.from({ length: Math.min(2000, count - start) }, async (_, index) => {
      const name = `bucket-${start + index}`;
      await writer.createBucket(name);
      writer.table(name).put('key', 'value-of-some-thirty-two-bytes!!');
      await writer.table(name).flush();
    }));
  }
  await writer.close();
  const reader = new RedisStorage({ ...options, prefix, commandTimeoutMs: 30_000 });
  const started = performance.now();
  const opened = await reader.open();
  const ms = performance.now() - started;
  await reader.close();
  if (opened.length !== count) throw new Error(`opened ${opened.length} buckets of ${count}`);
  return ms;
}

/**
 * The most 'always' can reach, as a fraction of memory, with W closed-loop
 * writers: each round costs at least the W puts memory itself takes (W / its
 * rate) plus one fsync the round waits for, during which no writer has a put
 * to make.
 */
function alwaysBound(writers: number, memoryOpsPerSecond: number, fsyncMicros: number): number {
  const cpuMicros = (writers * 1e6) / memoryOpsPerSecond;
  return cpuMicros / (cpuMicros + fsyncMicros);
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-bench-'));
  const micros = fsyncMicros(root);
  const redis = haveRedisServer ? await RedisServer.start() : undefined;
  // Three masters without replicas, as the single Redis has none: the same work, spread.
  const cluster = haveRedisServer ? await RedisCluster.start({ replicas: 0 }) : undefined;
  // And the usual layout, a replica per master: Redis does the replication's work too.
  const replicated = haveRedisServer ? await RedisCluster.start({ replicas: 1 }) : undefined;
  let run = 0;
  const backends: Array<[string, () => StorageOption]> = [
    ['memory', () => 'memory'],
    ...(['no', 'everysec', 'always'] as const).map((fsync): [string, () => StorageOption] => [
      `file, fsync ${fsync}`,
      () => ({ type: 'file', dir: path.join(root, `run-${++run}`), fsync }),
    ]),
    ...(redis ? [['redis', () => ({ type: 'redis', url: redis.url, prefix: `bench-${++run}:` })] as [string, () => StorageOption]] : []),
    ...(cluster ? [['redis cluster', () => ({ type: 'redis', cluster: cluster.seeds, prefix: `bench-${++run}:` })] as [string, () => StorageOption]] : []),
    ...(replicated ? [['redis cluster, 1 replica each', () => ({ type: 'redis', cluster: replicated.seeds, prefix: `bench-${++run}:` })] as [string, () => StorageOption]] : []),
  ];
  try {
    for (const workload of workloads) {
      const rows: string[][] = [];
      let memory: Result | undefined;
      let single: Result | undefined;
      for (const [name, storage] of backends.filter(([name]) => !only || name === 'memory' || name.includes(only))) {
        const result = await putLoop(storage(), workload);
        memory ??= result;
        if (name === 'redis') single = result;
        const versusRedis = name.startsWith('redis cluster') && single ? ` (${(result.opsPerSecond / single.opsPerSecond).toFixed(2)} of redis)` : '';
        const bound = name === 'file, fsync always' ? ` (disk bound ${alwaysBound(workload.writers, memory.opsPerSecond, micros).toFixed(2)})` : '';
        rows.push([name, rate(result.opsPerSecond), `${(result.opsPerSecond / memory.opsPerSecond).toFixed(2)}${versusRedis}${bound}`, `${result.p99Ms.toFixed(2)} ms`]);
      }
      console.log(`puts, ${workload.name}, ${secondsPerCell} s per backend`);
      printTable(['storage', 'puts', '÷ memory', 'p99'], rows);
    }
    if (!redis) console.log('redis: skipped (redis-server is not on PATH)');
    if (redis && cluster && bucketsToOpen > 0) {
      const [one, three] = [await openTime({ url: redis.url }, bucketsToOpen), await openTime({ cluster: cluster.seeds }, bucketsToOpen)];
      console.log(`opening a node with ${bucketsToOpen.toLocaleString('en')} buckets (one key each): redis ${(one / 1000).toFixed(2)} s, redis cluster (3 masters) ${(three / 1000).toFixed(2)} s`);
    }
    const ceiling = (writers: number) => rate((writers * 1e6) / micros);
    console.log(
      `disk: an append + fdatasync took ${micros.toFixed(0)} µs here before the runs, so 'always' cannot pass ${ceiling(50)} puts/s with 50 writers or ${ceiling(1000)} with 1,000 (one fsync per round of their puts). ` +
        `Its disk bound is that fsync plus memory's own time for the round's puts: writers ÷ memory's rate ÷ (that + the fsync).`,
    );
  } finally {
    await redis?.stop();
    await cluster?.stop();
    await replicated?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
