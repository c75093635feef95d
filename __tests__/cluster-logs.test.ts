// What a cluster node logs about its links: at debug level, each dial and
// each connection accepted; a wrong secret named on both sides (the accepting
// node tells the dialer why before it closes); and a failure that repeats at
// every retry logged once, then in summaries (outage-log.test.ts), then once
// more when the peer is back.

import { createStore, type ClusterOptions, type Store } from '../lib';
import { portOf, secret } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';
import { freePort } from './support/free-ports';
import { RecordingLogger } from './support/recording-logger';

/** Retries every few milliseconds, so that a test sees many in a moment. */
const fast = { initialMs: 5, maxMs: 10 };
const wrongSecret = 'a wrong secret, long enough';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()));
});

async function node(name: string, logger: RecordingLogger, cluster: ClusterOptions): Promise<Store> {
  const store = await createStore({ node: name, logger, cluster });
  stores.push(store);
  return store;
}

const count = (logger: RecordingLogger, level: string, event: string): number => logger.events.filter((e) => e.level === level && e.event === event).length;

test('debug level: the dial, the connection accepted, then one line per side when the peer is connected', async () => {
  const fooLog = new RecordingLogger();
  const barLog = new RecordingLogger();
  const foo = await node('foo', fooLog, { secret, listen: 0, peers: { bar: null } });
  await node('bar', barLog, { secret, peers: { foo: `127.0.0.1:${portOf(foo)}` } });
  await Promise.all([fooLog.waitFor('cluster peer connected'), barLog.waitFor('cluster peer connected')]);
  expect(barLog.events).toEqual([
    { level: 'debug', event: 'cluster peer dialing', fields: { peer: 'foo', address: `127.0.0.1:${portOf(foo)}`, attempt: 1 } },
    { level: 'info', event: 'cluster peer connected', fields: { peer: 'foo' } },
  ]);
  expect(fooLog.events).toEqual([
    { level: 'debug', event: 'cluster connection accepted', fields: { remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) } },
    { level: 'info', event: 'cluster peer connected', fields: { peer: 'bar' } },
  ]);
});

describe('a dialer with the wrong secret', () => {
  test('is told why: both sides name the wrong secret, neither log holds a secret', async () => {
    const fooLog = new RecordingLogger();
    const barLog = new RecordingLogger();
    const foo = await node('foo', fooLog, { secret, listen: 0, peers: { bar: null } });
    await node('bar', barLog, { secret: wrongSecret, peers: { foo: `127.0.0.1:${portOf(foo)}` }, reconnect: fast });
    expect(await barLog.waitFor('cluster peer refused the handshake')).toEqual({
      level: 'warn',
      event: 'cluster peer refused the handshake',
      fields: { peer: 'foo', address: `127.0.0.1:${portOf(foo)}`, reason: 'wrong cluster secret' },
    });
    expect(await fooLog.waitFor('cluster connection refused')).toEqual({
      level: 'warn',
      event: 'cluster connection refused',
      fields: { remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/), peer: 'bar', reason: 'node bar does not hold the cluster secret' },
    });
    for (const logger of [fooLog, barLog]) {
      expect(logger.lines.join('\n')).not.toContain(secret);
      expect(logger.lines.join('\n')).not.toContain(wrongSecret);
    }
  });

  test('retrying every few milliseconds: one warning on each side, the rest at debug level', async () => {
    const fooLog = new RecordingLogger();
    const barLog = new RecordingLogger();
    const foo = await node('foo', fooLog, { secret, listen: 0, peers: { bar: null } });
    await node('bar', barLog, { secret: wrongSecret, peers: { foo: `127.0.0.1:${portOf(foo)}` }, reconnect: fast });
    await waitUntil(() => count(barLog, 'debug', 'cluster peer dialing') >= 10 && count(fooLog, 'debug', 'cluster connection refused') >= 8, undefined, 'ten dials');
    expect(count(barLog, 'warn', 'cluster peer refused the handshake')).toBe(1);
    expect(count(barLog, 'debug', 'cluster peer dial failed')).toBeGreaterThanOrEqual(8);
    expect(count(fooLog, 'warn', 'cluster connection refused')).toBe(1);
    expect(barLog.events.filter(({ level }) => level !== 'debug').map(({ event }) => event)).toEqual(['cluster peer refused the handshake']);
  });
});

test('a node the acceptor does not know is told so', async () => {
  const barLog = new RecordingLogger();
  const foo = await node('foo', new RecordingLogger(), { secret, listen: 0, peers: { baz: null } });
  await node('bar', barLog, { secret, peers: { foo: `127.0.0.1:${portOf(foo)}` }, reconnect: fast });
  expect((await barLog.waitFor('cluster peer refused the handshake')).fields).toEqual({
    peer: 'foo',
    address: `127.0.0.1:${portOf(foo)}`,
    reason: 'this node is not one of its configured peers',
  });
});

test('a peer that is down, then up: one warning, the retries at debug level, one line when it is back', async () => {
  const port = await freePort();
  const barLog = new RecordingLogger();
  const bar = await node('bar', barLog, { secret, peers: { foo: `127.0.0.1:${port}` }, reconnect: fast });
  await waitUntil(() => count(barLog, 'debug', 'cluster peer dial failed') >= 5, undefined, 'five failed dials');
  expect(count(barLog, 'warn', 'cluster peer unreachable')).toBe(1);
  const startedAt = Date.now();
  await node('foo', new RecordingLogger(), { secret, listen: port, peers: { bar: null } });
  const connected = await barLog.waitFor('cluster peer connected');
  expect(connected.fields).toEqual({ peer: 'foo', failedDials: expect.any(Number), failingSince: expect.any(String) });
  expect(connected.fields.failedDials).toBeGreaterThanOrEqual(6);
  expect(Date.parse(connected.fields.failingSince as string)).toBeLessThan(startedAt);
  expect(bar.clusterStatus()!.peers.foo).toBe('up');
  expect(count(barLog, 'warn', 'cluster peer unreachable')).toBe(1);
});
