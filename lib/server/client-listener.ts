// What the text server and the RESP listener do alike to take clients: the
// socket, over TLS when a certificate is given, with the same options, and a
// listen that fails with LISTEN_FAILED and warns when it exposes the node.

import net from 'node:net';
import tls from 'node:tls';
import { errors } from '../errors';
import { isLoopback } from './access';
import type { ResolvedServerOptions } from './options';

/**
 * A server whose clients reach `accept`. Socket options:
 * 1. allowHalfOpen: a client that sends its requests and then shuts down
 *    its side (`nc -N`, a script) still gets every reply before we close.
 * 2. noDelay: replies are small and already batched per turn; Nagle's
 *    algorithm would only hold them back for the client's delayed ACK.
 * 3. keepAlive: finds peers that vanished without a FIN, so they do not
 *    hold a connection slot forever.
 * 4. tls: the same server over TLS when a certificate is given; a client
 *    reaches accept() once its handshake is done (a failed one never does).
 */
export function createClientServer(limits: ResolvedServerOptions, accept: (socket: net.Socket) => void): net.Server {
  const socketOptions = { allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 };
  const server = limits.tls ? tls.createServer({ ...socketOptions, cert: limits.tls.cert, key: limits.tls.key }, accept) : net.createServer(socketOptions, accept);
  server.on('tlsClientError', (error: Error, socket: net.Socket) => {
    limits.logger.debug({ remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: error.message }, 'client TLS handshake failed');
    socket.destroy();
  });
  return server;
}

/** Who listens, for its messages: 'the text server', its options' names, and the flag that sets its password. */
export interface ListenerNames {
  what: string;
  options: string;
  passwordFlag: string;
}

/** Listens on `host:port`; beyond loopback without a password, warns what protected mode does about it. */
export function listenForClients(server: net.Server, port: number, host: string, passwordSet: boolean, limits: ResolvedServerOptions, names: ListenerNames): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(errors.listenFailed(names.what, `${host}:${port}`, names.options, error));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      if (!isLoopback(host) && !passwordSet) {
        const consequence = limits.protectedMode ? 'protected mode serves loopback clients only' : 'protected mode is off: anyone who reaches the port can read and write every bucket';
        const bound = (server.address() as net.AddressInfo).port;
        limits.logger.warn({ host, port: bound }, `${names.what} listens beyond loopback without a password; ${consequence} (set ${names.passwordFlag})`);
      }
      resolve();
    });
  });
}
