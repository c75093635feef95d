// Direct versus forwarded requests, in one run: two nodes as CLI processes
// (foo a-m, bar n-z); 50 text-protocol clients send PUT and GET for bar's
// buckets, first to bar itself, then to foo, which forwards each over the
// cluster transport (one hop). Prints rate and latency percentiles and the
// forwarded/direct ratios. Run: npm run bench:cluster

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CliProcess } from '../__tests__/support/server-process';
import { TestCa } from '../__tests__/support/tls-certs';
import { printTable, rate } from './measure';

const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const phaseMs = Number(process.env.BENCH_PHASE_MS ?? 4000);
const buckets = Array.from({ length: 10 }, (_, index) => `nuts-${index}`);
const routes = ['--route', 'a-m=foo', '--route', 'n-z=bar'];

/** One client connection with `depth` requests outstanding at a time. */
class Client {
  private buffered = '';
  private readonly waiting: Array<{ lines: number; started: number }> = [];
  private sent = 0;

  constructor(
    private readonly socket: Socket,
    private readonly bucket: string,
    private readonly latencies: number[],
    private readonly deadline: number,
    private readonly done: () => void,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => this.receive(data));
  }

  start(depth: number): void {
    for (let i = 0; i < depth; i++) this.sendNext();
  }

  private sendNext(): void {
    if (performance.now() > this.deadline) {
      if (this.waiting.length === 0) this.done();
      return;
    }
    const index = this.sent++;
    const key = `k${index % 100}`;
    const isGet = index % 2 === 1;
    this.waiting.push({ lines: isGet ? 2 : 1, started: performance.now() });
    this.socket.write(isGet ? `GET ${this.bucket} ${key}\r\n` : `PUT ${this.bucket} ${key} v${index}\r\n`);
  }

  private receive(data: string): void {
    this.buffered += data;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).trimEnd();
      this.buffered = this.buffered.slice(newline + 1);
      if (line.startsWith('ERROR') || line === 'NOT FOUND') throw new Error(`unexpected reply: ${line}`);
      const head = this.waiting[0]!;
      if (--head.lines > 0) continue;
      this.waiting.shift();
      this.latencies.push(performance.now() - head.started);
      this.sendNext();
    }
  }
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** Runs every client against `port` for `phaseMs`; returns [requests/s, p50 ms, p99 ms]. */
async function phase(port: number, depth: number): Promise<[number, number, number]> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => openSocket(port)));
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    sockets.map((socket, index) => new Promise<void>((resolve) => new Client(socket, buckets[index % buckets.length]!, latencies, started + phaseMs, resolve).start(depth))),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.destroy();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
  return [latencies.length / seconds, percentile(0.5), percentile(0.99)];
}

/** Creates the buckets through foo and waits for every OK. */
async function createBuckets(port: number): Promise<void> {
  const socket = await openSocket(port);
  let replies = '';
  socket.setEncoding('utf8').write(buckets.map((bucket) => `CREATE ${bucket}\r\n`).join(''));
  for await (const data of socket) {
    replies += data;
    if (replies.split('\n').length > buckets.length) break;
  }
  socket.destroy();
  if (replies.trim().split(/\r?\n/).some((line) => line !== 'OK')) throw new Error(`CREATE failed: ${replies}`);
}

/** Starts foo and bar (with mutual TLS between them when `ca` is given); their text ports. */
async function startPair(ca: TestCa | undefined): Promise<{ fooPort: number; barPort: number; stop: () => Promise<void> }> {
  const env = { ACTOR_KV_SECRET: 'bench secret, 16+ bytes' };
  const quiet = ['--port', '0', '--cluster-port', '0', '--log-level', 'warn', ...routes];
  const tlsFlags = (node: string): string[] => {
    if (!ca) return [];
    const files = ca.files(ca.issue(node), node);
    return ['--cluster-tls-cert', files.cert, '--cluster-tls-key', files.key, '--cluster-tls-ca', files.ca];
  };
  const bar = CliProcess.start(['--node', 'bar', '--peer', 'foo', ...quiet, ...tlsFlags('bar')], env);
  const barPort = await bar.port();
  const barCluster = Number(/accepting peers on port (\d+)/.exec(bar.stdout)![1]);
  const foo = CliProcess.start(['--node', 'foo', '--peer', `bar=127.0.0.1:${barCluster}`, ...quiet, ...tlsFlags('foo')], env);
  const fooPort = await foo.port();
  const stop = async (): Promise<void> => {
    foo.kill('SIGTERM');
    bar.kill('SIGTERM');
    await Promise.all([foo.exited, bar.exited]);
  };
  return { fooPort, barPort, stop };
}

/** Direct and forwarded phases at depth 1 and 16 on one pair: [depth, direct, forwarded] figures. */
async function measurePair(ca: TestCa | undefined): Promise<Array<[number, [number, number, number], [number, number, number]]>> {
  const { fooPort, barPort, stop } = await startPair(ca);
  try {
    await createBuckets(fooPort);
    await phase(barPort, 1); // warm-up of both processes' JIT
    const figures: Array<[number, [number, number, number], [number, number, number]]> = [];
    for (const depth of [1, 16]) figures.push([depth, await phase(barPort, depth), await phase(fooPort, depth)]);
    return figures;
  } finally {
    await stop();
  }
}

async function main(): Promise<void> {
  const ca = TestCa.create('bench CA');
  try {
    const plain = await measurePair(undefined);
    const overTls = await measurePair(ca);
    const ms = (value: number) => `${value.toFixed(2)} ms`;
    const cell = ([rateValue, p50, p99]: [number, number, number]) => `${rate(rateValue)}, p50 ${ms(p50)}, p99 ${ms(p99)}`;
    const rows = plain.map(([depth, direct, forwarded]) => [`${connections} connections × ${depth} in flight`, cell(direct), cell(forwarded), (forwarded[0] / direct[0]).toFixed(2), (forwarded[2] / direct[2]).toFixed(2)]);
    console.log(`PUT/GET on bar's buckets, ${phaseMs / 1000} s per phase; direct = to bar, forwarded = to foo (one hop)`);
    printTable(['workload', 'direct', 'forwarded', 'rate ratio', 'p99 ratio'], rows);
    const tlsRows = plain.map(([depth, , forwarded], index) => {
      const secured = overTls[index]![2];
      return [`${connections} connections × ${depth} in flight`, cell(forwarded), cell(secured), (secured[0] / forwarded[0]).toFixed(2), (secured[2] / forwarded[2]).toFixed(2)];
    });
    console.log(`\nforwarded requests, the link between foo and bar plain TCP against mutual TLS (same run)`);
    printTable(['workload', 'plain link', 'TLS link', 'rate ratio', 'p99 ratio'], tlsRows);
  } finally {
    ca.remove();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
