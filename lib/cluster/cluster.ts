// This node's view of the cluster: the router, the transport, and a handle per
// node (its own LocalNode, a RemoteNode for each peer). The store asks it which
// node owns a bucket; cluster-wide buckets() and tree() ask every node.

import { now } from '../core/clock';
import type { EmitEvent } from '../core/events';
import type { Logger } from '../core/logger';
import type { NodeHandle } from '../core/node-handle';
import type { NodeTree } from '../core/tree';
import { toErrorData } from '../errors';
import type { ResolvedClusterOptions } from './options';
import type { PeerAddress, PeerState } from './peer';
import { encodeRequest } from './protocol';
import { RemoteNode } from './remote-node';
import { Replication } from './replication/replication';
import { VoteBook } from './replication/votes';
import { makePreferences, type Preferences } from './router';
import { serveRequest } from './serve';
import { Transport } from './transport';

/** What the cluster needs to know of this node's storage. */
export interface StorageFacts {
  /** Buckets survive a restart of the node (file or Redis storage). */
  durable: boolean;
  /** Where replication keeps its votes: the data directory, if there is one. */
  dir: string | undefined;
}

/** One node in the cluster-wide tree: its tree, or why it could not be asked. */
export type ClusterNodeTree = (NodeTree & { reachable: true }) | { node: string; reachable: false; reason: string };

/** Every node's supervision tree, sorted by node name. */
export interface ClusterTree {
  /** One entry per node, this one included; unreachable nodes are marked so. */
  nodes: ClusterNodeTree[];
}

export class Cluster {
  private constructor(
    private readonly self: string,
    private readonly preferences: Preferences,
    private readonly transport: Transport,
    private readonly handles: ReadonlyMap<string, NodeHandle>,
    /** With replicas: every bucket's calls go through it. */
    private readonly replication: Replication | undefined,
  ) {}

  /** Validates the routes, listens, and dials the peers once. */
  static async start(self: string, options: ResolvedClusterOptions, local: NodeHandle, logger: Logger, emit: EmitEvent, storage: StorageFacts): Promise<Cluster> {
    const nodes = [self, ...options.peers.keys()];
    const preferences = makePreferences(options.routes, nodes, options.replicas);
    // Read before listening: a damaged votes file refuses the start with nothing to undo.
    const votes = options.replicas > 1 ? VoteBook.in(storage.dir) : undefined;
    let replication: Replication | undefined;
    const transport = await Transport.start(
      { self, listen: options.listen, peers: options.peers },
      {
        handshake: { self, secret: options.secret, timeoutMs: options.handshakeTimeoutMs, maxFrameBytes: options.maxFrameBytes },
        connection: { requestTimeoutMs: options.requestTimeoutMs, maxFrameBytes: options.maxFrameBytes, maxBufferedBytes: options.maxBufferedBytes },
        reconnect: options.reconnect,
        serve: (request) => serveRequest(self, preferences, local, replication, request),
        logger,
        emit,
        tls: options.tls,
      },
    ).catch(async (error: unknown) => {
      await votes?.close(); // the port in use, say: the votes' file is not left open
      throw error;
    });
    const handles = new Map<string, NodeHandle>([[self, local]]);
    for (const name of options.peers.keys()) handles.set(name, new RemoteNode(transport.peer(name)));
    if (votes) {
      replication = new Replication({
        self,
        nodes,
        preferences,
        local,
        durable: storage.durable,
        votes,
        send: (node, request, timeoutMs) => new Promise((resolve) => transport.peer(node).request(encodeRequest(request), resolve, timeoutMs)),
        linkUp: (node) => transport.peer(node).state === 'up',
        requestTimeoutMs: options.requestTimeoutMs,
        logger,
      });
    }
    return new Cluster(self, preferences, transport, handles, replication);
  }

  /** The node that serves `bucket` (with replicas, the replication handle that finds its primary); throws NO_ROUTE. */
  owner(bucket: string): NodeHandle {
    const primary = this.preferences(bucket)[0]!;
    return this.replication ?? this.handles.get(primary)!;
  }

  /** The handle of node `name` itself (its own actors, not its buckets' primaries), or undefined. */
  node(name: string): NodeHandle | undefined {
    return this.handles.get(name);
  }

  /** This node's tree, with what it knows of its buckets' copies when there are replicas. */
  selfTree(): NodeTree | Promise<NodeTree> {
    return (this.replication ?? this.handles.get(this.self)!).tree();
  }

  /** Every node's name, sorted. */
  nodes(): string[] {
    return [...this.handles.keys()].sort();
  }

  /** Where this node accepts peers (the real port when 0 was asked for), or null. */
  address(): PeerAddress | null {
    return this.transport.address();
  }

  /** Each peer's connection state. */
  peers(): Record<string, PeerState> {
    return Object.fromEntries(this.nodes().filter((name) => name !== this.self).map((name) => [name, this.transport.peer(name).state]));
  }

  /**
   * The round-trip time (ms) of a ping to each peer whose link is up, measured
   * now; a peer that does not answer within `timeoutMs` is left out.
   */
  async roundTrips(timeoutMs: number): Promise<Record<string, number>> {
    const up = this.nodes().filter((name) => name !== this.self && this.transport.peer(name).state === 'up');
    const times = await Promise.all(up.map((name) => new Promise<[string, number] | undefined>((resolve) => {
      const sent = now();
      this.transport.peer(name).request(encodeRequest({ kind: 'ping' }), (outcome) => resolve(outcome.ok ? [name, now() - sent] : undefined), timeoutMs);
    })));
    return Object.fromEntries(times.filter((time) => time !== undefined));
  }

  /** The buckets of every reachable node, sorted (tree() tells which nodes were not reachable). */
  async buckets(): Promise<string[]> {
    const lists = await Promise.all(this.nodes().map((name) => Promise.resolve(this.handles.get(name)!.buckets()).catch(() => [])));
    // With replicas, a bucket is on several nodes: name it once.
    return [...new Set(lists.flat())].sort();
  }

  /** Every node's tree; a node that cannot be asked is marked unreachable with the reason. */
  tree(): Promise<ClusterTree> {
    const ask = async (node: string): Promise<ClusterNodeTree> => {
      try {
        const handle = node === this.self && this.replication ? this.replication : this.handles.get(node)!;
        return { ...(await handle.tree()), reachable: true };
      } catch (error) {
        return { node, reachable: false, reason: toErrorData(error).message };
      }
    };
    return Promise.all(this.nodes().map(ask)).then((nodes) => ({ nodes }));
  }

  async stop(): Promise<void> {
    this.replication?.stop();
    await this.transport.stop();
    await this.replication?.close();
  }
}
