// Test harness for replication fault tests: three CLI nodes (foo, bar, baz)
// with --replicas 2, routes a-m=foo,bar and n-z=bar,baz, each with its own
// data directory, dialing its peers through TCP proxies the test owns (one per
// ordered pair), so that cutting every proxy to and from one node partitions
// it while clients still reach its text port. Ports are picked up front, so a
// node restarts on the same ones. Also: a ledger of the writes clients sent
// (what was acknowledged, what is indeterminate) and a load of line clients
// that write increasing values to their own keys, one request at a time.

import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readVotes, type Vote } from '../../lib/cluster/replication/vote-log';
import { waitUntil } from './deadlines';
import { freePorts } from './free-ports';
import { LineClients, type LineClient } from './server-helpers';
import { CliProcess } from './server-process';
import { TcpProxy } from './tcp-proxy';

export const secret = 'a secret for the replication fault tests';
export const nodeNames = ['foo', 'bar', 'baz'] as const;
export type NodeName = (typeof nodeNames)[number];
/** foo is primary of a..m with bar its copy; bar primary of n..z with baz its copy; baz also votes. */
export const routes = ['a-m=foo,bar', 'n-z=bar,baz'];
export const clusterTimeoutMs = 1000;
/** The store's call timeout (callTimeoutMs, not a flag): no client request should wait much longer. */
export const callTimeoutMs = 5000;

/** Buckets on both halves: foo's (a-m) and bar's (n-z). */
export const fooBuckets = ['apples', 'melons'];
export const barBuckets = ['nuts', 'pears'];
export const buckets = [...fooBuckets, ...barBuckets];

export const caughtUp = 'replication: a copy caught up and is in sync again';
export const tookOver = 'replication: took over a bucket whose primary was unreachable';
export const deposed = 'replication: another node took over this bucket; no longer serving it';

type LogLine = Record<string, unknown> & { msg?: string; time?: number };

export class ReplicationCluster {
  /** Every process started, each incarnation of a node, in order. */
  private readonly started: Array<{ name: NodeName; process: CliProcess }> = [];
  private readonly current = new Map<NodeName, CliProcess>();
  private readonly clients = new LineClients();

  private constructor(
    readonly dir: string,
    readonly clusterPorts: Record<NodeName, number>,
    readonly textPorts: Record<NodeName, number>,
    private readonly proxies: Map<string, TcpProxy>,
  ) {}

  /** Starts the three nodes and waits until each is connected to both others. */
  static async start(): Promise<ReplicationCluster> {
    const dir = await mkdtemp(path.join(tmpdir(), 'actor-kv-replication-'));
    const proxies = new Map<string, TcpProxy>();
    let ports: number[];
    try {
      // The proxies listen first (on port 0, aimed at a placeholder until the ports are known), so the ports picked next cannot be theirs.
      for (const from of nodeNames) for (const to of nodeNames) if (from !== to) proxies.set(pair(from, to), await TcpProxy.start(1));
      ports = await freePorts(6);
    } catch (error) {
      await Promise.all([...proxies.values()].map((proxy) => proxy.stop()));
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const clusterPorts = { foo: ports[0]!, bar: ports[1]!, baz: ports[2]! };
    const textPorts = { foo: ports[3]!, bar: ports[4]!, baz: ports[5]! };
    for (const [key, proxy] of proxies) proxy.retarget(clusterPorts[key.split('>')[1] as NodeName]);
    const cluster = new ReplicationCluster(dir, clusterPorts, textPorts, proxies);
    try {
      for (const name of nodeNames) cluster.launch(name);
      await Promise.all(nodeNames.map((name) => cluster.ready(name)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The running (or last) process of `name`. */
  node(name: NodeName): CliProcess {
    return this.current.get(name)!;
  }

  /** Sends `signal` to the node; with SIGKILL, resolves once it is gone. */
  async signal(name: NodeName, signal: NodeJS.Signals): Promise<void> {
    const node = this.node(name);
    node.kill(signal);
    if (signal === 'SIGKILL') await node.exited;
  }

  /** Starts `name` again, same ports, same data directory; resolves once it serves and is connected to both others. */
  async restart(name: NodeName): Promise<CliProcess> {
    const node = this.launch(name);
    await this.ready(name);
    return node;
  }

  /** Partitions `name`: every proxy to and from it becomes a black hole. */
  cut(name: NodeName): void {
    for (const proxy of this.proxiesOf(name)) proxy.cut();
  }

  heal(name: NodeName): void {
    for (const proxy of this.proxiesOf(name)) proxy.heal();
  }

  /** A line client on `name`'s text port, closed by stop(). */
  connect(name: NodeName): Promise<LineClient> {
    return this.clients.connect(this.textPorts[name]);
  }

  /** Every JSON log line `name` wrote, across its restarts. */
  logs(name: NodeName): LogLine[] {
    return this.started.filter((entry) => entry.name === name).flatMap((entry) => entry.process.logs as LogLine[]);
  }

  /** The first line `name` logged since `since` (epoch ms) whose msg is `msg` and whose fields match `fields`. */
  findLog(name: NodeName, msg: string, fields: Record<string, unknown>, since = 0): LogLine | undefined {
    return this.logs(name).find((line) => line.msg === msg && (line.time ?? 0) >= since && Object.entries(fields).every(([key, value]) => line[key] === value));
  }

  /** Waits until one of `names` logged `msg` with fields matching `fields` since `since`; resolves with the line. */
  async waitForLog(names: NodeName | readonly NodeName[], msg: string, fields: Record<string, unknown>, timeoutMs: number, since = 0): Promise<LogLine> {
    const among = typeof names === 'string' ? [names] : names;
    let found: LogLine | undefined;
    const look = () => among.some((name) => (found = this.findLog(name, msg, fields, since)) !== undefined);
    await waitUntil(look, timeoutMs, `${among.join(' or ')} to log ${msg} ${JSON.stringify(fields)}`);
    return found!;
  }

  /** The newest replication event (a takeover, a copy caught up, a primary deposed) for `bucket` on any node since `since`, or undefined. */
  lastReplicationEvent(bucket: string, since: number): (LogLine & { node: NodeName }) | undefined {
    const events = nodeNames.flatMap((node) => this.logs(node)
      .filter((line) => line.bucket === bucket && (line.time ?? 0) >= since && [tookOver, caughtUp, deposed].includes(line.msg ?? ''))
      .map((line) => ({ ...line, node })));
    return events.sort((a, b) => (a.time ?? 0) - (b.time ?? 0)).pop();
  }

  /** The replication and link events of every node since `since`, one line each, for the test's output. */
  timeline(since: number): string {
    const events = this.started.flatMap(({ name, process }) => (process.logs as LogLine[]).map((line) => ({ name, line })));
    return events
      .filter(({ line }) => (line.time ?? 0) >= since && /^replication:|^cluster peer (connected|disconnected)/.test(line.msg ?? ''))
      .sort((a, b) => (a.line.time ?? 0) - (b.line.time ?? 0))
      .map(({ name, line }) => {
        const { msg, time, level: _level, pid: _pid, name: _pino, node: _node, hostname: _host, ...fields } = line;
        return `+${(time ?? 0) - since} ms ${name}: ${msg} ${JSON.stringify(fields)}`;
      })
      .join('\n');
  }

  /** Stops every node cleanly (SIGTERM) and returns their exit codes. */
  async terminate(): Promise<Record<string, number | null>> {
    const running = [...this.current.entries()].filter(([, node]) => !node.closed);
    for (const [, node] of running) node.kill('SIGTERM');
    const codes = await Promise.all(running.map(async ([name, node]) => [name, (await node.exited).code] as const));
    return Object.fromEntries(codes);
  }

  /** Closes every client, kills every node (a paused one too), stops the proxies, removes the data. */
  async stop(): Promise<void> {
    this.clients.destroyAll();
    for (const { process } of this.started) process.kill('SIGKILL');
    await Promise.all(this.started.map(({ process }) => process.exited));
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * What `name` has voted on `bucket` (its replication votes file, lib/cluster/replication/votes.ts): the highest
   * epoch it promised and the newest configuration it accepted, as one line; '-' if it has none.
   */
  votes(name: NodeName, bucket: string): string {
    try {
      const votes = new Map<string, Vote>();
      readVotes(this.dataDir(name), votes);
      const vote = votes.get(bucket);
      if (!vote) return '-';
      const { accepted } = vote;
      return `promised ${vote.promised}, accepted ${accepted ? `${accepted.epoch} (primary ${accepted.primary}, copies ${accepted.copies.join(',')})` : 'none'}`;
    } catch {
      return '-';
    }
  }

  /** The data directory of `name`. */
  dataDir(name: NodeName): string {
    return path.join(this.dir, name);
  }

  private launch(name: NodeName): CliProcess {
    const peers = nodeNames.filter((other) => other !== name).flatMap((other) => ['--peer', `${other}=127.0.0.1:${this.proxies.get(pair(name, other))!.port}`]);
    const args = [
      '--node', name,
      '--port', String(this.textPorts[name]),
      '--cluster-port', String(this.clusterPorts[name]),
      '--replicas', '2',
      '--data-dir', this.dataDir(name),
      '--cluster-timeout-ms', String(clusterTimeoutMs),
      ...peers,
      ...routes.flatMap((route) => ['--route', route]),
    ];
    const node = CliProcess.start(args, { ACTOR_KV_SECRET: secret });
    this.started.push({ name, process: node });
    this.current.set(name, node);
    return node;
  }

  /** Waits for the text port's line and a connection to both other nodes. */
  private async ready(name: NodeName): Promise<void> {
    const node = this.node(name);
    await node.port();
    const others = nodeNames.filter((other) => other !== name);
    const connected = () => new Set(node.logs.filter((line) => line.msg === 'cluster peer connected').map((line) => line.peer));
    await waitUntil(() => others.every((other) => connected().has(other)), 10_000, `${name} to connect to ${others.join(' and ')}`);
  }

  private proxiesOf(name: NodeName): TcpProxy[] {
    return [...this.proxies.entries()].filter(([key]) => key.split('>').includes(name)).map(([, proxy]) => proxy);
  }
}

function pair(from: NodeName, to: NodeName): string {
  return `${from}>${to}`;
}

// --- replies -----------------------------------------------------------------

/** The next reply line without its terminator, waiting up to `deadline` (epoch ms); undefined if none came or the connection closed. */
export async function replyLine(client: LineClient, deadline: number): Promise<string | undefined> {
  for (;;) {
    try {
      // A nextLine that timed out took nothing: asking again keeps waiting for the same line.
      return (await client.nextLine()).replace(/\r?\n$/, '');
    } catch {
      if (client.ended || Date.now() >= deadline) return undefined;
    }
  }
}

/** A GET's result: the value ('' for a missing key), or the error line. */
export type Read = { value: string } | { error: string };

/** Sends GET and reads its reply (a value line then OK, or one error line). */
export async function get(client: LineClient, bucket: string, key: string, timeoutMs = 15_000): Promise<Read> {
  const deadline = Date.now() + timeoutMs;
  client.write(`GET ${bucket} ${key}\r\n`);
  const first = await replyLine(client, deadline);
  if (first === undefined) return { error: 'no reply' };
  if (first === 'NOT FOUND' || first.startsWith('ERROR')) return { error: first };
  const second = await replyLine(client, deadline);
  if (second !== 'OK') return { error: `after ${JSON.stringify(first)}: ${second === undefined ? 'no reply' : JSON.stringify(second)}` };
  return { value: first };
}

/** Sends one command and reads a one-line reply. */
export async function ask(client: LineClient, command: string, timeoutMs = 15_000): Promise<string | undefined> {
  client.write(`${command}\r\n`);
  return replyLine(client, Date.now() + timeoutMs);
}

// --- the ledger of writes ----------------------------------------------------

export interface Write {
  client: number;
  node: NodeName;
  bucket: string;
  key: string;
  value: number;
  sentAt: number;
  doneAt?: number;
  /** The reply line; undefined if none came (timeout, closed connection). */
  reply?: string;
}

interface KeyState {
  bucket: string;
  key: string;
  /** The last value sent (values of one key only grow). */
  sent: number;
  /** The last value acknowledged with OK; 0 if none. */
  acked: number;
  /** Values whose write got no OK: they may or may not have been applied. */
  indeterminate: Set<number>;
}

export interface Check {
  keys: number;
  /** An acknowledged key missing, or holding a value older than its last acknowledged one. */
  lost: string[];
  /** A value newer than the last acknowledged one that was not an indeterminate write, or no value ever written. */
  unexpected: string[];
  /** Reads that kept failing. */
  unreadable: string[];
}

export class Ledger {
  private readonly states = new Map<string, KeyState>();
  readonly writes: Write[] = [];

  /** The keys client `client` writes: keysPerBucket in each bucket, `c<client>-k<n>`. */
  constructor(readonly clients: number, readonly keysPerBucket: number) {
    for (let client = 0; client < clients; client++) {
      for (const bucket of buckets) {
        for (let n = 0; n < keysPerBucket; n++) {
          const key = `c${client}-k${n}`;
          this.states.set(id(bucket, key), { bucket, key, sent: 0, acked: 0, indeterminate: new Set() });
        }
      }
    }
  }

  /** Every key, as [bucket, key]. */
  keys(filter: (bucket: string) => boolean = () => true): Array<[string, string]> {
    return [...this.states.values()].filter((state) => filter(state.bucket)).map((state) => [state.bucket, state.key]);
  }

  keysOf(client: number): Array<[string, string]> {
    // Interleaved over the buckets, so each client writes both halves all the time.
    const mine = [...this.states.values()].filter((state) => state.key.startsWith(`c${client}-`));
    mine.sort((a, b) => a.key.localeCompare(b.key) || buckets.indexOf(a.bucket) - buckets.indexOf(b.bucket));
    return mine.map((state) => [state.bucket, state.key]);
  }

  /** The next value for a key, as a write about to be sent. */
  begin(client: number, node: NodeName, bucket: string, key: string): Write {
    const state = this.state(bucket, key);
    state.sent += 1;
    const write: Write = { client, node, bucket, key, value: state.sent, sentAt: Date.now() };
    this.writes.push(write);
    return write;
  }

  settle(write: Write, reply: string | undefined): void {
    write.doneAt = Date.now();
    write.reply = reply;
    const state = this.state(write.bucket, write.key);
    if (reply === 'OK') state.acked = Math.max(state.acked, write.value);
    else state.indeterminate.add(write.value);
  }

  acked(bucket: string, key: string): number {
    return this.state(bucket, key).acked;
  }

  /** Whether `value` was read legitimately for a key whose last acknowledged value was `ackedBefore` when the read was sent. */
  judge(bucket: string, key: string, ackedBefore: number, read: string): 'ok' | 'stale' | 'unexpected' {
    const state = this.state(bucket, key);
    const value = read === '' ? 0 : Number(read);
    if (!Number.isInteger(value) || value < 0 || value > state.sent) return 'unexpected';
    if (value < ackedBefore) return 'stale';
    // A value above the last acknowledged one now must be a write without an OK, or one still in flight.
    if (value > state.acked && !state.indeterminate.has(value) && !this.inFlight(state, value)) return 'unexpected';
    return 'ok';
  }

  /** Checks final reads (no write in flight) of every key. */
  check(reads: Map<string, Read>): Check {
    const result: Check = { keys: 0, lost: [], unexpected: [], unreadable: [] };
    for (const state of this.states.values()) {
      result.keys++;
      const name = id(state.bucket, state.key);
      const read = reads.get(name);
      if (!read || 'error' in read) {
        result.unreadable.push(`${name}: ${read ? read.error : 'not read'}`);
        continue;
      }
      const verdict = this.judge(state.bucket, state.key, state.acked, read.value);
      const detail = `${name}: read ${JSON.stringify(read.value)}, last acknowledged ${state.acked}, indeterminate [${[...state.indeterminate].join(',')}]`;
      if (verdict === 'stale') result.lost.push(detail);
      else if (verdict === 'unexpected') result.unexpected.push(detail);
    }
    return result;
  }

  /** The first write on `inBuckets` sent at or after `since` that was acknowledged, or undefined. */
  firstAckSince(since: number, inBuckets: readonly string[]): Write | undefined {
    return this.writes
      .filter((write) => write.sentAt >= since && write.reply === 'OK' && inBuckets.includes(write.bucket))
      .sort((a, b) => a.doneAt! - b.doneAt!)[0];
  }

  /** The longest time between two consecutive acknowledgements of writes on `inBuckets` answered within [from, to), and when it began. */
  longestAckGap(from: number, to: number, inBuckets: readonly string[]): { gapMs: number; after: number } {
    const times = this.writes
      .filter((write) => write.reply === 'OK' && inBuckets.includes(write.bucket) && write.doneAt! >= from && write.doneAt! < to)
      .map((write) => write.doneAt!)
      .sort((a, b) => a - b);
    let longest = { gapMs: 0, after: from };
    for (let index = 1; index < times.length; index++) {
      const gapMs = times[index]! - times[index - 1]!;
      if (gapMs > longest.gapMs) longest = { gapMs, after: times[index - 1]! };
    }
    return longest;
  }

  /** Counts of writes in [from, to): acknowledged, errors by code word, no reply. */
  summary(from = 0, to = Infinity): { sent: number; acked: number; errors: Record<string, number>; noReply: number; maxLatencyMs: number } {
    const writes = this.writes.filter((write) => write.sentAt >= from && write.sentAt < to && write.doneAt !== undefined);
    const errors: Record<string, number> = {};
    for (const write of writes) {
      if (write.reply === undefined || write.reply === 'OK') continue;
      const kind = errorKind(write.reply);
      errors[kind] = (errors[kind] ?? 0) + 1;
    }
    return {
      sent: writes.length,
      acked: writes.filter((write) => write.reply === 'OK').length,
      errors,
      noReply: writes.filter((write) => write.reply === undefined).length,
      maxLatencyMs: Math.max(0, ...writes.map((write) => write.doneAt! - write.sentAt)),
    };
  }

  private inFlight(state: KeyState, value: number): boolean {
    return this.writes.some((write) => write.bucket === state.bucket && write.key === state.key && write.value === value && write.doneAt === undefined);
  }

  private state(bucket: string, key: string): KeyState {
    const state = this.states.get(id(bucket, key));
    if (!state) throw new Error(`no such key in the ledger: ${bucket} ${key}`);
    return state;
  }
}

export function id(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

/** An error line shortened to what kind of error it is (its message with names and numbers taken out). */
export function errorKind(reply: string): string {
  return reply
    .replace(/\bnode \w+/g, 'node X')
    .replace(/\bbucket \w+/g, 'bucket B')
    .replace(/\d+/g, 'N')
    .slice(0, 120);
}

// --- load ---------------------------------------------------------------------

/** Clients writing their keys in turn, one request at a time each, until stop(). */
export class Load {
  private running = true;
  private readonly loops: Array<Promise<void>>;
  /** Why a client loop ended early, if one did. */
  readonly failures: string[] = [];

  /** One client per entry of `nodes` (client i on nodes[i]); a reply may take up to `replyTimeoutMs`. */
  constructor(
    private readonly cluster: ReplicationCluster,
    private readonly ledger: Ledger,
    nodes: readonly NodeName[],
    private readonly replyTimeoutMs = 15_000,
    /** A bound in case stop() never comes. */
    maxMs = 60_000,
  ) {
    const until = Date.now() + maxMs;
    this.loops = nodes.map((node, client) => this.run(client, node, until).catch((error: unknown) => void this.failures.push(`client ${client} on ${node}: ${String(error)}`)));
  }

  /** Lets each client finish its request in flight, then ends the load. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async run(client: number, node: NodeName, until: number): Promise<void> {
    let connection = await this.cluster.connect(node);
    const keys = this.ledger.keysOf(client);
    for (let turn = 0; this.running && Date.now() < until; turn++) {
      const [bucket, key] = keys[turn % keys.length]!;
      const write = this.ledger.begin(client, node, bucket, key);
      connection.write(`PUT ${bucket} ${key} ${write.value}\r\n`);
      const reply = await replyLine(connection, write.sentAt + this.replyTimeoutMs);
      this.ledger.settle(write, reply);
      if (reply === undefined) {
        // A reply may still come: this connection's replies can no longer be matched to requests.
        connection.destroy();
        connection = await this.cluster.connect(node);
      }
    }
  }
}

/** Reads every key of `keys` through `client`, retrying a key whose read fails until `deadline`. */
export async function readAll(client: LineClient, keys: ReadonlyArray<[string, string]>, deadline: number): Promise<{ reads: Map<string, Read>; retries: number; errors: Set<string> }> {
  const reads = new Map<string, Read>();
  /** The error lines of reads that were retried. */
  const errors = new Set<string>();
  let retries = 0;
  for (const [bucket, key] of keys) {
    if (client.ended || [...reads.values()].some((read) => 'error' in read && read.error === 'no reply')) {
      // Past a read without a reply, this connection's replies can no longer be matched to requests.
      reads.set(id(bucket, key), { error: 'not read: an earlier read got no reply' });
      continue;
    }
    let read = await get(client, bucket, key);
    if ('error' in read && read.error !== 'no reply' && Date.now() < deadline) {
      // A read may fail while a bucket changes hands: poll it until it succeeds or the deadline passes.
      await waitUntil(async () => {
        if ('error' in read) errors.add(`${bucket}: ${read.error}`);
        retries++;
        read = await get(client, bucket, key);
        return !('error' in read) || read.error === 'no reply';
      }, Math.max(0, deadline - Date.now()), `a read of ${bucket} ${key}`).catch(() => undefined);
    }
    reads.set(id(bucket, key), read);
  }
  return { reads, retries, errors };
}
