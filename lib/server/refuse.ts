// Refusing a client politely, for both protocols: Node's own maxConnections
// drops extra clients without a word, so accept, say why, then close (and
// destroy the socket if the client does not close within closeTimeoutMs).

import type { Socket } from 'node:net';

export function sendAndClose(socket: Socket, text: string, closeTimeoutMs: number): void {
  socket.on('error', () => {});
  socket.end(text);
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), closeTimeoutMs);
  socket.once('close', () => clearTimeout(timer));
}
