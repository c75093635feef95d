// The TCP server of the text protocol (the guide's KVServer.accept loop): it
// accepts clients up to maxConnections and hands each to a Connection.

import net from 'node:net';
import tls from 'node:tls';
import { countConnections } from '../core/metrics';
import { errors } from '../errors';
import type { Store } from '../store';
import { Connection } from './connection';
import { accessFor, isLoopback, protectedModeRefusal } from './access';
import { AuthFailures } from './auth-failures';
import type { ClientShared } from './client-socket';
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
    // Socket options:
    // 1. allowHalfOpen: a client that sends its requests and then shuts down
    //    its side (`nc -N`, a script) still gets every reply before we close.
    // 2. noDelay: replies are small and already batched per turn; Nagle's
    //    algorithm would only hold them back for the client's delayed ACK.
    // 3. keepAlive: finds peers that vanished without a FIN, so they do not
    //    hold a connection slot forever.
    // 4. tls: the same server over TLS when a certificate is given; a client
    //    reaches accept() once its handshake is done (a failed one never does).
    const socketOptions = { allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 };
    this.server = options.tls
      ? tls.createServer({ ...socketOptions, cert: options.tls.cert, key: options.tls.key }, (socket) => this.accept(socket))
      : net.createServer(socketOptions, (socket) => this.accept(socket));
    this.shared = { turn: this.turn, budget: this.budget, quota: this.quota, limits: options };
    this.resp = options.resp ? new RespListener(store, options.resp, this.shared, this.authFailures) : null;
    this.server.on('tlsClientError', (error: Error, socket: net.Socket) => {
      this.options.logger.debug({ remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: error.message }, 'client TLS handshake failed');
      socket.destroy();
    });
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
    const { port, host } = this.options;
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(errors.listenFailed('the text server', `${host}:${port}`, 'options `host` and `port`', error));
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        if (!isLoopback(host) && this.options.password === undefined) {
          const consequence = this.options.protectedMode ? 'protected mode serves loopback clients only' : 'protected mode is off: anyone who reaches the port can read and write every bucket';
          this.options.logger.warn({ host, port: this.port }, `the text server listens beyond loopback without a password; ${consequence} (set --password)`);
        }
        resolve();
      });
    });
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
