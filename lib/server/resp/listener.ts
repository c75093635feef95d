// The Redis-protocol listener: accepts clients up to maxConnections, applies
// protected mode and the password as the text server does, and hands each
// client to a RespClient. It shares the text server's store, limits, memory
// budget, read quota, AUTH failure delays, logger and request turn, and
// closes with it.

import net from 'node:net';
import type { Store } from '../../store';
import { accessFor } from '../access';
import type { AuthFailures } from '../auth-failures';
import type { ResolvedServerOptions } from '../options';
import { createClientServer, listenForClients } from '../client-listener';
import { sendAndClose } from '../refuse';
import type { ClientShared } from '../client-socket';
import { RespClient } from './client';
import type { ListenerView, Session } from './command';
import type { ResolvedRespOptions } from './options';
import { error } from './reply';

/** Where the RESP listener listens. */
export interface RespAddress {
  readonly port: number;
  readonly host: string;
}

const maxClientsReached = error('ERR', 'max number of clients reached');
const protectedModeRefusal = error(
  'DENIED',
  'protected mode: this node listens beyond loopback without a password, so it serves loopback clients only; set a password (--resp-password or --password) and AUTH, or turn protected mode off on purpose (--protected-mode no)',
);

export class RespListener implements RespAddress, ListenerView {
  private readonly server: net.Server;
  private readonly clients = new Set<RespClient>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  readonly startedAt = Date.now();
  readonly stats = { connectionsReceived: 0, commandsProcessed: 0, rejectedConnections: 0 };
  readonly knownBuckets = new Set<string>();
  readonly host: string;
  private readonly password: string | undefined;

  private readonly limits: ResolvedServerOptions;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedRespOptions,
    /** The text server's turn, budget, read quota and limits. */
    private readonly shared: ClientShared,
    private readonly authFailures: AuthFailures,
  ) {
    this.limits = shared.limits;
    this.host = options.host ?? this.limits.host;
    this.password = options.password ?? this.limits.password;
    this.server = createClientServer(this.limits, (socket) => this.accept(socket));
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  get maxClients(): number {
    return this.limits.maxConnections;
  }

  /** Clients connected now. */
  get connections(): number {
    return this.clients.size;
  }

  sessions(): Iterable<Session> {
    return this.clients;
  }

  listen(): Promise<void> {
    const names = { what: 'the RESP listener', options: 'options `resp.host` and `resp.port`', passwordFlag: '--resp-password' };
    return listenForClients(this.server, this.options.port, this.host, this.password !== undefined, this.limits, names);
  }

  private accept(socket: net.Socket): void {
    if (this.closing) return void socket.destroy();
    this.stats.connectionsReceived++;
    if (this.clients.size >= this.limits.maxConnections) {
      this.stats.rejectedConnections++;
      this.limits.logger.warn({ remote: `${socket.remoteAddress}:${socket.remotePort}`, limit: this.limits.maxConnections, protocol: 'resp' }, 'client refused');
      return sendAndClose(socket, maxClientsReached, this.limits.closeTimeoutMs);
    }
    const policy = { boundHost: this.host, passwordSet: this.password !== undefined, protectedMode: this.limits.protectedMode };
    if (accessFor(String(socket.remoteAddress), policy, this.limits.isLocalAddress) === 'refuse') {
      this.stats.rejectedConnections++;
      return sendAndClose(socket, protectedModeRefusal, this.limits.closeTimeoutMs);
    }
    const env = { store: this.store, options: this.options, password: this.password, authFailures: this.authFailures, listener: this };
    const client = new RespClient(socket, this.shared, env, this.nextId++);
    this.clients.add(client);
    void client.closed.then(() => this.clients.delete(client));
  }

  /** Stops accepting, answers the requests already received, closes every client. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const client of this.clients) client.shutdown();
      await Promise.all([...this.clients].map((client) => client.closed));
      await stopped;
    })();
    return this.closing;
  }
}
