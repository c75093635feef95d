// Replication in one process: three nodes with two copies of each bucket.
// What a copy's crash does to a write, a primary that stops, a node that
// cannot reach a majority, and the voting rules (Paxos's acceptor) by table.
// The faults with real processes, pauses and partitions are in
// replication-faults.system.test.ts.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createStore, type BucketOp, type Outcome, type Store } from '../lib';
import { initialConfig, majority, nextEpoch } from '../lib/cluster/replication/config';
import { VoteBook } from '../lib/cluster/replication/votes';
import { allUp, portOf, secret, startNodes, stopAll, type NodeOptions } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';
import { rejection } from './support/rejection';

jest.setTimeout(30_000);

/** The bucket's primary and its copy, as the cluster's tree tells. */
async function placement(store: Store, bucket: string): Promise<{ primary: string; copy: string; epoch: number }> {
  for (const node of (await store.clusterTree()).nodes) {
    const info = node.reachable ? node.replication?.find((entry) => entry.bucket === bucket && entry.role === 'primary') : undefined;
    if (info) return { primary: info.primary, copy: info.inSync.find((node) => node !== info.primary)!, epoch: info.epoch };
  }
  throw new Error(`no primary for ${bucket}`);
}

describe('three nodes, two copies of each bucket', () => {
  let nodes: Map<string, Store> | undefined;
  afterEach(async () => {
    await stopAll(nodes);
    nodes = undefined;
  });

  test("a copy whose bucket actor crashes mid-write gets a full copy: the write is acknowledged only once both hold it, and the copy can take over with every acknowledged write", async () => {
    nodes = await startNodes(['foo', 'bar', 'baz'], { cluster: { replicas: 2, requestTimeoutMs: 500 } });
    const entry = nodes.get('foo')!;
    await entry.create('shopping');
    const { primary, copy } = await placement(entry, 'shopping');
    const acknowledged = new Map<string, string>();
    for (let round = 0; round < 20; round++) {
      // A write and a crash of the copy's actor, issued together: the crash lands before, during or after the copy applies the write.
      const key = `k${round}`;
      const [written] = await Promise.allSettled([entry.put('shopping', key, `v${round}`), entry.crashBucket('shopping', `round ${round}`, { node: copy })]);
      if (written.status === 'fulfilled') acknowledged.set(key, `v${round}`);
      else expect(written.reason).toMatchObject({ code: expect.stringMatching(/^(NOT_ENOUGH_REPLICAS|BUCKET_CRASHED)$/) });
    }
    expect(acknowledged.size).toBeGreaterThan(0);
    // Past its restart intensity the copy's bucket fails; the full copy it is then sent revives it.
    // Now lose the primary: the copy takes over and must hold every acknowledged write.
    await nodes.get(primary)!.stop();
    nodes.delete(primary);
    for (const [key, value] of acknowledged) expect(await nodes.get(copy)!.get('shopping', key)).toBe(value);
  });

  test('when the primary stops, the copy takes over: every acknowledged write is read back through another node, and new writes are acknowledged', async () => {
    nodes = await startNodes(['foo', 'bar', 'baz'], { cluster: { replicas: 2, requestTimeoutMs: 500 } });
    const entry = nodes.get('baz')!;
    for (const bucket of ['apples', 'milk', 'nuts', 'shopping']) await entry.create(bucket);
    for (let i = 0; i < 200; i++) await entry.put(['apples', 'milk', 'nuts', 'shopping'][i % 4]!, `k${i}`, `v${i}`);
    const { primary, copy, epoch } = await placement(entry, 'milk');
    await nodes.get(primary)!.stop();
    nodes.delete(primary);
    const reader = nodes.get([...nodes.keys()].find((name) => name !== copy) ?? copy)!;
    for (let i = 1; i < 200; i += 4) expect(await reader.get('milk', `k${i}`)).toBe(`v${i}`);
    await reader.put('milk', 'after', 'failover');
    const now = await placement(reader, 'milk');
    expect(now.primary).toBe(copy);
    expect(now.epoch).toBeGreaterThan(epoch);
    const view = (await nodes.get(copy)!.tree()).replication!.find((entry) => entry.bucket === 'milk')!;
    expect(view).toMatchObject({ primary: copy, role: 'primary', inSync: [copy], outOfSync: [primary] });
    expect(await nodes.get(copy)!.get('milk', 'after')).toBe('failover');
  });

  test('a node alone (no majority) refuses writes to a bucket whose copy it cannot reach, with a clear error, and acknowledges nothing', async () => {
    nodes = await startNodes(['foo', 'bar', 'baz'], { cluster: { replicas: 2, requestTimeoutMs: 300 } });
    const entry = nodes.get('foo')!;
    await entry.create('shopping');
    const { primary } = await placement(entry, 'shopping');
    const alone = nodes.get(primary)!;
    for (const other of [...nodes.keys()].filter((name) => name !== primary)) {
      await nodes.get(other)!.stop();
      nodes.delete(other);
    }
    const error = await rejection(alone.put('shopping', 'k', 'v'));
    expect(error.code).toMatch(/^(NOT_ENOUGH_REPLICAS|NODE_UNAVAILABLE|TIMEOUT)$/);
    expect(error.message).toContain('shopping');
  });
});

describe('votes (Paxos acceptor)', () => {
  const config = (epoch: number, primary: string, copies: string[]) => ({ epoch, primary, copies });

  test.each([
    ['a first prepare is promised, with nothing accepted', [['prepare', 1024]], [{ promised: true, accepted: null }]],
    ['a prepare at or below the promise is refused, naming it', [['prepare', 2048], ['prepare', 2048], ['prepare', 1024]], [{ promised: true, accepted: null }, { promised: false, above: 2048 }, { promised: false, above: 2048 }]],
    ['an accept below the promise is refused', [['prepare', 2048], ['accept', config(1024, 'foo', ['foo'])]], [{ promised: true, accepted: null }, { accepted: false, above: 2048 }]],
    ['an accepted config is reported to the next prepare', [['accept', config(1024, 'bar', ['bar'])], ['prepare', 2049]], [{ accepted: true }, { promised: true, accepted: config(1024, 'bar', ['bar']) }]],
  ] as const)('%s', (_name, steps, answers) => {
    const votes = new VoteBook(undefined);
    const got = steps.map(([kind, arg]) => (kind === 'prepare' ? votes.prepare('b', arg as number) : votes.accept('b', arg as ReturnType<typeof config>)));
    expect(got).toEqual(answers);
  });

  test('votes kept in a data directory survive a restart', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-votes-'));
    try {
      const votes = VoteBook.in(dir);
      votes.prepare('b', 3072);
      votes.accept('b', config(3072, 'baz', ['baz']));
      const again = VoteBook.in(dir);
      expect(again.promised('b')).toBe(3072);
      expect(again.accepted('b')).toEqual(config(3072, 'baz', ['baz']));
      expect(again.prepare('b', 2048)).toEqual({ promised: false, above: 3072 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the first configuration is known without a vote: learning it writes nothing, a later one is saved', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-votes-'));
    try {
      const votes = VoteBook.in(dir);
      votes.learn('b', initialConfig(['foo', 'bar']));
      expect(fs.existsSync(path.join(dir, 'replication-votes.json'))).toBe(false);
      expect(votes.accepted('b')).toBeNull();
      votes.learn('b', config(1024, 'bar', ['bar']));
      expect(VoteBook.in(dir).accepted('b')).toEqual(config(1024, 'bar', ['bar']));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('buckets created and written on durable nodes write no votes: the file is for failovers, not one rewrite per bucket', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-votes-'));
    const names = ['foo', 'bar', 'baz'];
    const started = await startNodes(names, (node) => ({ storage: { type: 'file', dir: path.join(root, node) }, cluster: { replicas: 2 } }));
    try {
      const foo = started.get('foo')!;
      for (let i = 0; i < 20; i++) {
        await foo.create(`b${i}`);
        await foo.put(`b${i}`, 'k', 'v');
      }
      expect(names.filter((node) => fs.existsSync(path.join(root, node, 'replication-votes.json')))).toEqual([]);
    } finally {
      await stopAll(started);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  describe('a damaged votes file is refused by name, before the node listens', () => {
    let dir = '';
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-votes-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    test.each([
      ['cut short', '{"b":{"promised":3072,"acc', /damaged \(.*JSON/],
      ['not an object', '[1,2]', /damaged \(not an object of votes\)/],
      ['a malformed vote', '{"b":{"promised":"3072","accepted":null}}', /damaged \(the vote on "b" is malformed\)/],
      ['an accepted configuration without an epoch', '{"b":{"promised":3072,"accepted":{}}}', /damaged \(the vote on "b" is malformed\)/],
    ])('%s', async (_name, text, reason) => {
      fs.writeFileSync(path.join(dir, 'replication-votes.json'), text);
      const error = await rejection(Promise.resolve().then(() => VoteBook.in(dir)));
      expect(error).toMatchObject({ code: 'STORAGE_CORRUPT', message: expect.stringMatching(reason) });
      expect(error.message).toContain(path.join(dir, 'replication-votes.json'));
    });

    test('createStore rejects, and leaves the cluster port free', async () => {
      fs.writeFileSync(path.join(dir, 'replication-votes.json'), '{"b":');
      const port = await freePort();
      const started = createStore({ node: 'foo', storage: { type: 'file', dir }, cluster: { secret, listen: { host: '127.0.0.1', port }, peers: { bar: null }, replicas: 2 } });
      await expect(started).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
      expect(await freePort(port)).toBe(port);
    });
  });

  test.each([
    [0, 0, 1024],
    [0, 2, 1026],
    [1026, 1, 2049],
    [2049, 0, 3072],
  ])('the next epoch above %i for proposer %i is %i: unique to its proposer', (above, proposer, epoch) => {
    expect(nextEpoch(above, proposer)).toBe(epoch);
  });

  test.each([[1, 1], [2, 2], [3, 2], [4, 3], [5, 3]])('a majority of %i nodes is %i', (nodes, needed) => {
    expect(majority(nodes)).toBe(needed);
  });

  test('the first configuration is the preference list', () => {
    expect(initialConfig(['foo', 'bar'])).toEqual({ epoch: 0, primary: 'foo', copies: ['foo', 'bar'] });
  });
});

describe('a copy brought back while its primary cannot read its own bucket', () => {
  let nodes: Map<string, Store> | undefined;
  afterEach(async () => {
    await stopAll(nodes);
    nodes = undefined;
  });

  test('is not given an empty bucket as its full copy: after a failover every acknowledged write is still there', async () => {
    // foo primary, bar copy, baz votes; bar is started last, so it dials the others and can come back on its own.
    const options = { supervision: { maxRestarts: 0, withinMs: 5000 }, cluster: { replicas: 2, requestTimeoutMs: 300, routes: ['a-z=foo,bar'] } };
    nodes = await startNodes(['foo', 'baz', 'bar'], options);
    const foo = nodes.get('foo')!;
    await foo.create('shopping');
    for (let i = 0; i < 10; i++) await foo.put('shopping', `k${i}`, `v${i}`);
    const barPort = portOf(nodes.get('bar')!);
    await nodes.get('bar')!.stop();
    nodes.delete('bar');
    // A write without bar: foo drops it from the configuration (foo and baz are a majority).
    await foo.put('shopping', 'k10', 'v10');
    expect((await foo.tree()).replication!.find((entry) => entry.bucket === 'shopping')!.inSync).toEqual(['foo']);
    // foo's bucket actor fails (no restart allowed): its data is kept, but it answers nothing until revived.
    await foo.crashBucket('shopping', 'fails', { node: 'foo' });
    await rejection(foo.get('shopping', 'k0'));
    // bar comes back empty (memory storage): foo's repair must not copy an empty bucket to it.
    await restartBar(nodes, barPort, options);
    // Give the repair timer a few rounds (it runs every 200 ms here) to try, and fail, to bring bar back.
    const inSync = async (): Promise<string[]> => (await foo.tree()).replication!.find((entry) => entry.bucket === 'shopping')!.inSync;
    await waitUntil(async () => (await inSync()).includes('bar'), 1500, 'bar to be added back').catch(() => undefined);
    // foo's bucket is revived with its data (create revives a failed bucket), and brings bar back properly if it did not yet.
    await foo.create('shopping');
    await waitUntil(async () => (await inSync()).includes('bar'), 5000, 'bar to be added back');
    // Now lose foo: bar takes over, and must hold every acknowledged write.
    await foo.stop();
    nodes.delete('foo');
    const baz = nodes.get('baz')!;
    for (let i = 0; i <= 10; i++) expect(await baz.get('shopping', `k${i}`)).toBe(`v${i}`);
  });
});

describe('a copy given a full copy while its primary runs the next step', () => {
  let nodes: Map<string, Store> | undefined;
  afterEach(async () => {
    await stopAll(nodes);
    nodes = undefined;
  });

  test.each<[string, BucketOp, string]>([
    ['a counter (INCRBY)', { kind: 'incrBy', key: 'k', by: '1' }, '20'],
    ['a float (INCRBYFLOAT)', { kind: 'incrByFloat', key: 'k', by: '0.5' }, '10'],
    ['a string (APPEND)', { kind: 'append', key: 'k', value: 'x' }, 'x'.repeat(20)],
  ])('does not apply that step twice: %s reads the same after a failover', async (_name, op, expected) => {
    // foo primary, bar copy, baz votes; bar is started last, so it dials the others and can come back on its own.
    const options = { cluster: { replicas: 2, requestTimeoutMs: 1000, routes: ['a-z=foo,bar'] } };
    nodes = await startNodes(['foo', 'baz', 'bar'], options);
    const foo = nodes.get('foo')!;
    await foo.create('counters');
    // bar restarts (in memory: empty) before foo writes again, so foo's next step finds it out of sync and sends it a full copy.
    const barPort = portOf(nodes.get('bar')!);
    await nodes.get('bar')!.stop();
    await restartBar(nodes, barPort, options);
    // One call a turn, each its own step: the primary applies the next step while the full copy is being made.
    const calls: Array<Promise<Outcome>> = [];
    for (let turn = 0; turn < 20; turn++) {
      calls.push(new Promise((resolve) => foo.submit('counters', op, resolve)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await Promise.all(calls)).filter((outcome) => !outcome.ok)).toEqual([]);
    expect(await foo.get('counters', 'k')).toBe(expected);
    // Lose the primary: bar takes over and must hold the same bucket.
    await foo.stop();
    nodes.delete('foo');
    expect(await nodes.get('baz')!.get('counters', 'k')).toBe(expected);
  });
});

describe('a bucket dropped while its copy is out of sync', () => {
  let nodes: Map<string, Store> | undefined;
  afterEach(async () => {
    await stopAll(nodes);
    nodes = undefined;
  });

  test('is gone from every node: not listed, and not back after a failover', async () => {
    // foo primary, bar copy, baz votes; bar is started last, so it dials the others and can come back on its own.
    const options = { cluster: { replicas: 2, requestTimeoutMs: 1000, routes: ['a-z=foo,bar'] } };
    nodes = await startNodes(['foo', 'baz', 'bar'], options);
    const foo = nodes.get('foo')!;
    await foo.create('shopping');
    await foo.put('shopping', 'milk', '1');
    // bar restarts (in memory: empty) before foo writes again, so the drop finds it out of sync and sends it a full copy.
    const barPort = portOf(nodes.get('bar')!);
    await nodes.get('bar')!.stop();
    await restartBar(nodes, barPort, options);
    await foo.drop('shopping');
    expect(await foo.buckets()).toEqual([]);
    await foo.stop();
    nodes.delete('foo');
    expect(await nodes.get('baz')!.has('shopping')).toBe(false);
  });
});

/** Starts bar again on `port` (in memory: empty), dialing foo and baz, and waits until every link is up. */
async function restartBar(nodes: Map<string, Store>, port: number, options: NodeOptions): Promise<void> {
  const peers = { foo: `127.0.0.1:${portOf(nodes.get('foo')!)}`, baz: `127.0.0.1:${portOf(nodes.get('baz')!)}` };
  nodes.set('bar', await createStore({ ...options, node: 'bar', cluster: { ...options.cluster, secret, listen: port, peers } }));
  await waitUntil(() => allUp(nodes.values()), 5000, 'bar to reconnect');
}

/** A port nobody listens on (`port`, or any when 0): found by listening on it and closing. */
function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}
