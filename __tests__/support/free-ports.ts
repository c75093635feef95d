// Loopback ports that were free a moment ago: for a node that must know a
// peer's port before either starts, or for an address where nothing listens.

import { createServer } from 'node:net';

/** `count` distinct free ports, held open together so that none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  })));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** One free port. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
