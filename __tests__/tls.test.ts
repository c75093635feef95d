// TLS: mutual TLS between nodes (certificates from the cluster's CA that name
// their node) and TLS on the client listener, with certificates made at run
// time. Who is refused: another CA's certificate, a certificate for another
// node, plain TCP on a TLS port.

import net from 'node:net';
import tls from 'node:tls';
import { createStore, startServer, type Store } from '../lib';
import { waitUntil } from './support/deadlines';
import { allUp, portOf, secret } from './support/cluster-nodes';
import { RecordingLogger } from './support/recording-logger';
import { TestCa, type Pem } from './support/tls-certs';

jest.setTimeout(30_000);

let ca: TestCa;
let otherCa: TestCa;
const stores: Store[] = [];

beforeAll(() => {
  ca = TestCa.create();
  otherCa = TestCa.create('another CA');
});
afterAll(() => {
  ca.remove();
  otherCa.remove();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()));
});

const routes = ['a-m=foo', 'n-z=bar'];

/** foo listens; bar dials it, with `barPem` from `barCa`. */
async function twoNodes(barPem: Pem, barCa = ca.cert, logger = new RecordingLogger(), fooPem = ca.issue('foo'), barLogger = new RecordingLogger()): Promise<{ foo: Store; bar: Store; logger: RecordingLogger }> {
  const foo = await createStore({ node: 'foo', logger, cluster: { secret, listen: 0, peers: { bar: null }, routes, tls: { ...fooPem, ca: ca.cert } } });
  stores.push(foo);
  const bar = await createStore({ node: 'bar', logger: barLogger, cluster: { secret, peers: { foo: `127.0.0.1:${portOf(foo)}` }, routes, tls: { ...barPem, ca: barCa }, reconnect: { initialMs: 50, maxMs: 200 } } });
  stores.push(bar);
  return { foo, bar, logger };
}

describe('mutual TLS between nodes', () => {
  test("two nodes with certificates from the cluster's CA serve the guide's foo/bar scenario", async () => {
    const { foo, bar } = await twoNodes(ca.issue('bar'));
    await waitUntil(() => allUp([foo, bar]), 5000, 'the nodes to connect over TLS');
    for (const bucket of ['shopping', 'awesome-list']) {
      await foo.create(bucket);
      await foo.put(bucket, 'eggs', '6');
      expect(await bar.get(bucket, 'eggs')).toBe('6');
    }
  });

  test('a node with a certificate from another CA is refused', async () => {
    const { foo, bar, logger } = await twoNodes(otherCa.issue('bar'), ca.cert);
    await logger.waitFor('cluster connection refused');
    expect(foo.clusterStatus()!.peers.bar).not.toBe('up');
    expect(bar.clusterStatus()!.peers.foo).not.toBe('up');
  });

  test('a node whose certificate names another node is refused, though it knows the secret', async () => {
    const { foo, bar, logger } = await twoNodes(ca.issue('baz'));
    const refused = await logger.waitFor('cluster connection refused');
    expect(String(refused.fields.reason)).toContain('the connection claiming to be bar: its TLS certificate names baz, not bar');
    expect(foo.clusterStatus()!.peers.bar).not.toBe('up');
    expect(bar.clusterStatus()!.peers.foo).not.toBe('up');
  });

  test('a dialer does not talk to a listener whose certificate names another node', async () => {
    const barLogger = new RecordingLogger();
    const { foo, bar } = await twoNodes(ca.issue('bar'), ca.cert, new RecordingLogger(), ca.issue('baz'), barLogger);
    const unreachable = await barLogger.waitFor('cluster peer unreachable');
    expect(String(unreachable.fields.reason)).toContain('has a TLS certificate for baz, not foo');
    expect(foo.clusterStatus()!.peers.bar).not.toBe('up');
    expect(bar.clusterStatus()!.peers.foo).not.toBe('up');
  });

  test('plain TCP to a TLS cluster port is refused before any handshake byte', async () => {
    const logger = new RecordingLogger();
    const foo = await createStore({ node: 'foo', logger, cluster: { secret, listen: 0, peers: { bar: null }, tls: { ...ca.issue('foo'), ca: ca.cert } } });
    stores.push(foo);
    const socket = net.connect(portOf(foo), '127.0.0.1');
    socket.on('error', () => {});
    let received = 0;
    socket.on('data', (data: Buffer) => (received += data.length));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.from('{"hello":"I am bar"}\n'));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // A TLS alert at most: no byte of the cluster's own handshake.
    expect(received).toBeLessThan(64);
    await logger.waitFor('cluster connection refused');
  });
});

describe('TLS on the client listener', () => {
  test('a TLS client speaks the text protocol; a plain one gets nothing', async () => {
    const store = await createStore();
    stores.push(store);
    const pem = ca.issue('localhost');
    const server = await startServer(store, { port: 0, tls: pem });
    try {
      const client = tls.connect({ port: server.port, host: '127.0.0.1', ca: ca.cert, servername: 'localhost' });
      let replies = '';
      client.setEncoding('utf8').on('data', (data: string) => (replies += data));
      await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
      client.write('CREATE shopping\r\nPUT shopping eggs 6\r\nGET shopping eggs\r\n');
      await waitUntil(() => replies.split('\r\n').length > 4, 5000, 'the replies');
      expect(replies).toBe('OK\r\nOK\r\n6\r\nOK\r\n');
      client.end();
      const plain = net.connect(server.port, '127.0.0.1');
      plain.on('error', () => {});
      let plainReplies = '';
      plain.setEncoding('latin1').on('data', (data: string) => (plainReplies += data));
      plain.write('GET shopping eggs\r\n');
      await new Promise<void>((resolve) => plain.once('close', () => resolve()));
      expect(plainReplies).not.toContain('6\r\n');
    } finally {
      await server.close();
    }
  });
});
