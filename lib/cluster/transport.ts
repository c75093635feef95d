// The cluster transport of one node: a listener for peers that dial in, and a
// Peer for every other node. At most one connection per pair of nodes: an
// authenticated connection from a peer replaces the old one, and when two
// nodes dial each other at once, the connection dialed by the smaller name wins.

import { createServer, type Server, type Socket } from 'node:net';
import { errors, toErrorData } from '../errors';
import { acceptHandshake, HandshakeFailed } from './handshake-session';
import { Peer, type PeerAddress, type PeerContext } from './peer';

/**
 * Handshakes in progress at once. Past it, the oldest is dropped for the new
 * one: a real peer completes in a round trip or two, so connections that sit
 * silent (a squatter renewing them) are what gets dropped, not a reconnecting peer.
 */
const maxPendingHandshakes = 64;

export interface TransportOptions {
  /** This node's name. */
  self: string;
  /** Where to accept peers, or null to only dial out. */
  listen: PeerAddress | null;
  /** Every other node, with its address, or null if it only dials in. */
  peers: ReadonlyMap<string, PeerAddress | null>;
}

export class Transport {
  private readonly peers = new Map<string, Peer>();
  private readonly handshaking = new Set<Socket>();
  private server: Server | undefined;

  private constructor(
    private readonly options: TransportOptions,
    private readonly context: PeerContext,
  ) {
    for (const [name, address] of options.peers) this.peers.set(name, new Peer(name, address, context));
  }

  /** Listens, then dials every peer with an address once (resolves when each first attempt settled). */
  static async start(options: TransportOptions, context: PeerContext): Promise<Transport> {
    const transport = new Transport(options, context);
    if (options.listen) await transport.listen(options.listen);
    await Promise.all([...transport.peers.values()].map((peer) => peer.start()));
    return transport;
  }

  /** The peer named `name` (one of the configured peers). */
  peer(name: string): Peer {
    return this.peers.get(name)!;
  }

  /** Where this node accepts peers, once listening (the real port when 0 was asked for). */
  address(): PeerAddress | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? { host: address.address, port: address.port } : null;
  }

  async stop(): Promise<void> {
    for (const peer of this.peers.values()) peer.stop();
    for (const socket of this.handshaking) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(address: PeerAddress): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(errors.listenFailed('the cluster port', `${address.host}:${address.port}`, 'option `cluster.listen`', error));
      server.once('error', failed);
      server.listen(address.port, address.host, () => {
        server.off('error', failed);
        server.on('error', (error) => this.context.logger.error({ error: error.message }, 'cluster listener failed'));
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.handshaking.size >= maxPendingHandshakes) {
      const oldest = this.handshaking.values().next().value!;
      this.handshaking.delete(oldest);
      oldest.destroy();
    }
    this.handshaking.add(socket);
    const policy = {
      isPeer: (name: string) => this.peers.has(name),
      verdict: (name: string) => this.peer(name).verdictOnInbound(this.options.self),
    };
    acceptHandshake(socket, this.context.handshake, policy).then(
      (established) => {
        this.handshaking.delete(socket);
        this.peer(established.peer).attach(established);
      },
      (error: unknown) => {
        this.handshaking.delete(socket);
        if (error instanceof HandshakeFailed && error.duplicate) return;
        this.context.logger.warn({ remote, reason: toErrorData(error).message }, 'cluster connection refused');
      },
    );
  }
}
