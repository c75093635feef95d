// The cluster port under abuse and a peer that is
// connected but silent (in one process): each bad connection is closed on
// its own, the node keeps serving, nothing hangs and nothing grows unbounded.

import { connect, createServer, type Server, type Socket } from 'node:net';
import { createStore, KvError, type Store } from '../lib';
import { encodeFrame, FrameDecoder } from '../lib/cluster/frame';
import { acceptHandshake, dialHandshake, type Established } from '../lib/cluster/handshake-session';
import { encodeMessage, parseHello, proof } from '../lib/cluster/handshake';
import { closeTime, portOf, secret, startNodes, stopAll } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';
import { RecordingLogger } from './support/recording-logger';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('the cluster port of a running node', () => {
  let nodes: Map<string, Store>;
  const logger = new RecordingLogger();
  beforeAll(async () => {
    nodes = await startNodes(['foo', 'bar'], { logger, cluster: { routes: ['a-m=foo', 'n-z=bar'] } });
    await nodes.get('foo')!.create('shopping');
  });
  afterAll(() => stopAll(nodes));

  async function stillServes(): Promise<void> {
    const foo = nodes.get('foo')!;
    await foo.put('shopping', 'milk', String(Math.random()));
    expect(foo.clusterStatus()!.peers.bar).toBe('up');
  }

  test.each([
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 256))],
    ['a 4 GiB frame length', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['a frame over 512 bytes before the handshake', encodeFrame(Buffer.alloc(600, 0x61))],
    ['many small frames past 512 bytes', Buffer.concat(Array.from({ length: 100 }, () => encodeFrame(Buffer.from('{}'))))],
    ['a hello from a node that is not a peer', encodeFrame(encodeMessage({ name: 'mallory', nonce: Buffer.alloc(32) }))],
    ['a hello that is not JSON', encodeFrame(Buffer.from('HELLO foo'))],
  ])('%s: closed at once, the node keeps serving', async (_name, bytes) => {
    const socket = await open(portOf(nodes.get('foo')!));
    const closed = closeTime(socket);
    socket.write(bytes);
    expect(await closed).toBeLessThan(1000);
    await stillServes();
  });

  test('a connection that says nothing is closed after the 500 ms allowed for the first message', async () => {
    const socket = await open(portOf(nodes.get('foo')!));
    const elapsed = await closeTime(socket);
    expect(elapsed).toBeGreaterThan(400);
    expect(elapsed).toBeLessThan(1200);
    await stillServes();
  });

  test('a peer can still connect while a hundred silent connections are open', async () => {
    const port = portOf(nodes.get('foo')!);
    const silent = await Promise.all(Array.from({ length: 100 }, () => open(port)));
    for (const socket of silent) socket.on('error', () => {});
    const connections = (): number => logger.lines.filter((line) => line.startsWith('info cluster peer connected')).length;
    const before = connections();
    try {
      // Two event-loop turns: the node accepts every connection already made before the real peer comes.
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
      const socket = connect({ host: '127.0.0.1', port });
      const established = await dialHandshake(socket, { self: 'bar', secret, timeoutMs: 2000, maxFrameBytes: 1024 }, 'foo');
      expect(established.peer).toBe('foo');
      established.socket.destroy();
    } finally {
      for (const socket of silent) socket.destroy();
    }
    // Ours replaced bar's connection: wait for bar's own to come back (a second "connected" after ours).
    await waitUntil(() => connections() >= before + 2, 3000, 'bar to redial');
    await stillServes();
  });

  test('a dialer with the wrong secret is refused: told why, closed without a proof from the node', async () => {
    const socket = connect({ host: '127.0.0.1', port: portOf(nodes.get('foo')!) });
    const closed = closeTime(socket);
    await expect(dialHandshake(socket, { self: 'bar', secret: 'guess', timeoutMs: 2000, maxFrameBytes: 1024 }, 'foo')).rejects.toThrow('node foo refused the handshake: wrong cluster secret');
    await closed;
    await stillServes();
  });

  test('an acceptor without the secret is refused by the dialer', async () => {
    const impostor = createServer((socket) => {
      // Plays the acceptor by hand: a challenge, then whatever the dialer proves, a verdict with a forged proof.
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write(encodeFrame(encodeMessage({ name: 'foo', nonce: Buffer.alloc(32, 3) })));
        socket.once('data', () => socket.write(encodeFrame(encodeMessage({ verdict: 'ok', proof: Buffer.alloc(32) }))));
      });
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect({ host: '127.0.0.1', port: (impostor.address() as { port: number }).port });
      await expect(dialHandshake(socket, { self: 'bar', secret, timeoutMs: 2000, maxFrameBytes: 1024 }, 'foo')).rejects.toThrow('node foo does not hold the cluster secret');
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  test('an unauthenticated hello naming a peer gets a name and a nonce, never a proof (no offline guessing oracle)', async () => {
    const socket = await open(portOf(nodes.get('foo')!));
    const closed = closeTime(socket);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write(encodeFrame(encodeMessage({ name: 'bar', nonce: Buffer.alloc(32, 5) })));
    // A wrong proof next: the acceptor must close with no more than its refusal (no verdict, no proof).
    await waitUntil(() => Buffer.concat(received).length > 4, 1000, 'the challenge');
    const [challenge] = new FrameDecoder(512).pushAll(Buffer.concat(received));
    expect(Object.keys(JSON.parse(String(challenge))).sort()).toEqual(['name', 'nonce']);
    socket.write(encodeFrame(encodeMessage({ proof: Buffer.alloc(32) })));
    expect(await closed).toBeLessThan(1000);
    const [, refusal, ...more] = new FrameDecoder(512).pushAll(Buffer.concat(received));
    expect([JSON.parse(String(refusal)), more]).toEqual([{ refused: 'wrong-secret' }, []]);
    await stillServes();
  });

  test('a bad frame after the handshake closes that connection only', async () => {
    // A second authenticated connection as bar replaces bar's; bar's own redials and heals it.
    const socket = connect({ host: '127.0.0.1', port: portOf(nodes.get('foo')!) });
    const established = await dialHandshake(socket, { self: 'bar', secret, timeoutMs: 2000, maxFrameBytes: 1024 }, 'foo');
    const closed = closeTime(established.socket);
    established.socket.write(encodeFrame(Buffer.from('not an envelope')));
    expect(await closed).toBeLessThan(1000);
    await waitUntil(() => nodes.get('foo')!.clusterStatus()!.peers.bar === 'up', 3000, 'bar to redial');
    await stillServes();
  });

  test('no log line holds the secret', () => {
    expect(logger.lines.some((line) => line.includes('cluster connection refused'))).toBe(true);
    expect(logger.lines.join('\n')).not.toContain(secret);
  });
});

describe('a peer that is connected but silent (a hung process)', () => {
  let ghost: Server;
  let ghostSockets: Established[];
  let foo: Store;
  const requestTimeoutMs = 300;

  beforeEach(async () => {
    ghostSockets = [];
    // Completes the handshake, then never reads or answers: the kernel buffers fill and stay full.
    ghost = createServer((socket) => {
      acceptHandshake(socket, { self: 'ghost', secret, timeoutMs: 2000, maxFrameBytes: 1 << 26 }, { isPeer: () => true, verdict: () => 'ok' }).then(
        (established) => void ghostSockets.push(established),
        () => {},
      );
    });
    await new Promise<void>((resolve) => ghost.listen(0, '127.0.0.1', resolve));
    const port = (ghost.address() as { port: number }).port;
    foo = await createStore({
      node: 'foo',
      cluster: { secret, peers: { ghost: `127.0.0.1:${port}` }, routes: ['a-m=foo', 'n-z=ghost'], requestTimeoutMs, maxBufferedBytes: 1 << 20 },
    });
    expect(foo.clusterStatus()!.peers.ghost).toBe('up');
  });
  afterEach(async () => {
    await foo.stop();
    for (const { socket } of ghostSockets) socket.destroy();
    await new Promise((resolve) => ghost.close(resolve));
  });

  test('its requests fail with TIMEOUT within the request timeout; the local buckets work meanwhile', async () => {
    const started = Date.now();
    const calls = [foo.create('shopping'), foo.get('shopping', 'milk'), foo.has('nuts')].map((call) => call.then(() => null, (error: KvError) => error));
    await foo.create('apples');
    await foo.put('apples', 'k', 'v');
    const errors = await Promise.all(calls);
    const elapsed = Date.now() - started;
    for (const error of errors) {
      expect(error?.code).toBe('TIMEOUT');
      expect(error?.message).toBe(`node ghost did not answer within ${requestTimeoutMs} ms (see cluster.requestTimeoutMs)`);
    }
    expect(elapsed).toBeGreaterThanOrEqual(requestTimeoutMs - 5);
    expect(elapsed).toBeLessThan(requestTimeoutMs + 700);
    const tree = await foo.clusterTree();
    expect(tree.nodes.find((node) => node.node === 'ghost')).toMatchObject({ reachable: false, reason: expect.stringContaining('did not answer') });
  });

  test('a flood of writes to it does not grow memory without bound: past the buffer cap, calls fail fast', async () => {
    const value = 'x'.repeat(256 * 1024);
    const outcomes: Array<Promise<string>> = [];
    // 400 writes of 256 KiB (100 MiB), one frame each; the socket buffer cap is 1 MiB.
    for (let index = 0; index < 400; index++) {
      outcomes.push(foo.put('shopping', `k${index}`, value).then(() => 'ok', (error: KvError) => error.code));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const codes = await Promise.all(outcomes);
    expect(codes.filter((code) => code !== 'TIMEOUT' && code !== 'NODE_UNAVAILABLE')).toEqual([]);
    // Only what fits the kernel's buffers and the cap was ever queued: most calls were refused at once.
    expect(codes.filter((code) => code === 'NODE_UNAVAILABLE').length).toBeGreaterThan(300);
  });
});

describe('a peer whose first frame after the handshake is bad', () => {
  test('arrives in the same chunk as its verdict: the connection is closed and the peer redialed, not left "up" and dead', async () => {
    let accepted = 0;
    const sockets: Socket[] = [];
    // Plays the acceptor by hand, so that its verdict and a bad frame leave in one write (one chunk).
    const peer = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      const first = ++accepted === 1;
      const decoder = new FrameDecoder(512);
      const nonce = Buffer.alloc(32, 7);
      let hello: { name: string; nonce: Buffer } | undefined;
      socket.on('data', (chunk: Buffer) => {
        for (const body of decoder.pushAll(chunk)) {
          if (!hello) {
            hello = parseHello(body)!;
            socket.write(encodeFrame(encodeMessage({ name: 'ghost', nonce })));
            continue;
          }
          const transcript = { dialer: hello.name, acceptor: 'ghost', dialerNonce: hello.nonce, acceptorNonce: nonce };
          const verdict = encodeFrame(encodeMessage({ verdict: 'ok', proof: proof(secret, 'acceptor', transcript) }));
          socket.write(first ? Buffer.concat([verdict, encodeFrame(Buffer.from('not an envelope'))]) : verdict);
          decoder.maxBody = 1 << 20;
        }
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const port = (peer.address() as { port: number }).port;
    const foo = await createStore({ node: 'foo', cluster: { secret, peers: { ghost: `127.0.0.1:${port}` }, reconnect: { initialMs: 10, maxMs: 50 } } });
    try {
      await waitUntil(() => accepted >= 2, 3000, 'foo to redial the peer whose connection it closed');
    } finally {
      await foo.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => peer.close(resolve));
    }
  });
});
