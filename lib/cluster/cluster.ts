// This node's view of the cluster: the router, the transport, and a handle per
// node (its own LocalNode, a RemoteNode for each peer). The store asks it which
// node owns a bucket; cluster-wide buckets() and tree() ask every node.

import type { EmitEvent } from '../core/events';
import type { Logger } from '../core/logger';
import type { NodeHandle } from '../core/node-handle';
import type { NodeTree } from '../core/tree';
import { toErrorData } from '../errors';
import type { ResolvedClusterOptions } from './options';
import type { PeerAddress, PeerState } from './peer';
import { RemoteNode } from './remote-node';
import { makeRouter, type Router } from './router';
import { serveRequest } from './serve';
import { Transport } from './transport';

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
    private readonly router: Router,
    private readonly transport: Transport,
    private readonly handles: ReadonlyMap<string, NodeHandle>,
  ) {}

  /** Validates the routes, listens, and dials the peers once. */
  static async start(self: string, options: ResolvedClusterOptions, local: NodeHandle, logger: Logger, emit: EmitEvent): Promise<Cluster> {
    const router = makeRouter(options.routes, [self, ...options.peers.keys()]);
    const transport = await Transport.start(
      { self, listen: options.listen, peers: options.peers },
      {
        handshake: { self, secret: options.secret, timeoutMs: options.handshakeTimeoutMs, maxFrameBytes: options.maxFrameBytes },
        connection: { requestTimeoutMs: options.requestTimeoutMs, maxFrameBytes: options.maxFrameBytes, maxBufferedBytes: options.maxBufferedBytes },
        reconnect: options.reconnect,
        serve: (request) => serveRequest(self, router, local, request),
        logger,
        emit,
      },
    );
    const handles = new Map<string, NodeHandle>([[self, local]]);
    for (const name of options.peers.keys()) handles.set(name, new RemoteNode(transport.peer(name)));
    return new Cluster(self, router, transport, handles);
  }

  /** The node that owns `bucket`; throws NO_ROUTE. */
  owner(bucket: string): NodeHandle {
    return this.handles.get(this.router(bucket))!;
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

  /** The buckets of every reachable node, sorted (tree() tells which nodes were not reachable). */
  async buckets(): Promise<string[]> {
    const lists = await Promise.all(this.nodes().map((name) => Promise.resolve(this.handles.get(name)!.buckets()).catch(() => [])));
    return lists.flat().sort();
  }

  /** Every node's tree; a node that cannot be asked is marked unreachable with the reason. */
  tree(): Promise<ClusterTree> {
    const ask = async (node: string): Promise<ClusterNodeTree> => {
      try {
        return { ...(await this.handles.get(node)!.tree()), reachable: true };
      } catch (error) {
        return { node, reachable: false, reason: toErrorData(error).message };
      }
    };
    return Promise.all(this.nodes().map(ask)).then((nodes) => ({ nodes }));
  }

  stop(): Promise<void> {
    return this.transport.stop();
  }
}
