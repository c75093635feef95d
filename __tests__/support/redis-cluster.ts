// A real Redis Cluster for the integration tests: 3 masters and 3 replicas of
// the Debian redis-server on loopback, each in its own temporary directory,
// joined by `redis-cli --cluster create`, and torn down by the test. Faults are
// made the way an operator would meet them: SIGKILL of a master, a resharding
// with `redis-cli --cluster reshard`.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { waitUntil } from './deadlines';
import { freePorts } from './free-ports';

const run = promisify(execFile);

/** The commands a cluster needs (for describeWithRedis). */
export const redisClusterNeeds = ['redis-server', 'redis-cli'] as const;

/** One line of CLUSTER NODES. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  failed: boolean;
  /** For a master, the slot ranges it serves, as [first, last]. */
  slots: Array<[number, number]>;
}

/** PEM files for a cluster over TLS: the nodes' certificate (valid for 127.0.0.1) and key, and their CA. */
export interface ClusterTlsFiles {
  cert: string;
  key: string;
  ca: string;
}

export class RedisCluster {
  private readonly children = new Map<number, ChildProcess>();
  /** One plain connection per node for the test's own commands (a redis-cli per poll would load the cores). */
  private readonly connections = new Map<number, Redis>();

  private constructor(
    private readonly dir: string,
    /** Client port -> cluster bus port. */
    private readonly ports: Map<number, number>,
    private readonly nodeTimeoutMs: number,
    /** With these, every node speaks TLS only (to clients, to each other, and to its replicas). */
    private readonly tls?: ClusterTlsFiles,
  ) {}

  /** 'host:port' of every node started, for a client to begin with. */
  get seeds(): string[] {
    return [...this.ports.keys()].map((port) => `127.0.0.1:${port}`);
  }

  /** Starts 3 masters with `replicas` replicas each and resolves once the cluster serves every slot. */
  static async start({ nodeTimeoutMs = 1000, replicas = 1, tls }: { nodeTimeoutMs?: number; replicas?: number; tls?: ClusterTlsFiles } = {}): Promise<RedisCluster> {
    const count = 3 * (1 + replicas);
    const ports = await freePorts(2 * count);
    const pairs = new Map(Array.from({ length: count }, (_, index): [number, number] => [ports[2 * index]!, ports[2 * index + 1]!]));
    const cluster = new RedisCluster(mkdtempSync(path.join(tmpdir(), 'actor-kv-redis-cluster-')), pairs, nodeTimeoutMs, tls);
    try {
      await Promise.all([...pairs.keys()].map((port) => cluster.startNode(port)));
      await run('redis-cli', [...cluster.cliTls(), '--cluster', 'create', ...cluster.seeds, '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 });
      await cluster.waitHealthy();
      if (replicas > 0) await cluster.waitReplicasOnline();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** redis-cli's flags to reach the nodes. */
  private cliTls(): string[] {
    return this.tls ? ['--tls', '--cacert', this.tls.ca] : [];
  }

  private async startNode(port: number, { keepDirectory = false } = {}): Promise<void> {
    const dir = path.join(this.dir, String(port));
    if (!keepDirectory) mkdirSync(dir);
    const listen = this.tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes', '--tls-cert-file', this.tls.cert, '--tls-key-file', this.tls.key, '--tls-ca-cert-file', this.tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(port)];
    const args = [
      ...listen, '--cluster-port', String(this.ports.get(port)), '--bind', '127.0.0.1',
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(this.nodeTimeoutMs),
      '--save', '', '--appendonly', 'no', '--dir', dir,
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore', cwd: dir });
    this.children.set(port, child);
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}) instead of starting on port ${port}`);
      return (await this.command(port, 'PING').catch(() => '')) === 'PONG';
    }, 10_000, `redis-server to answer PING on port ${port}`);
  }

  /** One command to the node on `port`; its reply as text. */
  async command(port: number, ...args: string[]): Promise<string> {
    return String(await this.connection(port).call(args[0]!, ...args.slice(1)));
  }

  /** Every key on the node on `port` that matches `pattern`. */
  async scan(port: number, pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, page] = await this.connection(port).scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...page);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }

  private connection(port: number): Redis {
    let connection = this.connections.get(port);
    if (!connection) {
      connection = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, commandTimeout: 2000, retryStrategy: () => 100, ...(this.tls ? { tls: { ca: readFileSync(this.tls.ca) } } : {}) });
      connection.on('error', () => {}); // a node the test killed: its commands fail, and the test expects that
      this.connections.set(port, connection);
    }
    return connection;
  }

  /** The ports of the nodes still running. */
  get livePorts(): number[] {
    return [...this.children].filter(([, child]) => child.exitCode === null && child.signalCode === null).map(([port]) => port);
  }

  /** The cluster as a live node sees it. */
  async nodes(): Promise<ClusterNodeInfo[]> {
    const text = await this.command(this.livePorts[0]!, 'CLUSTER', 'NODES');
    return text.split('\n').filter(Boolean).map(parseNodeLine);
  }

  /** The slot of `key`, as Redis computes it. */
  async slotOf(key: string): Promise<number> {
    return Number(await this.command(this.livePorts[0]!, 'CLUSTER', 'KEYSLOT', key));
  }

  /** The port of the master that serves `key` now. */
  async masterOf(key: string): Promise<number> {
    const slot = await this.slotOf(key);
    const master = (await this.nodes()).find((node) => node.role === 'master' && !node.failed && node.slots.some(([first, last]) => slot >= first && slot <= last));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master.port;
  }

  /** Resolves once every live node says the cluster is ok, and agrees on every slot having a live master. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await waitUntil(async () => {
      for (const port of this.livePorts) {
        const info = await this.command(port, 'CLUSTER', 'INFO').catch(() => '');
        if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
      }
      const live = new Set(this.livePorts);
      const masters = (await this.nodes()).filter((node) => node.role === 'master' && node.slots.length > 0);
      return masters.every((node) => live.has(node.port) && !node.failed);
    }, timeoutMs, 'the Redis Cluster to serve every slot from a live master');
  }

  /** Resolves once every master's replicas have finished their first sync (WAIT counts only those). */
  async waitReplicasOnline(timeoutMs = 20_000): Promise<void> {
    await waitUntil(async () => {
      const masters = (await this.nodes()).filter((node) => node.role === 'master' && !node.failed);
      for (const master of masters) {
        const info = await this.command(master.port, 'INFO', 'replication');
        const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
        if (replicas === 0 || (info.match(/state=online/g) ?? []).length < replicas) return false;
      }
      return true;
    }, timeoutMs, "every master's replica to be in sync");
  }

  /** Kills one node at once (SIGKILL): no goodbye to its peers or clients. */
  kill(port: number): void {
    this.children.get(port)?.kill('SIGKILL');
  }

  /** Starts a killed node again from its directory: it rejoins, and finds it is now its old replica's replica. */
  async restart(port: number): Promise<void> {
    await this.startNode(port, { keepDirectory: true });
  }

  /**
   * Moves `slots` slots from the master on `fromPort` to the one on `toPort`
   * (its lowest ones: redis-cli takes them in order), keys included, as an
   * operator would; one key per MIGRATE, so that a
   * bucket's keys are split between the two masters for a while.
   */
  async reshard(fromPort: number, toPort: number, slots: number): Promise<void> {
    const nodes = await this.nodes();
    const idOf = (port: number): string => nodes.find((node) => node.port === port)!.id;
    await run('redis-cli', [
      ...this.cliTls(), '--cluster', 'reshard', `127.0.0.1:${this.livePorts[0]}`,
      '--cluster-from', idOf(fromPort), '--cluster-to', idOf(toPort), '--cluster-slots', String(slots), '--cluster-pipeline', '1', '--cluster-yes',
    ], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  }

  /** Kills every node and removes their directories. */
  async stop(): Promise<void> {
    for (const connection of this.connections.values()) connection.disconnect();
    await Promise.all([...this.children.values()].map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    }));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...` */
function parseNodeLine(line: string): ClusterNodeInfo {
  const [id, address, flags, , , , , , ...slots] = line.split(' ');
  const port = Number(/:(\d+)@/.exec(address!)![1]);
  const flagList = flags!.split(',');
  return {
    id: id!,
    port,
    role: flagList.includes('master') ? 'master' : 'replica',
    failed: flagList.includes('fail') || flagList.includes('fail?'),
    slots: slots.filter((slot) => /^\d/.test(slot)).map((range) => {
      const [first, last] = range.split('-').map(Number);
      return [first!, last ?? first!];
    }),
  };
}
