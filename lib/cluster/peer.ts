// One peer node as this node sees it: down, dialing or up. Dials when it knows
// the peer's address, redials with backoff after a loss, and makes requests
// fail fast while the peer is not up: a caller never waits for a reconnect
// that may not come. Failed dials are logged as an outage (outage-log.ts):
// the first, then summaries, then one line when the peer is back.

import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { EmitEvent } from '../core/events';
import type { Logger } from '../core/logger';
import { failed, type Outcome } from '../core/operations';
import { OutageLog } from '../core/outage-log';
import { errors, toErrorData } from '../errors';
import { backoffDelay, type BackoffOptions } from './backoff';
import { Connection, type ConnectionSettings, type Serve } from './connection';
import { clusterErrors } from './errors';
import type { Verdict } from './handshake';
import { dialHandshake, HandshakeFailed, type Established, type HandshakeSettings } from './handshake-session';
import type { EncodedRequest } from './protocol';
import { certificateNames, type ClusterTlsOptions } from './tls';

/** Where a peer listens. */
export interface PeerAddress {
  host: string;
  port: number;
}

export type PeerState = 'down' | 'dialing' | 'up';

/** What every peer of one node shares. */
export interface PeerContext {
  handshake: HandshakeSettings;
  connection: ConnectionSettings;
  reconnect: BackoffOptions;
  serve: Serve;
  logger: Logger;
  emit: EmitEvent;
  /** Mutual TLS between the nodes, or null for plain TCP. */
  tls: ClusterTlsOptions | null;
}

export class Peer {
  private connection: Connection | undefined;
  /** The socket of the dial in progress, if any. */
  private dialing: Socket | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failedDials = 0;
  private readonly outage = new OutageLog();
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly address: PeerAddress | null,
    private readonly context: PeerContext,
  ) {}

  get state(): PeerState {
    return this.connection ? 'up' : this.dialing ? 'dialing' : 'down';
  }

  /** Sends an encoded request; `answer` gets its outcome, NODE_UNAVAILABLE at once if the peer is not up. */
  request(request: EncodedRequest | undefined, answer: (outcome: Outcome<unknown>) => void, timeoutMs?: number): void {
    if (!this.connection) return answer(failed((this.stopped ? errors.stopped() : clusterErrors.unavailable(this.name)).toData()));
    this.connection.request(request, answer, timeoutMs);
  }

  /** The longest frame body sent to or accepted from the peer. */
  get maxFrameBytes(): number {
    return this.context.connection.maxFrameBytes;
  }

  /** Dials the peer if its address is known; resolves once this first attempt settled. */
  async start(): Promise<void> {
    if (this.address && !this.connection) await this.dial();
  }

  /**
   * The acceptor's verdict on an authenticated connection from this peer. If
   * both nodes dialed at once, the connection dialed by the smaller name wins,
   * on both sides alike.
   */
  verdictOnInbound(self: string): Verdict {
    return this.dialing && self < this.name ? 'duplicate' : 'ok';
  }

  /** Makes an authenticated connection this peer's connection (replacing any older one). */
  attach(established: Established): void {
    if (this.stopped) return void established.socket.destroy();
    this.dialing?.destroy();
    this.dialing = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // The peer dialed again, so it no longer uses the old connection (it restarted, say).
    const old = this.connection;
    this.connection = undefined;
    old?.close('replaced by a new connection');
    this.failedDials = 0;
    const connection = new Connection(established, this.context.connection, this.context.serve, (closed, reason) => this.lost(closed, reason));
    this.connection = connection;
    // After failed dials, this line is also the one that says the outage is over.
    const outage = this.outage.recovered();
    const after = outage ? { failedDials: outage.attempts, failingSince: new Date(outage.since).toISOString() } : {};
    this.context.logger.info({ peer: this.name, ...after }, 'cluster peer connected');
    this.context.emit('peerUp', { peer: this.name });
    connection.start();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.dialing?.destroy();
    this.dialing = undefined;
    const connection = this.connection;
    this.connection = undefined;
    // The calls still waiting for the peer were made on a store that is stopping.
    connection?.close('this node is stopping', errors.stopped().toData());
  }

  private async dial(): Promise<void> {
    const { host, port } = this.address!;
    this.context.logger.debug({ peer: this.name, address: `${host}:${port}`, attempt: this.failedDials + 1 }, 'cluster peer dialing');
    const socket = this.open(host, port);
    this.dialing = socket;
    try {
      const established = await dialHandshake(socket, this.context.handshake, this.name);
      if (this.dialing !== socket) return void socket.destroy();
      this.dialing = undefined;
      this.attach(established);
    } catch (error) {
      // Superseded by an inbound connection, or this node is stopping: nothing to do.
      if (this.dialing !== socket) return;
      this.dialing = undefined;
      this.dialFailed(error);
    }
  }

  /** A TCP connection to the peer, or with TLS one that holds only if the peer's certificate names it. */
  private open(host: string, port: number): Socket {
    const { tls } = this.context;
    if (!tls) return connect({ host, port });
    const checkServerIdentity = (_host: string, cert: Parameters<typeof certificateNames>[0]): Error | undefined =>
      certificateNames(cert, this.name) ? undefined : new Error(`the node at ${host}:${port} has a TLS certificate for ${cert?.subject?.CN ?? 'nobody'}, not ${this.name}`);
    return connectTls({ host, port, cert: tls.cert, key: tls.key, ca: tls.ca, checkServerIdentity });
  }

  private dialFailed(error: unknown): void {
    this.failedDials += 1;
    if (!(error instanceof HandshakeFailed && error.duplicate)) this.logFailure(error);
    this.scheduleRetry();
  }

  /** The first failure of an outage in full, then a summary now and then; every one at debug level. */
  private logFailure(error: unknown): void {
    const { logger } = this.context;
    const address = `${this.address!.host}:${this.address!.port}`;
    const refused = error instanceof HandshakeFailed ? error.refused : undefined;
    const reason = refused ?? toErrorData(error).message;
    const report = this.outage.failed();
    if (!report) return logger.debug({ peer: this.name, address, reason }, 'cluster peer dial failed');
    if (report.kind === 'summary') {
      const since = new Date(report.since).toISOString();
      return logger.warn({ peer: this.name, address, attempts: report.attempts, since, reason }, 'cluster peer still failing');
    }
    logger.warn({ peer: this.name, address, reason }, refused ? 'cluster peer refused the handshake' : 'cluster peer unreachable');
  }

  private lost(connection: Connection, reason: string): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    if (this.stopped) return;
    this.context.logger.warn({ peer: this.name, reason }, 'cluster peer disconnected');
    this.context.emit('peerDown', { peer: this.name, reason });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || !this.address || this.retryTimer) return;
    const delay = backoffDelay(this.failedDials, this.context.reconnect);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.connection && !this.dialing && !this.stopped) void this.dial();
    }, delay);
  }
}
