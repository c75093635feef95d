// Two and three nodes in one process, on loopback port 0: what only a cluster
// does (routing misses, the owner's supervision, a node that goes away and comes
// back, frame limits, authentication). What every store does, a cluster
// included, is the conformance suite's (store-conformance-cluster.test.ts).

import { createStore, type Store } from '../lib';
import { portOf, secret, startNodes, stopAll } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';
import { freePorts } from './support/free-ports';
import { RecordingLogger } from './support/recording-logger';
import { rejection } from './support/rejection';

async function localBuckets(store: Store): Promise<string[]> {
  return (await store.tree()).buckets.map((bucket) => bucket.name);
}

describe("two nodes, the guide's table a-m=foo, n-z=bar", () => {
  let nodes: Map<string, Store>;
  const routes = ['a-m=foo', 'n-z=bar'];
  beforeEach(async () => {
    nodes = await startNodes(['foo', 'bar'], { cluster: { routes } });
  });
  afterEach(() => stopAll(nodes));

  test('a name no route covers is NO_ROUTE, with the exact message, on every node', async () => {
    for (const store of nodes.values()) {
      for (const call of [store.create('Shopping'), store.put('Shopping', 'k', 'v'), store.has('1st')]) {
        const error = await rejection(call);
        expect(error.code).toBe('NO_ROUTE');
        expect(error.message).toMatch(/^no route for bucket (Shopping|1st)$/);
      }
    }
  });

  test('buckets made through one node are listed and served through the other', async () => {
    const [foo, bar] = [nodes.get('foo')!, nodes.get('bar')!];
    await foo.create('milk');
    await foo.create('nuts');
    await foo.put('nuts', 'k', 'v');
    expect(await bar.buckets()).toEqual(['milk', 'nuts']);
    expect(await bar.get('nuts', 'k')).toBe('v');
    expect(await localBuckets(foo)).toEqual(['milk']);
    expect(await localBuckets(bar)).toEqual(['nuts']);
  });

  test('a node that stops: its buckets fail fast with NODE_UNAVAILABLE, the others work; back on its port, it serves again', async () => {
    const foo = nodes.get('foo')!;
    await foo.create('shopping');
    await foo.put('shopping', 'milk', '1');
    const barPort = portOf(nodes.get('bar')!);
    await nodes.get('bar')!.stop();
    nodes.delete('bar');
    await waitUntil(() => foo.clusterStatus()!.peers.bar !== 'up', 2000, 'foo to notice');

    const started = Date.now();
    const error = await rejection(foo.create('shopping'));
    expect(error.code).toBe('NODE_UNAVAILABLE');
    expect(error.message).toBe('node bar unavailable');
    expect((await rejection(foo.get('shopping', 'milk'))).message).toBe('node bar unavailable');
    expect(Date.now() - started).toBeLessThan(500);
    await foo.create('awesome-list');
    expect(await foo.buckets()).toEqual(['awesome-list']);
    const tree = await foo.clusterTree();
    expect(tree.nodes.find((node) => node.node === 'bar')).toEqual({ node: 'bar', reachable: false, reason: 'node bar unavailable' });

    const bar = await createStore({ node: 'bar', cluster: { secret, listen: barPort, peers: { foo: `127.0.0.1:${portOf(foo)}` }, routes } });
    nodes.set('bar', bar);
    await waitUntil(() => foo.clusterStatus()!.peers.bar === 'up', 2000, 'bar to be back');
    // A fresh in-memory node: the bucket is gone, and can be made again.
    await foo.create('shopping');
    await foo.put('shopping', 'milk', '2');
    expect(await bar.get('shopping', 'milk')).toBe('2');
  });
});

describe("the owner's supervision", () => {
  test("a bucket crashed through another node is restarted within its owner's restart intensity", async () => {
    // foo gives up at the first crash, bar allows three.
    const nodes = await startNodes(['foo', 'bar'], (node) => ({
      supervision: { maxRestarts: node === 'foo' ? 0 : 3, withinMs: 60_000 },
      cluster: { routes: ['a-m=foo', 'n-z=bar'] },
    }));
    try {
      const [foo, bar] = [nodes.get('foo')!, nodes.get('bar')!];
      await foo.create('shopping');
      await foo.put('shopping', 'milk', '1');
      for (let crash = 0; crash < 3; crash++) await foo.crashBucket('shopping');
      expect(await foo.get('shopping', 'milk')).toBe('1');
      await bar.create('apples');
      await bar.crashBucket('apples');
      expect((await rejection(bar.get('apples', 'k'))).code).toBe('BUCKET_FAILED');
    } finally {
      await stopAll(nodes);
    }
  });
});

describe('three nodes, rendezvous hashing', () => {
  let nodes: Map<string, Store>;
  beforeAll(async () => {
    nodes = await startNodes(['n1', 'n2', 'n3']);
  });
  afterAll(() => stopAll(nodes));

  test('every operation works through every node, and buckets spread over all three', async () => {
    const names = Array.from({ length: 30 }, (_, index) => `bucket-${index}`);
    for (const [entryName, entry] of nodes) {
      for (const name of names) await entry.create(name);
      await Promise.all(names.map((name) => entry.put(name, entryName, name)));
      for (const name of names) expect(await entry.get(name, entryName)).toBe(name);
      expect(await entry.delete(names[0]!, entryName)).toBe(names[0]);
      await entry.put(names[0]!, entryName, names[0]!);
    }
    const placed = await Promise.all([...nodes.values()].map(localBuckets));
    expect(placed.every((buckets) => buckets.length > 0)).toBe(true);
    expect(placed.flat().sort()).toEqual([...names].sort());
    for (const store of nodes.values()) expect(await store.buckets()).toEqual([...names].sort());
    for (const name of names) expect(await nodes.get('n2')!.has(name, 'n3')).toBe(true);
  });
});

describe('two nodes that dial each other at the same moment', () => {
  test.each(Array.from({ length: 10 }, (_, round) => [round]))('keep exactly one connection (round %i)', async () => {
    // Each node is told the other's address before either starts.
    const [fooPort, barPort] = (await freePorts(2)) as [number, number];
    const logger = new RecordingLogger();
    const start = (node: string, listen: number, peer: string, port: number) =>
      createStore({ node, logger, cluster: { secret, listen, peers: { [peer]: `127.0.0.1:${port}` }, routes: ['a-m=foo', 'n-z=bar'] } });
    const [foo, bar] = await Promise.all([start('foo', fooPort, 'bar', barPort), start('bar', barPort, 'foo', fooPort)]);
    try {
      await waitUntil(() => foo.clusterStatus()!.peers.bar === 'up' && bar.clusterStatus()!.peers.foo === 'up', 3000, 'both to connect');
      await foo.create('shopping');
      await bar.create('apples');
      await Promise.all([foo.put('shopping', 'k', 'v'), bar.put('apples', 'k', 'v')]);
      expect(await bar.get('shopping', 'k')).toBe('v');
      expect(await foo.get('apples', 'k')).toBe('v');
      const events = logger.lines.filter((line) => / cluster peer (connected|disconnected) /.test(line));
      expect(events).toHaveLength(2);
      expect(events.filter((line) => line.includes(' cluster peer connected '))).toHaveLength(2);
    } finally {
      await Promise.all([foo.stop(), bar.stop()]);
    }
  });
});

describe('frame limits', () => {
  let nodes: Map<string, Store>;
  beforeEach(async () => {
    nodes = await startNodes(['foo', 'bar'], { cluster: { routes: ['a-m=foo', 'n-z=bar'], maxFrameBytes: 4096 } });
    await nodes.get('foo')!.create('shopping');
  });
  afterEach(() => stopAll(nodes));

  test('a burst over the frame limit is split into frames that keep its order', async () => {
    const foo = nodes.get('foo')!;
    const value = (index: number): string => String(index).padEnd(1000, '.');
    const calls = Array.from({ length: 40 }, (_, index) => [foo.put('shopping', 'k', value(index)), foo.get('shopping', 'k')]).flat();
    const results = await Promise.all(calls);
    expect(results.filter((_, index) => index % 2 === 1)).toEqual(Array.from({ length: 40 }, (_, index) => value(index)));
  });

  test('a split burst keeps its order against the next turn\'s calls for the same bucket', async () => {
    const foo = nodes.get('foo')!;
    const first = Array.from({ length: 100 }, (_, index) => foo.put('shopping', 'order', `v${index}-`.padEnd(100, 'x')));
    await new Promise((resolve) => setImmediate(resolve));
    const last = foo.put('shopping', 'order', 'LAST');
    await Promise.all([...first, last]);
    expect(await foo.get('shopping', 'order')).toBe('LAST');
  });

  test('reads whose replies together pass the frame limit all answer (the owner leaves some out, they are asked again)', async () => {
    const foo = nodes.get('foo')!;
    const value = (index: number): string => String(index).padEnd(1000, '.');
    for (let index = 0; index < 12; index++) await foo.put('shopping', `big${index}`, value(index));
    const results = await Promise.all(Array.from({ length: 12 }, (_, index) => foo.get('shopping', `big${index}`)));
    expect(results).toEqual(Array.from({ length: 12 }, (_, index) => value(index)));
  });

  test('a batch with writes whose reply is too large: the writes say they were applied, left-out reads name the option', async () => {
    const foo = nodes.get('foo')!;
    const value = 'y'.repeat(1500);
    for (let index = 0; index < 4; index++) await foo.put('shopping', `mixed${index}`, value);
    const settled = await Promise.allSettled([
      foo.put('shopping', 'written', 'w'),
      ...Array.from({ length: 4 }, (_, index) => foo.get('shopping', `mixed${index}`)),
    ]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: undefined });
    const reads = settled.slice(1);
    expect(reads.filter((result) => result.status === 'fulfilled').map((result) => (result as PromiseFulfilledResult<unknown>).value)).toContain(value);
    const refused = reads.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const { reason } of refused) expect(reason).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('cluster.maxFrameBytes') });
    expect(await foo.get('shopping', 'written')).toBe('w');
  });

  test('a value too large for any reply is BAD_REQUEST naming the option; the owner keeps serving', async () => {
    const [foo, bar] = [nodes.get('foo')!, nodes.get('bar')!];
    // Written on its owner (bar owns n-z), read through foo.
    await bar.put('shopping', 'huge', 'z'.repeat(5000));
    const error = await rejection(foo.get('shopping', 'huge'));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('cluster.maxFrameBytes');
    expect(await foo.has('shopping', 'huge')).toBe(true);
  });

  test('one call over the frame limit is BAD_REQUEST naming the option; the connection stays up', async () => {
    const foo = nodes.get('foo')!;
    await foo.put('shopping', 'k', 'small');
    const error = await rejection(foo.put('shopping', 'k', 'x'.repeat(5000)));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('cluster.maxFrameBytes');
    // Answered over the same connection, and the refused write was not applied.
    expect(await foo.get('shopping', 'k')).toBe('small');
  });
});

describe('nodes whose route tables differ', () => {
  test('a request for a bucket the receiving node does not own is NO_ROUTE, and creates nothing there', async () => {
    const bar = await createStore({ node: 'bar', cluster: { secret, listen: 0, peers: { foo: null }, routes: ['a-m=foo', 'n-z=bar'] } });
    const foo = await createStore({ node: 'foo', cluster: { secret, listen: 0, peers: { bar: `127.0.0.1:${portOf(bar)}` }, routes: ['a-z=bar'] } });
    try {
      await waitUntil(() => bar.clusterStatus()!.peers.foo === 'up', 3000, 'foo to connect');
      for (const call of [foo.create('apple'), foo.put('apple', 'k', 'v'), foo.has('apple')]) {
        const error = await rejection(call);
        expect(error.code).toBe('NO_ROUTE');
        expect(error.message).toBe('node bar does not own bucket apple (route tables differ: this node routes it to foo)');
      }
      expect(await localBuckets(bar)).toEqual([]);
      await foo.create('shopping');
      expect(await localBuckets(bar)).toEqual(['shopping']);
    } finally {
      await Promise.all([foo.stop(), bar.stop()]);
    }
  });
});

describe('authentication between nodes', () => {
  test('a node with the wrong secret is never connected, and neither log holds a secret', async () => {
    const logger = new RecordingLogger();
    const foo = await createStore({ node: 'foo', logger, cluster: { secret, listen: 0, peers: { bar: null } } });
    const bar = await createStore({ node: 'bar', logger, cluster: { secret: 'a wrong secret, long enough', listen: 0, peers: { foo: `127.0.0.1:${portOf(foo)}` } } });
    try {
      await waitUntil(() => logger.lines.some((line) => line.includes('cluster connection refused')), 3000, 'the refusal to be logged');
      expect(foo.clusterStatus()!.peers.bar).toBe('down');
      expect(bar.clusterStatus()!.peers.foo).not.toBe('up');
      expect(logger.lines.join('\n')).toMatch(/does not hold the cluster secret/);
      expect(logger.lines.join('\n')).not.toContain(secret);
      expect(logger.lines.join('\n')).not.toContain('a wrong secret, long enough');
    } finally {
      await Promise.all([foo.stop(), bar.stop()]);
    }
  });

  test('a cluster without a secret is refused before anything starts', async () => {
    const error = await rejection(createStore({ node: 'foo', cluster: { secret: '', peers: { bar: null } } }));
    expect(error.message).toContain('cluster.secret');
  });
});

describe('two nodes that send each other more than either reads', () => {
  test('large replies both ways at once: the link recovers, it does not stay stuck with both sides waiting for the other to read', async () => {
    const nodes = await startNodes(['foo', 'bar'], { cluster: { routes: ['a-m=foo', 'n-z=bar'], maxBufferedBytes: 256 * 1024, requestTimeoutMs: 500 } });
    try {
      const [foo, bar] = [nodes.get('foo')!, nodes.get('bar')!];
      const big = 'x'.repeat(1024 * 1024);
      await foo.create('apples');
      await bar.create('nuts');
      for (let index = 0; index < 8; index++) {
        await foo.put('apples', `k${index}`, big);
        await bar.put('nuts', `k${index}`, big);
      }
      await foo.put('apples', 'small', 'a');
      await bar.put('nuts', 'small', 'n');
      // Each node asks the other for 8 MiB at a time, several times over, both at once: each one's
      // replies pass its buffer cap while the other is doing the same.
      const reads: Array<Promise<unknown>> = [];
      for (let round = 0; round < 4; round++) {
        for (let index = 0; index < 8; index++) reads.push(foo.get('nuts', `k${index}`).catch(() => null), bar.get('apples', `k${index}`).catch(() => null));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(reads);
      // Whatever the storm's own calls got, small calls must work again both ways.
      const works = async (): Promise<boolean> => (await Promise.all([foo.get('nuts', 'small').catch(() => null), bar.get('apples', 'small').catch(() => null)])).join() === 'n,a';
      await waitUntil(works, 5000, 'both directions to answer again');
    } finally {
      await stopAll(nodes);
    }
  }, 20_000);
});
