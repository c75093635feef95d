// The library as ioredis and pino users expect it: a pino logger passed as it
// is, unknown options refused by name, `await using`, typed events, and a
// taken port reported as its own code with the system error as its cause.

import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createStore, KvError, startServer, type Store, type StoreEventMap } from '../lib';
import { portOf, secret, startNodes, stopAll } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';
import { rejection } from './support/rejection';

/** A pino logger whose JSON lines land in `lines`. */
function pinoInto(lines: Array<Record<string, unknown>>) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

/** Collects every event of `name` that `store` emits. */
function collect<K extends keyof StoreEventMap>(store: Store, name: K): Array<StoreEventMap[K][0]> {
  const seen: Array<StoreEventMap[K][0]> = [];
  (store.on as (event: K, listener: (payload: StoreEventMap[K][0]) => void) => Store)(name, (payload) => seen.push(payload));
  return seen;
}

test('a pino logger is taken as it is: its lines carry the fields and the message', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const store = await createStore({ logger: pinoInto(lines) });
  try {
    await store.create('shopping');
    await store.crashBucket('shopping', 'boom');
    await waitUntil(() => lines.some((line) => line.msg === 'bucket restarted'));
    expect(lines.find((line) => line.msg === 'bucket restarted')).toMatchObject({ bucket: 'shopping', reason: 'boom', restarts: 1, level: 40 });
  } finally {
    await store.stop();
  }
});

describe('unknown option keys are refused with BAD_REQUEST naming the key', () => {
  test.each([
    ['a top-level key', { nodes: 'x' }, '`nodes`'],
    ['a supervision key', { supervision: { maxRestart: 1 } }, '`supervision.maxRestart`'],
    ['a cluster key', { cluster: { secret: 'sixteen bytes or more', peer: {} } }, '`cluster.peer`'],
    ['a reconnect key', { cluster: { secret: 'sixteen bytes or more', reconnect: { initial: 1 } } }, '`cluster.reconnect.initial`'],
    ['a file storage key', { storage: { type: 'file', dir: '/nonexistent', fsyncPolicy: 'always' } }, '`storage.fsyncPolicy`'],
    ['a redis storage key', { storage: { type: 'redis', url: 'redis://127.0.0.1:1', host: 'x' } }, '`storage.host`'],
  ])('%s', async (_what, options, named) => {
    const error = await rejection(createStore(options as never));
    expect(error).toBeInstanceOf(KvError);
    expect(error).toMatchObject({ code: 'BAD_REQUEST' });
    expect((error as KvError).message).toContain(`unknown option ${named}`);
  });

  test('a server option', async () => {
    const store = await createStore();
    try {
      const error = await rejection(startServer(store, { prot: 0 } as never));
      expect(error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('unknown option `prot`') });
    } finally {
      await store.stop();
    }
  });
});

test('`await using` stops the store at the end of the block', async () => {
  let kept: Store | undefined;
  {
    await using store = await createStore();
    kept = store;
    await store.create('shopping');
  }
  expect(await rejection(kept.get('shopping', 'milk'))).toMatchObject({ code: 'STOPPED' });
});

describe('typed events', () => {
  let store: Store;
  beforeEach(async () => {
    store = await createStore({ supervision: { maxRestarts: 1, withinMs: 60_000 } });
  });
  afterEach(async () => {
    await store.stop();
  });

  test('bucketCreated once per new bucket, not for a create that finds it', async () => {
    const created = collect(store, 'bucketCreated');
    await store.create('shopping');
    await store.create('shopping');
    await store.create('hardware');
    expect(created).toEqual([{ bucket: 'shopping' }, { bucket: 'hardware' }]);
  });

  test('bucketRestarted with the reason, then bucketFailed past the restart intensity', async () => {
    const restarted = collect(store, 'bucketRestarted');
    const failed = collect(store, 'bucketFailed');
    await store.create('shopping');
    await store.crashBucket('shopping', 'first');
    expect(restarted).toEqual([{ bucket: 'shopping', reason: 'first', restarts: 1 }]);
    expect(failed).toEqual([]);
    await store.crashBucket('shopping', 'second');
    expect(failed).toEqual([{ bucket: 'shopping', reason: 'second' }]);
    expect(restarted).toHaveLength(1);
  });
});

test('peerUp and peerDown name the peer', async () => {
  const stores = await startNodes(['foo', 'bar']);
  try {
    const foo = stores.get('foo')!;
    const down = collect(foo, 'peerDown');
    const up = collect(foo, 'peerUp');
    await stores.get('bar')!.stop();
    await waitUntil(() => down.length > 0, 5000, 'peerDown');
    expect(down[0]).toMatchObject({ peer: 'bar', reason: expect.any(String) });
    expect(up).toEqual([]);
  } finally {
    await stopAll(stores);
  }
});

test('peerUp on both sides when a peer connects', async () => {
  const foo = await createStore({ node: 'foo', cluster: { secret, listen: 0, peers: { bar: null } } });
  let bar: Store | undefined;
  try {
    const fooSaw = collect(foo, 'peerUp');
    bar = await createStore({ node: 'bar', cluster: { secret, peers: { foo: `127.0.0.1:${portOf(foo)}` } } });
    const barSaw = collect(bar, 'peerUp');
    await waitUntil(() => fooSaw.length > 0, 5000, 'peerUp on foo');
    expect(fooSaw).toEqual([{ peer: 'bar' }]);
    // bar's dial completed inside createStore, before a listener could be attached: its state says so.
    expect(barSaw).toEqual([]);
    expect(bar.clusterStatus()!.peers.foo).toBe('up');
  } finally {
    await bar?.stop();
    await foo.stop();
  }
});

describe('a port in use is ADDRESS_IN_USE, with the system error as its cause', () => {
  let taken: net.Server;
  let port: number;
  beforeEach(async () => {
    taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise((resolve) => taken.close(resolve));
  });

  test('the text server', async () => {
    const store = await createStore();
    try {
      const error = (await rejection(startServer(store, { port }))) as KvError;
      expect(error).toMatchObject({ code: 'ADDRESS_IN_USE', message: expect.stringContaining(`text server 127.0.0.1:${port} is already in use`) });
      expect(error.cause).toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await store.stop();
    }
  });

  test('the cluster port', async () => {
    const error = (await rejection(createStore({ node: 'foo', cluster: { secret: 'sixteen bytes or more', listen: port } }))) as KvError;
    expect(error).toMatchObject({ code: 'ADDRESS_IN_USE', message: expect.stringContaining(`cluster port 127.0.0.1:${port} is already in use`) });
    expect(error.cause).toMatchObject({ code: 'EADDRINUSE' });
  });
});
