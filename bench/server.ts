// Benchmark of the text server: a closed-loop load generator (N connections,
// pipeline depth D, a put/get mix over many buckets) against actor-kv and, in
// the same run with the same generator, a trivial Node server that answers OK
// to every line: the floor for a Node line server on this machine. Each server
// runs in its own child process, which reports its own CPU time, so the
// generator's CPU (sharing the cores) is not counted. Prints figures; asserts
// nothing. `npm run bench:server` (BENCH_SECONDS=3 to change the window;
// BENCH_KINDS=actor-kv,protocol only to run those rows and the baseline only).
// A third row runs actor-kv's text server over a stub store that answers at
// once: it separates the protocol layer's cost from the store's. A fourth runs
// actor-kv with TLS on its listener (a certificate made at run time). The
// last two run actor-kv while 1,000 bucket crashes a second (on buckets of
// their own, outside the workload) make 1,000 store events a second: first
// as it is, then as `--observer-port` runs it (metrics on, the observer
// serving) with an event stream open and read by the generator. Their ratio
// is what watching costs.

import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { Store, StoreEventMap } from '../lib';
import { TestCa } from '../__tests__/support/tls-certs';
import { closedLoop, MeasuringWindow, populate, type Transport } from './line-load';
import { printTable } from './measure';

const measureMs = Number(process.env.BENCH_SECONDS ?? 3) * 1000;
const warmupMs = 1000;
const buckets = 100;
const keysPerBucket = 100;
const putShare = 0.5;
const workloads = [
  { connections: 50, depth: 1 },
  { connections: 50, depth: 16 },
];
type Kind = 'trivial' | 'actor-kv' | 'protocol only' | 'actor-kv over TLS' | 'actor-kv, 1,000 crashes/s' | 'same, observer watched';
const allKinds: Kind[] = ['trivial', 'actor-kv', 'protocol only', 'actor-kv over TLS', 'actor-kv, 1,000 crashes/s', 'same, observer watched'];
/** BENCH_KINDS='actor-kv,protocol only': those rows only, after the trivial baseline (which always runs). */
const kinds = process.env.BENCH_KINDS ? allKinds.filter((kind) => kind === 'trivial' || process.env.BENCH_KINDS!.split(',').includes(kind)) : allKinds;
/** Crashes a second on the last two rows, spread over this many buckets of their own. */
const crashesPerSecond = 1000;
const crashedBuckets = 10;

// ---- the servers, in a child process ---------------------------------------

async function serveInChild(kind: Kind): Promise<void> {
  if (kind === 'actor-kv, 1,000 crashes/s' || kind === 'same, observer watched') return void process.send!(await crashingServer(kind === 'same, observer watched'));
  const port = kind === 'trivial' ? await trivialServer() : await actorKvServer(kind === 'protocol only', kind === 'actor-kv over TLS');
  process.send!({ port });
  answerParent();
}

function answerParent(): void {
  process.on('message', (message: string) => {
    if (message === 'cpu') process.send!({ cpu: process.cpuUsage() });
    if (message === 'exit') process.exit(0);
  });
}

/** Answers `OK\r\n` to every line, one write per chunk: the floor. */
function trivialServer(): Promise<number> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('data', (chunk: Buffer) => {
      let lines = 0;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
      if (lines > 0) socket.write('OK\r\n'.repeat(lines));
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

async function actorKvServer(stubbed: boolean, overTls: boolean): Promise<number> {
  const { createStore, startServer } = await import('../lib');
  const tls = overTls ? { cert: process.env.BENCH_TLS_CERT!, key: process.env.BENCH_TLS_KEY! } : undefined;
  const server = await startServer(stubbed ? stubStore() : await createStore(), { port: 0, ...(tls ? { tls } : {}) });
  return server.port;
}

/** actor-kv with 1,000 crashes a second; observed: as the CLI runs it with --observer-port. */
async function crashingServer(observed: boolean): Promise<{ port: number; observerPort?: number }> {
  const { createStore, startServer, startObserver } = await import('../lib');
  const { Registry } = await import('prom-client');
  const metrics = observed ? { metrics: new Registry() } : {};
  // A restart limit no crash rate reaches: the crashed buckets keep restarting.
  const store = await createStore({ ...metrics, supervision: { maxRestarts: 1_000_000, withinMs: 1000 } });
  const server = await startServer(store, { port: 0, ...metrics });
  const observer = observed ? await startObserver(store, { port: 0, ...metrics }) : undefined;
  for (let index = 0; index < crashedBuckets; index++) await store.create(`crashed${index}`);
  const perTick = crashesPerSecond / 100;
  let next = 0;
  setInterval(() => {
    for (let crash = 0; crash < perTick; crash++) void store.crashBucket(`crashed${next++ % crashedBuckets}`).catch(() => {});
  }, 10);
  answerParent();
  return { port: server.port, ...(observer ? { observerPort: observer.port } : {}) };
}

/** A Store whose calls succeed at once: what is left is the text server's own cost. */
function stubStore(): Store {
  const done = Promise.resolve();
  const unused = () => Promise.reject(new Error('not used by the benchmark'));
  const methods: Omit<Store, keyof EventEmitter> = {
    node: 'stub',
    create: () => done,
    put: () => done,
    get: () => Promise.resolve('v0'),
    getBuffer: unused,
    delete: () => Promise.resolve(undefined),
    has: () => Promise.resolve(true),
    buckets: () => Promise.resolve([]),
    bucketsBuffer: () => Promise.resolve([]),
    keysBuffer: unused,
    drop: unused,
    expire: unused,
    persist: unused,
    ttl: unused,
    clear: unused,
    size: unused,
    keys: unused,
    entries: () => {
      throw new Error('not used by the benchmark');
    },
    getMany: unused,
    putMany: unused,
    submit: (_bucket, op, settle) => settle({ ok: true, value: op.kind === 'get' ? 'v0' : undefined }),
    crashBucket: unused,
    tree: unused,
    clusterTree: unused,
    clusterStatus: () => null,
    stop: () => done,
    [Symbol.asyncDispose]: () => done,
  };
  return Object.assign(new EventEmitter<StoreEventMap>(), methods);
}

// ---- the generator ---------------------------------------------------------

interface Child {
  process: ChildProcess;
  port: number;
  /** The observer's port, on the observed row. */
  observerPort?: number;
}

/** The CA of the certificate the TLS row's server presents, made for this run (in the parent only). */
let ca: TestCa | undefined;

function startChild(kind: Kind): Promise<Child> {
  if (!ca) {
    ca = TestCa.create('bench CA');
    const made = ca;
    process.on('exit', () => made.remove());
  }
  const listenerPem = ca.issue('localhost');
  const env = { ...process.env, BENCH_TLS_CERT: listenerPem.cert.toString(), BENCH_TLS_KEY: listenerPem.key.toString() };
  const child = fork(__filename, ['--child', kind], { execArgv: ['-r', 'ts-node/register/transpile-only'], env });
  return new Promise((resolve) => child.once('message', (message: { port: number; observerPort?: number }) => resolve({ process: child, ...message })));
}

function cpuMicros(child: Child): Promise<number> {
  return new Promise((resolve) => {
    child.process.once('message', (message: { cpu: NodeJS.CpuUsage }) => resolve(message.cpu.user + message.cpu.system));
    child.process.send('cpu');
  });
}

/** A PUT or a GET of a random key in a random bucket. */
function randomRequest(): string {
  const bucket = `bench${Math.floor(Math.random() * buckets)}`;
  const key = `k${Math.floor(Math.random() * keysPerBucket)}`;
  return Math.random() < putShare ? `PUT ${bucket} ${key} v${Math.floor(Math.random() * 1e8)}\r\n` : `GET ${bucket} ${key}\r\n`;
}

interface Result {
  ops: number;
  seconds: number;
  latenciesMs: number[];
  cpuMicros: number;
  errors: number;
}

/** N closed loops against `child`: warm up, then measure ops, latencies and the server's CPU. */
async function load(child: Child, connections: number, depth: number, transport: Transport): Promise<Result> {
  const window = new MeasuringWindow(depth);
  const loops = Array.from({ length: connections }, () => closedLoop(child.port, depth, randomRequest, window.hooks, transport));
  await delay(warmupMs);
  const cpuBefore = await cpuMicros(child);
  const startedAt = process.hrtime.bigint();
  window.measuring = true;
  await delay(measureMs);
  window.measuring = false;
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const cpu = (await cpuMicros(child)) - cpuBefore;
  window.stopping = true;
  const errors = (await Promise.all(loops)).reduce((sum, loopErrors) => sum + loopErrors, 0);
  return { ops: window.ops, seconds, latenciesMs: window.latenciesMs, cpuMicros: cpu, errors };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Opens the observer's event stream and counts its events, as a browser tab left open would read them. */
function watchEvents(observerPort: number): { events: number; close: () => void } {
  const watched = { events: 0, close: () => request.destroy() };
  const request = http.get({ host: '127.0.0.1', port: observerPort, path: '/events' }, (response) => {
    response.setEncoding('utf8');
    response.on('data', (text: string) => (watched.events += text.split('\nevent: ').length - 1));
  });
  request.on('error', () => {});
  return watched;
}

/** One run of `kind` under a workload: its figures, and the events streamed if it has an observer. */
async function measure(kind: Kind, connections: number, depth: number): Promise<{ result: Result; opsPerSecond: number; cpuPerOp: number; events?: number }> {
  const child = await startChild(kind);
  const transport: Transport = kind === 'actor-kv over TLS' ? { tlsCa: ca!.cert } : {};
  await populate(child.port, buckets, keysPerBucket, transport);
  const watcher = child.observerPort === undefined ? undefined : watchEvents(child.observerPort);
  const result = await load(child, connections, depth, transport);
  watcher?.close();
  child.process.send('exit');
  return { result, opsPerSecond: result.ops / result.seconds, cpuPerOp: result.cpuMicros / result.ops, ...(watcher ? { events: watcher.events } : {}) };
}

async function main(): Promise<void> {
  console.log(`bench/server: ${buckets} buckets x ${keysPerBucket} keys, ${putShare * 100}% PUT / ${100 - putShare * 100}% GET, ${warmupMs} ms warm-up, ${measureMs} ms measured per run\n`);
  if (process.env.BENCH_ONLY === 'observer') return observerRounds(Number(process.env.BENCH_ROUNDS ?? 3));
  const rows: string[][] = [];
  const observerLines: string[] = [];
  for (const { connections, depth } of workloads) {
    let floor: { opsPerSecond: number; cpuPerOp: number } | undefined;
    let unobserved: { opsPerSecond: number; cpuPerOp: number } | undefined;
    for (const kind of kinds) {
      const { result, opsPerSecond, cpuPerOp, events } = await measure(kind, connections, depth);
      const sorted = result.latenciesMs.sort((a, b) => a - b);
      floor ??= { opsPerSecond, cpuPerOp };
      if (kind === 'actor-kv, 1,000 crashes/s') unobserved = { opsPerSecond, cpuPerOp };
      if (events !== undefined && unobserved) {
        observerLines.push(`${connections} x ${depth}: observer watched vs not (both with 1,000 crashes/s): ops/s ${(opsPerSecond / unobserved.opsPerSecond).toFixed(3)}, CPU/op ${(cpuPerOp / unobserved.cpuPerOp).toFixed(3)} (${events} events streamed)`);
      }
      rows.push([
        `${connections} x ${depth}`,
        kind + (result.errors ? ` (${result.errors} error replies)` : ''),
        Math.round(opsPerSecond).toLocaleString('en-US'),
        percentile(sorted, 50).toFixed(2),
        percentile(sorted, 99).toFixed(2),
        sorted[sorted.length - 1]!.toFixed(2),
        cpuPerOp.toFixed(2),
        (opsPerSecond / floor.opsPerSecond).toFixed(2),
        (cpuPerOp / floor.cpuPerOp).toFixed(2),
      ]);
    }
  }
  printTable(['connections x depth', 'server', 'ops/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU us/op', 'ops/s vs trivial', 'CPU/op vs trivial'], rows);
  for (const line of observerLines) console.log(line);
}

/**
 * `BENCH_ONLY=observer`: the two crash rows only, alternated `rounds` times
 * per workload (the machine's noise moves single runs by more than what is
 * measured), each round's ratio and their median.
 */
async function observerRounds(rounds: number): Promise<void> {
  const rows: string[][] = [];
  for (const { connections, depth } of workloads) {
    const ratios: Array<{ ops: number; cpu: number }> = [];
    for (let round = 0; round < rounds; round++) {
      const off = await measure('actor-kv, 1,000 crashes/s', connections, depth);
      const on = await measure('same, observer watched', connections, depth);
      ratios.push({ ops: on.opsPerSecond / off.opsPerSecond, cpu: on.cpuPerOp / off.cpuPerOp });
      rows.push([`${connections} x ${depth}`, String(round + 1), Math.round(off.opsPerSecond).toLocaleString('en-US'), Math.round(on.opsPerSecond).toLocaleString('en-US'), off.cpuPerOp.toFixed(2), on.cpuPerOp.toFixed(2), ratios[round]!.ops.toFixed(3), ratios[round]!.cpu.toFixed(3), String(on.events)]);
    }
    const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    rows.push([`${connections} x ${depth}`, 'median', '', '', '', '', middle(ratios.map((ratio) => ratio.ops)).toFixed(3), middle(ratios.map((ratio) => ratio.cpu)).toFixed(3), '']);
  }
  printTable(['connections x depth', 'round', 'ops/s unwatched', 'ops/s watched', 'CPU us/op unwatched', 'CPU us/op watched', 'ops/s watched ÷ unwatched', 'CPU/op watched ÷ unwatched', 'events streamed'], rows);
}

if (process.argv[2] === '--child') void serveInChild(process.argv[3] as Kind);
else void main();
