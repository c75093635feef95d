// The TCP server of the text protocol (the guide's KVServer.accept loop): it
// accepts clients up to maxConnections and hands each to a Connection.

import net from 'node:net';
import { countConnections } from '../core/metrics';
import type { Store } from '../store';
import { Connection } from './connection';
import { accessFor, protectedModeRefusal } from './access';
import { AuthFailures } from './auth-failures';
import type { ClientShared } from './client-socket';
import { createClientServer, listenForClients } from './client-listener';
import { MemoryBudget } from './memory-budget';
import { ReadQuota } from './read-quota';
import { refusals } from './format';
import { Turn } from './turn';
import { sendAndClose } from './refuse';
import { RespListener, type RespAddress } from './resp/listener';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options';

/** A running text server. */
export interface KvServer {
  /** The port it listens on (the bound one when started with port 0). */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** Clients connected now (refused ones are not counted). */
  readonly connections: number;
  /** The RESP listener's address (the bound port when started with port 0), or null without the `resp` option. */
  readonly resp: RespAddress | null;
  /**
   * Stops accepting, answers every request already received, closes each
   * client, and resolves once all are closed. It does not stop the store.
   */
  close(): Promise<void>;
}

/** Starts the text server on `store`; resolves once it listens. */
export async function startServer(store: Store, options: ServerOptions = {}): Promise<KvServer> {
  const resolved = resolveServerOptions(options);
  const server = new TextServer(store, resolved);
  if (resolved.metrics) server.uncount = countEveryListener(resolved.metrics, server);
  try {
    await server.listen();
  } catch (error) {
    server.uncount();
    throw error;
  }
  return server;
}

/** Counts the server's clients, and its RESP listener's, by protocol; returns what stops counting both. */
function countEveryListener(metrics: NonNullable<ResolvedServerOptions['metrics']>, server: TextServer): () => void {
  const uncounts = [countConnections(metrics, 'text', () => server.connections)];
  const resp = server.resp;
  if (resp) uncounts.push(countConnections(metrics, 'resp', () => resp.connections));
  return () => uncounts.forEach((uncount) => uncount());
}

class TextServer implements KvServer {
  private readonly server: net.Server;
  private readonly clients = new Set<Connection>();
  private readonly turn = new Turn();
  private readonly budget: MemoryBudget;
  private readonly authFailures: AuthFailures;
  /** Lines cut per turn and requests in flight, all clients together: bound a turn's work and what the requests hold. */
  private readonly quota = new ReadQuota(2048, 16_384);
  /** What the text server's and the RESP listener's clients share: one turn, budget and quota. */
  private readonly shared: ClientShared;
  private closing: Promise<void> | undefined;
  readonly resp: RespListener | null;
  /** Removes its connection count from the metrics, if it reports one. */
  uncount: () => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedServerOptions,
  ) {
    this.budget = new MemoryBudget(options.maxClientMemoryBytes);
    this.authFailures = new AuthFailures(options.logger);
    this.server = createClientServer(options, (socket) => this.accept(socket));
    this.shared = { turn: this.turn, budget: this.budget, quota: this.quota, limits: options };
    this.resp = options.resp ? new RespListener(store, options.resp, this.shared, this.authFailures) : null;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  get host(): string {
    return this.options.host;
  }

  get connections(): number {
    return this.clients.size;
  }

  /** Starts the text server, then the RESP listener; if that one cannot listen, the text server is closed again. */
  async listen(): Promise<void> {
    await this.listenText();
    try {
      await this.resp?.listen();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  private listenText(): Promise<void> {
    const { port, host, password } = this.options;
    return listenForClients(this.server, port, host, password !== undefined, this.options, { what: 'the text server', options: 'options `host` and `port`', passwordFlag: '--password' });
  }

  private accept(socket: net.Socket): void {
    if (this.closing) return void socket.destroy();
    if (this.clients.size >= this.options.maxConnections) return this.refuse(socket, refusals.maxClients, 'maxConnections reached');
    const { password, protectedMode, host, isLocalAddress } = this.options;
    const access = accessFor(String(socket.remoteAddress), { boundHost: host, passwordSet: password !== undefined, protectedMode }, isLocalAddress);
    if (access === 'refuse') return this.refuse(socket, protectedModeRefusal, 'protected mode');
    const connection = new Connection(socket, this.store, this.shared, access === 'authenticate', this.authFailures);
    this.clients.add(connection);
    void connection.closed.then(() => this.clients.delete(connection));
  }

  // Node's own maxConnections drops extra clients without a word: accept,
  // say why, then close. Protected mode refuses the same way.
  private refuse(socket: net.Socket, line: string, reason: string): void {
    const fields = { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason };
    // Protected mode refuses whole scans of the internet: the startup warning said why, each refusal is debug.
    if (reason === 'protected mode') this.options.logger.debug(fields, 'client refused');
    else this.options.logger.warn({ ...fields, limit: this.options.maxConnections }, 'client refused');
    sendAndClose(socket, line, this.options.closeTimeoutMs);
  }

  close(): Promise<void> {
    this.uncount();
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const respClosed = this.resp?.close();
    for (const client of this.clients) client.shutdown();
    await Promise.all([...this.clients].map((client) => client.closed));
    await Promise.all([stopped, respClosed]);
  }
}
