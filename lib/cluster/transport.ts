// The cluster transport of one node: a listener for peers that dial in, and a
// Peer for every other node. At most one connection per pair of nodes: an
// authenticated connection from a peer replaces the old one, and when two
// nodes dial each other at once, the connection dialed by the smaller name wins.
// Refused handshakes are logged per source as outages (outage-log.ts), so a
// node with the wrong secret that retries every few seconds costs a few lines.

import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { OutageLog } from '../core/outage-log';
import { errors, toErrorData } from '../errors';
import { acceptHandshake, HandshakeFailed } from './handshake-session';
import { Peer, type PeerAddress, type PeerContext } from './peer';
import { wrongPeer } from './tls';

/**
 * Handshakes in progress at once. Past it, the oldest is dropped for the new
 * one: a real peer completes in a round trip or two, so connections that sit
 * silent (a squatter renewing them) are what gets dropped, not a reconnecting peer.
 */
const maxPendingHandshakes = 64;

/** Sources (a host, and the node it claimed to be) whose refusals are followed; past it, the least recent is forgotten. */
const maxRefusedSources = 256;

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
  /** The outage of each source whose handshakes keep failing, least recent first. */
  private readonly refused = new Map<string, OutageLog>();
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
    const { tls } = this.context;
    // With TLS, a connection reaches accept() only once its certificate checked out against the CA.
    const server = tls
      ? createTlsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true }, (socket) => this.accept(socket))
      : createServer((socket) => this.accept(socket));
    // A plain TCP client or a certificate from another CA: refused by TLS before any byte of ours.
    server.on('tlsClientError', (error, socket) => {
      this.logRefusal(String(socket.remoteAddress), `${socket.remoteAddress}:${socket.remotePort}`, error);
      socket.destroy();
    });
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
    const host = String(socket.remoteAddress);
    const remote = `${host}:${socket.remotePort}`;
    this.context.logger.debug({ remote }, 'cluster connection accepted');
    if (this.handshaking.size >= maxPendingHandshakes) {
      const oldest = this.handshaking.values().next().value!;
      this.handshaking.delete(oldest);
      oldest.destroy();
    }
    this.handshaking.add(socket);
    const policy = {
      isPeer: (name: string) => this.peers.has(name),
      verdict: (name: string) => this.peer(name).verdictOnInbound(this.options.self),
      // Checked at the hello, before any proof is exchanged: a certificate for another node ends it there.
      notWho: (name: string) => (this.context.tls ? wrongPeer(socket as TLSSocket, name) : undefined),
    };
    acceptHandshake(socket, this.context.handshake, policy).then(
      (established) => {
        this.handshaking.delete(socket);
        this.refused.delete(sourceKey(host, established.peer));
        this.peer(established.peer).attach(established);
      },
      (error: unknown) => {
        this.handshaking.delete(socket);
        if (error instanceof HandshakeFailed && error.duplicate) return;
        this.logRefusal(host, remote, error);
      },
    );
  }

  /** The first refusal from a source in full, then a summary now and then; every one at debug level. */
  private logRefusal(host: string, remote: string, error: unknown): void {
    const peer = error instanceof HandshakeFailed ? error.peer : undefined;
    const key = sourceKey(host, peer);
    const outage = this.refused.get(key) ?? new OutageLog();
    this.refused.delete(key); // re-inserted last: the map's order is from least to most recent
    this.refused.set(key, outage);
    if (this.refused.size > maxRefusedSources) this.refused.delete(this.refused.keys().next().value!);
    const fields = { remote, ...(peer === undefined ? {} : { peer }), reason: toErrorData(error).message };
    const report = outage.failed();
    const { logger } = this.context;
    if (!report) return logger.debug(fields, 'cluster connection refused');
    if (report.kind === 'first') return logger.warn(fields, 'cluster connection refused');
    logger.warn({ ...fields, attempts: report.attempts, since: new Date(report.since).toISOString() }, 'cluster connection still refused');
  }
}

/** Who keeps failing: the host, and the node it said it was (several nodes may share a host). */
function sourceKey(host: string, peer: string | undefined): string {
  return `${peer ?? ''}@${host}`;
}
