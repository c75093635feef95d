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
import { legacyVotesName, voteLogName } from '../lib/cluster/replication/vote-log';
import { VoteBook } from '../lib/cluster/replication/votes';
import { allUp, portOf, secret, startNodes, stopAll, type NodeOptions } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';
import { freePort } from './support/free-ports';
import { TcpProxy } from './support/tcp-proxy';
import { rejection } from './support/rejection';

jest.setTimeout(30_000);

/** The nodes a test started, stopped after it. */
let nodes: Map<string, Store> | undefined;
afterEach(async () => {
  await stopAll(nodes);
  nodes = undefined;
});

/** The bucket's primary and its copy, as the cluster's tree tells. */
async function placement(store: Store, bucket: string): Promise<{ primary: string; copy: string; epoch: number }> {
  for (const node of (await store.clusterTree()).nodes) {
    const info = node.reachable ? node.replication?.find((entry) => entry.bucket === bucket && entry.role === 'primary') : undefined;
    if (info) return { primary: info.primary, copy: info.inSync.find((node) => node !== info.primary)!, epoch: info.epoch };
  }
  throw new Error(`no primary for ${bucket}`);
}

describe('three nodes, two copies of each bucket', () => {
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
  let dir = '';
  let books: VoteBook[] = [];
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-votes-'))));
  afterEach(async () => {
    await Promise.all(books.map((book) => book.close()));
    books = [];
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  /** The votes kept in the test's directory, as a node starting now reads them. */
  const open = (): VoteBook => {
    const book = VoteBook.in(dir);
    books.push(book);
    return book;
  };
  const logLines = (): string[] => fs.readFileSync(path.join(dir, voteLogName), 'utf8').split('\n').filter(Boolean);

  test.each([
    ['a first prepare is promised, with nothing accepted', [['prepare', 1024]], [{ promised: true, accepted: null }]],
    ['a prepare at or below the promise is refused, naming it', [['prepare', 2048], ['prepare', 2048], ['prepare', 1024]], [{ promised: true, accepted: null }, { promised: false, above: 2048 }, { promised: false, above: 2048 }]],
    ['an accept below the promise is refused', [['prepare', 2048], ['accept', config(1024, 'foo', ['foo'])]], [{ promised: true, accepted: null }, { accepted: false, above: 2048 }]],
    ['an accepted config is reported to the next prepare', [['accept', config(1024, 'bar', ['bar'])], ['prepare', 2049]], [{ accepted: true }, { promised: true, accepted: config(1024, 'bar', ['bar']) }]],
  ] as const)('%s, in memory and kept in a file', async (_name, steps, answers) => {
    for (const votes of [new VoteBook(undefined), open()]) {
      // All in one turn: each answer reflects the votes before it, and all share one write.
      const got = await Promise.all(steps.map(([kind, arg]) => (kind === 'prepare' ? votes.prepare('b', arg as number) : votes.accept('b', arg as ReturnType<typeof config>))));
      expect(got).toEqual(answers);
    }
  });

  test('votes kept in a data directory survive a restart, a line each, the last one of a bucket winning', async () => {
    const votes = open();
    await votes.prepare('b', 3072);
    await votes.accept('b', config(3072, 'baz', ['baz']));
    await votes.prepare('c', 1024);
    expect(logLines()).toHaveLength(3);
    const again = open();
    expect([again.promised('b'), again.accepted('b'), again.promised('c')]).toEqual([3072, config(3072, 'baz', ['baz']), 1024]);
    expect(await again.prepare('b', 2048)).toEqual({ promised: false, above: 3072 });
  });

  test('the first configuration is known without a vote: learning it writes nothing, a later one is kept', async () => {
    const votes = open();
    await votes.learn('b', initialConfig(['foo', 'bar']));
    expect(logLines()).toEqual([]);
    expect(votes.accepted('b')).toBeNull();
    await votes.learn('b', config(1024, 'bar', ['bar']));
    expect(open().accepted('b')).toEqual(config(1024, 'bar', ['bar']));
  });

  test('the votes of one turn share one fdatasync; a vote is answered only once it is durable', async () => {
    const votes = open();
    const answered: number[] = [];
    const answeredAtSync: number[] = [];
    const fdatasync = fs.fdatasync;
    const syncs = jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: (error: Error | null) => void) => {
      answeredAtSync.push(answered.length);
      fdatasync(fd, callback);
    }) as typeof fs.fdatasync);
    const promises = Array.from({ length: 500 }, (_, i) => votes.prepare(`b${i}`, 1024).then(() => answered.push(i)));
    await Promise.all(promises);
    expect(syncs).toHaveBeenCalledTimes(1);
    expect(answeredAtSync).toEqual([0]);
    expect(answered).toHaveLength(500);
    expect(logLines()).toHaveLength(500);
  });

  test('a failed fdatasync refuses that vote and every later one', async () => {
    const votes = open();
    jest.spyOn(fs, 'fdatasync').mockImplementation(((_fd: number, callback: (error: Error | null) => void) => callback(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }))) as typeof fs.fdatasync);
    await expect(votes.prepare('b', 1024)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining('EIO') });
    jest.restoreAllMocks();
    await expect(votes.prepare('c', 1024)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });

  test('a log that outgrows its votes is rewritten whole, keeping each bucket\'s last vote', async () => {
    const votes = open();
    for (let round = 1; round <= 3; round++) {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => votes.prepare('b', round * 100_000 + i)));
      expect(logLines().length).toBeLessThanOrEqual(1001);
    }
    expect(open().promised('b')).toBe(300_999);
  });

  test('a torn last line (a crash mid-write; never answered) is dropped, and the log starts clean', async () => {
    const votes = open();
    await votes.prepare('b', 1024);
    await votes.close();
    fs.appendFileSync(path.join(dir, voteLogName), '["c",20');
    const again = open();
    expect([again.promised('b'), again.promised('c')]).toEqual([1024, 0]);
    expect(logLines()).toEqual(['["b",1024,null]']);
  });

  test('an earlier version\'s single JSON file is read and moved to the log', async () => {
    fs.writeFileSync(path.join(dir, legacyVotesName), JSON.stringify({ b: { promised: 3072, accepted: config(3072, 'baz', ['baz']) } }));
    const votes = open();
    expect(votes.accepted('b')).toEqual(config(3072, 'baz', ['baz']));
    expect(fs.existsSync(path.join(dir, legacyVotesName))).toBe(false);
    expect(open().promised('b')).toBe(3072);
  });

  describe('a damaged votes file is refused by name, before the node listens', () => {
    test.each([
      ['an earlier version\'s file cut short', legacyVotesName, '{"b":{"promised":3072,"acc', /damaged \(.*JSON/],
      ['an earlier version\'s file that is not an object', legacyVotesName, '[1,2]', /damaged \(not an object of votes\)/],
      ['an earlier version\'s malformed vote', legacyVotesName, '{"b":{"promised":"3072","accepted":null}}', /damaged \(the vote on "b" is malformed\)/],
      ['an accepted configuration without an epoch', legacyVotesName, '{"b":{"promised":3072,"accepted":{}}}', /damaged \(the vote on "b" is malformed\)/],
      ['a damaged line before the last', voteLogName, '["b",1024,null]\n["c",10\n["d",1024,null]\n', /damaged \(line 2 is malformed\)/],
      ['a line that is not a vote', voteLogName, '{"b":1}\n', /damaged \(line 1 is malformed\)/],
    ])('%s', async (_name, file, text, reason) => {
      fs.writeFileSync(path.join(dir, file), text);
      const error = await rejection(Promise.resolve().then(open));
      expect(error).toMatchObject({ code: 'STORAGE_CORRUPT', message: expect.stringMatching(reason) });
      expect(error.message).toContain(path.join(dir, file));
    });

    test('createStore rejects, and leaves the cluster port free', async () => {
      fs.writeFileSync(path.join(dir, voteLogName), '["b",1024,null]\n{\n["c",1024,null]\n');
      const port = await freePort();
      const started = createStore({ node: 'foo', storage: { type: 'file', dir }, cluster: { secret, listen: { host: '127.0.0.1', port }, peers: { bar: null }, replicas: 2 } });
      await expect(started).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
      expect(await isFree(port)).toBe(true);
    });
  });

  test('buckets created and written on durable nodes keep no votes: the log is for failovers', async () => {
    const names = ['foo', 'bar', 'baz'];
    const started = await startNodes(names, (node) => ({ storage: { type: 'file', dir: path.join(dir, node) }, cluster: { replicas: 2 } }));
    try {
      const foo = started.get('foo')!;
      for (let i = 0; i < 20; i++) {
        await foo.create(`b${i}`);
        await foo.put(`b${i}`, 'k', 'v');
      }
      expect(names.map((node) => fs.readFileSync(path.join(dir, node, voteLogName), 'utf8'))).toEqual(['', '', '']);
    } finally {
      await stopAll(started);
    }
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

describe('a call whose answer is lost after its primary applied and copied it', () => {
  let stores: Store[] = [];
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await Promise.all(stores.map((store) => store.stop()));
    stores = [];
    await proxy?.stop();
  });

  test.each<[string, BucketOp, string]>([
    ['INCRBY', { kind: 'incrBy', key: 'k', by: '1' }, '1'],
    ['APPEND', { kind: 'append', key: 'k', value: 'x' }, 'x'],
  ])('%s is not run again on the copy that takes over: the caller is told the outcome is unknown, and it was applied once', async (_name, op, once) => {
    // foo primary, bar its copy; baz enters the calls and reaches foo through a proxy the test owns.
    const cluster = { secret, listen: 0, replicas: 2, requestTimeoutMs: 1000, routes: ['a-z=foo,bar'] };
    const foo = await createStore({ node: 'foo', cluster: { ...cluster, peers: { bar: null, baz: null } } });
    stores.push(foo);
    const bar = await createStore({ node: 'bar', cluster: { ...cluster, peers: { foo: `127.0.0.1:${portOf(foo)}`, baz: null } } });
    stores.push(bar);
    proxy = await TcpProxy.start(portOf(foo));
    const baz = await createStore({ node: 'baz', cluster: { ...cluster, peers: { foo: `127.0.0.1:${proxy.port}`, bar: `127.0.0.1:${portOf(bar)}` } } });
    stores.push(baz);
    await waitUntil(() => allUp(stores), 5000, 'every node to connect');
    await baz.create('counters');
    // foo applies the call and has bar copy it, but its answer never reaches baz; then foo stops.
    proxy.cutReplies();
    const outcome = new Promise<Outcome>((resolve) => baz.submit('counters', op, resolve));
    await waitUntil(async () => (await foo.get('counters', 'k')) === once, 5000, 'foo to apply the call');
    await foo.stop();
    // Applied once: running it again on bar, which took over, would have applied it twice.
    expect(await outcome).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^(TIMEOUT|NODE_UNAVAILABLE)$/) } });
    expect(await baz.get('counters', 'k')).toBe(once);
    expect(await bar.get('counters', 'k')).toBe(once);
  });
});

describe('a bucket dropped while its copy is out of sync', () => {
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

/** Whether `port` can be listened on now (nobody holds it). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
