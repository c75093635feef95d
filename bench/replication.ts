// The cost of replication, in one run: three nodes foo, bar and baz as CLI
// processes, in memory, routed a-m=foo,bar and n-z=bar,baz. 50 text-protocol
// connections PUT to 10 buckets, each connection on its bucket's primary (foo
// for a-m, bar for n-z), so no request is forwarded. First with --replicas 1
// (only the primary holds a bucket), then the same cluster restarted with
// --replicas 2 (a PUT is acknowledged once bar or baz holds it too). Prints
// rate and latency percentiles at depth 1 and 16 and the R=2/R=1 ratio; asserts
// nothing. Run: npm run bench:replication (BENCH_PHASE_MS=4000 per phase).

import net from 'node:net';
import { CliProcess } from '../__tests__/support/server-process';
import { closedLoop, MeasuringWindow, ReplyCounter } from './line-load';
import { printTable, rate } from './measure';

const connections = 50;
const depths = [1, 16];
const phaseMs = Number(process.env.BENCH_PHASE_MS ?? 4000);
const warmupMs = 1000;
const replicaCounts = [1, 2];
const secret = 'bench secret, 16+ bytes';
const routes = ['a-m=foo,bar', 'n-z=bar,baz'];
const primaries = { 'a-m': 'foo', 'n-z': 'bar' } as const;
/** 5 buckets on each row: their primary is foo (apples-*) or bar (nuts-*). */
const buckets = [...Array.from({ length: 5 }, (_, index) => `apples-${index}`), ...Array.from({ length: 5 }, (_, index) => `nuts-${index}`)];
const primaryOf = (bucket: string): 'foo' | 'bar' => (bucket < 'n' ? primaries['a-m'] : primaries['n-z']);

/** Every child started, so that any exit (normal, error, signal) kills what is left. */
const children: CliProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the nodes`);
    process.exit(130);
  });
}

interface Cluster {
  nodes: CliProcess[];
  /** Text-protocol port of each node. */
  ports: Record<'foo' | 'bar' | 'baz', number>;
}

function start(args: string[]): CliProcess {
  const child = CliProcess.start([...args, '--port', '0', '--cluster-port', '0', '--log-level', 'info'], { ACTOR_KV_SECRET: secret });
  children.push(child);
  return child;
}

/** The cluster port a node printed. */
async function clusterPortOf(node: CliProcess): Promise<number> {
  await node.port(); // printed after the cluster port line
  return Number(/accepting peers on port (\d+)/.exec(node.stdout)![1]);
}

/** Polls until `node` logged a connection to each of `peers`. */
async function connectedTo(node: CliProcess, peers: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = new Set(node.logs.filter((line) => line.msg === 'cluster peer connected').map((line) => line.peer));
    if (peers.every((peer) => up.has(peer))) return;
    if (node.closed || Date.now() > deadline) throw new Error(`peers ${peers.join(', ')} not all connected; stderr: ${node.stderr}`);
    await delay(20);
  }
}

/** baz waits for both others to dial in, bar dials baz, foo dials both; every node knows the routes and R. */
async function startCluster(replicas: number): Promise<Cluster> {
  const common = ['--replicas', String(replicas), ...routes.flatMap((route) => ['--route', route])];
  const baz = start(['--node', 'baz', '--peer', 'foo', '--peer', 'bar', ...common]);
  const bazCluster = await clusterPortOf(baz);
  const bar = start(['--node', 'bar', '--peer', 'foo', '--peer', `baz=127.0.0.1:${bazCluster}`, ...common]);
  const barCluster = await clusterPortOf(bar);
  const foo = start(['--node', 'foo', '--peer', `bar=127.0.0.1:${barCluster}`, '--peer', `baz=127.0.0.1:${bazCluster}`, ...common]);
  await Promise.all([connectedTo(foo, ['bar', 'baz']), connectedTo(bar, ['foo', 'baz']), connectedTo(baz, ['foo', 'bar'])]);
  return { nodes: [foo, bar, baz], ports: { foo: await foo.port(), bar: await bar.port(), baz: await baz.port() } };
}

async function stopCluster(cluster: Cluster): Promise<void> {
  for (const node of cluster.nodes) node.kill('SIGTERM');
  const stopped = Promise.all(cluster.nodes.map((node) => node.exited));
  if ((await Promise.race([stopped, delay(5000)])) === undefined) for (const node of cluster.nodes) node.kill('SIGKILL');
  await stopped;
  children.splice(0, children.length, ...children.filter((child) => !cluster.nodes.includes(child)));
}

/** Sends `lines` on one connection to `port`; resolves with the reply lines (one line per request: no GETs here). */
async function exchange(port: number, lines: string[]): Promise<string[]> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  const counter = new ReplyCounter();
  let text = '';
  let answered = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        answered += counter.count(chunk);
        if (answered >= lines.length) resolve();
      });
      socket.write(lines.join(''));
    });
  } finally {
    socket.destroy();
  }
  return text.split(/\r?\n/).slice(0, lines.length);
}

/** CREATE each bucket on its primary; throws with the exact replies unless all are OK. */
async function createBuckets(cluster: Cluster): Promise<void> {
  for (const bucket of buckets) {
    const [reply] = await exchange(cluster.ports[primaryOf(bucket)], [`CREATE ${bucket}\r\n`]);
    if (reply !== 'OK') throw new Error(`CREATE ${bucket} on ${primaryOf(bucket)}: ${JSON.stringify(reply)}`);
  }
}

/** After a phase with error replies: a few PUTs per bucket on their primary, to show the exact reply lines. */
async function probeErrors(cluster: Cluster): Promise<string[]> {
  const seen = new Set<string>();
  for (const bucket of buckets) {
    const replies = await exchange(cluster.ports[primaryOf(bucket)], Array.from({ length: 16 }, (_, index) => `PUT ${bucket} probe${index} v${index}\r\n`));
    for (const reply of replies) if (reply !== 'OK') seen.add(`PUT to ${bucket} on ${primaryOf(bucket)}: ${reply}`);
  }
  return [...seen];
}

interface Result {
  opsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * 50 closed loops (line-load.ts), connection i on bucket i mod 10 at its
 * primary, each sending `depth` PUTs in one write and waiting for all of them;
 * a warm-up, then `phaseMs` measured. Latency is per batch (its last reply).
 */
async function phase(cluster: Cluster, depth: number): Promise<Result> {
  const window = new MeasuringWindow(depth);
  const loops = Array.from({ length: connections }, (_, index) => {
    const bucket = buckets[index % buckets.length]!;
    let sent = 0;
    const request = () => `PUT ${bucket} k${sent % 100} v${sent++}\r\n`;
    return closedLoop(cluster.ports[primaryOf(bucket)], depth, request, window.hooks);
  });
  await delay(warmupMs);
  const startedAt = process.hrtime.bigint();
  window.measuring = true;
  await delay(phaseMs);
  window.measuring = false;
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  window.stopping = true;
  const finished = Promise.all(loops);
  const errorsPerLoop = await Promise.race([finished, delay(10_000)]);
  if (errorsPerLoop === undefined) throw new Error(`depth ${depth}: connections still waiting for replies 10 s after the phase ended`);
  const sorted = window.latenciesMs.sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { opsPerSecond: window.ops / seconds, p50: percentile(0.5), p99: percentile(0.99), errors: errorsPerLoop.reduce((sum, errors) => sum + errors, 0) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  const results = new Map<string, Result>();
  const errorLines: string[] = [];
  for (const replicas of replicaCounts) {
    const cluster = await startCluster(replicas);
    try {
      await createBuckets(cluster);
      for (const depth of depths) {
        const result = await phase(cluster, depth);
        results.set(`${replicas}/${depth}`, result);
        if (result.errors > 0) {
          errorLines.push(`R=${replicas}, depth ${depth}: ${result.errors} error replies under load`);
          errorLines.push(...(await probeErrors(cluster)).map((line) => `  probe after it: ${line}`));
        }
      }
    } finally {
      await stopCluster(cluster);
    }
  }

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const cell = (result: Result) => `${rate(result.opsPerSecond)}, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}${result.errors ? ` (${result.errors} errors)` : ''}`;
  const rows = depths.map((depth) => {
    const one = results.get(`1/${depth}`)!;
    const two = results.get(`2/${depth}`)!;
    return [`${connections} connections × ${depth} in flight`, cell(one), cell(two), (two.opsPerSecond / one.opsPerSecond).toFixed(2), (two.p99 / one.p99).toFixed(2)];
  });
  console.log(`PUT to 10 buckets on their primaries (foo a-m, bar n-z; baz the second copy of n-z), 3 nodes in memory, ${phaseMs / 1000} s per phase after ${warmupMs / 1000} s of warm-up; latency per batch of D`);
  printTable(['workload', 'R=1', 'R=2', 'rate ratio R2/R1', 'p99 ratio R2/R1'], rows);
  const ratios = depths.map((depth) => `${(results.get(`2/${depth}`)!.opsPerSecond / results.get(`1/${depth}`)!.opsPerSecond).toFixed(2)} at depth ${depth}`);
  console.log(`Target: R=2 at least 0.5 of R=1 at both depths (this run: ${ratios.join(', ')}).`);
  if (errorLines.length > 0) {
    console.log('\nError replies:');
    for (const line of errorLines) console.log(line);
  }
}

main()
  .then(() => process.exit(0))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
