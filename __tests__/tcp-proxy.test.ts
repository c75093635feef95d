// The TCP proxy that fault tests put between nodes: an echo server behind it,
// real sockets on 127.0.0.1. A cut must swallow bytes without closing
// anything, a heal must bring back old and new connections alike.

import net from 'node:net';
import { waitUntil } from './support/deadlines';
import { freePort } from './support/free-ports';
import { TcpProxy } from './support/tcp-proxy';

/** An echo server that records what it read and the connections it accepted. */
class EchoServer {
  received = '';
  readonly sockets: net.Socket[] = [];
  private constructor(readonly server: net.Server) {
    server.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('error', () => {});
      socket.on('data', (data) => {
        this.received += data.toString('latin1');
        socket.write(data);
      });
    });
  }
  static start(): Promise<EchoServer> {
    const echo = new EchoServer(net.createServer());
    return new Promise((resolve) => echo.server.listen(0, '127.0.0.1', () => resolve(echo)));
  }
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }
  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A client of the proxy that records what it read and whether it was closed. */
class Client {
  received = '';
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (data) => (this.received += data.toString('latin1')));
    socket.on('close', () => (this.closed = true));
  }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Client(socket)));
      socket.on('error', () => {}).once('error', reject);
    });
  }
  async echoes(text: string): Promise<void> {
    this.socket.write(text);
    await waitUntil(() => this.received.includes(text), undefined, `the echo of ${JSON.stringify(text)}`);
  }
}

/**
 * Waits a short fixed window in which nothing may arrive (a black hole gives
 * no event to wait for), then one more turn of the event loop: so the proxy
 * has read what was written before, even if the timer fired late.
 */
async function quietWindow(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  await new Promise((resolve) => setImmediate(resolve));
}

describe('TcpProxy', () => {
  let echo: EchoServer;
  let proxy: TcpProxy;
  const clients: Client[] = [];
  const connect = async (): Promise<Client> => {
    const client = await Client.connect(proxy.port);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    echo = await EchoServer.start();
    proxy = await TcpProxy.start(echo.port);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await proxy.stop();
    await echo.stop();
  });

  test('bytes pass both ways', async () => {
    const client = await connect();
    await client.echoes('hello');
    expect(echo.received).toBe('hello');
  });

  test('a cut swallows bytes and closes nothing; after a heal the same connection carries bytes again', async () => {
    const client = await connect();
    await client.echoes('before');
    proxy.cut();
    client.socket.write('lost');
    await quietWindow();
    expect(echo.received).toBe('before');
    expect(client.received).toBe('before');
    expect(client.closed).toBe(false);
    expect(echo.sockets.every((socket) => !socket.destroyed && !socket.readableEnded)).toBe(true);
    proxy.heal();
    await client.echoes('after');
    expect(echo.received).toBe('beforeafter');
    expect(client.received).toBe('beforeafter');
  });

  test("while cut, the echo server's answers are swallowed too", async () => {
    const client = await connect();
    await client.echoes('a');
    proxy.cut();
    echo.sockets[0]!.write('unasked');
    await quietWindow();
    expect(client.received).toBe('a');
    proxy.heal();
    await client.echoes('b');
    expect(client.received).toBe('ab');
  });

  test('a connection opened while cut is not dialed upstream, and works after a heal', async () => {
    proxy.cut();
    const client = await connect();
    client.socket.write('early');
    await quietWindow();
    expect(echo.sockets).toHaveLength(0);
    expect(client.closed).toBe(false);
    proxy.heal();
    await client.echoes('late');
    expect(echo.received).toBe('late');
  });

  test('resetAll() closes the client side and the upstream side', async () => {
    const client = await connect();
    await client.echoes('x');
    proxy.resetAll();
    await waitUntil(() => client.closed, undefined, 'the client to be closed');
    await waitUntil(() => echo.sockets[0]!.destroyed, undefined, 'the upstream connection to be closed');
  });

  test('the upstream closing closes the client, unless cut', async () => {
    const client = await connect();
    await client.echoes('x');
    proxy.cut();
    echo.sockets[0]!.destroy();
    await quietWindow();
    expect(client.closed).toBe(false);
    proxy.heal();
    await waitUntil(() => client.closed, undefined, 'the client to be closed at the heal');
  });

  test('nothing listening upstream: the client is closed', async () => {
    proxy.retarget(await freePort());
    const client = await connect();
    await waitUntil(() => client.closed, undefined, 'the client to be closed');
  });

  test('retarget() sends new connections to the new target, old ones keep theirs', async () => {
    const other = await EchoServer.start();
    try {
      const old = await connect();
      await old.echoes('old');
      proxy.retarget(other.port);
      const fresh = await connect();
      await fresh.echoes('new');
      await old.echoes('still old');
      expect(echo.received).toBe('oldstill old');
      expect(other.received).toBe('new');
    } finally {
      await proxy.stop(); // before the other echo server, whose close waits for its connections
      await other.stop();
    }
  });

  test('stop() closes the listener and every connection', async () => {
    const client = await connect();
    await client.echoes('x');
    await proxy.stop();
    await waitUntil(() => client.closed, undefined, 'the client to be closed');
    await expect(Client.connect(proxy.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
