// The routing table (the Elixir guide's KV.Router tests) and rendezvous hashing.

import fc from 'fast-check';
import { KvError } from '../lib';
import { toBinary } from '../lib/core/bytes';
import { firstByte, formatRoute, makePreferences, makeRouter, parseRoute, rangePreferences, rangeRouter, rendezvousPreferences, rendezvousRouter, type Route } from '../lib/cluster/router';

const table = (...rows: string[]): Route[] => rows.map(parseRoute);

function thrown(call: () => unknown): KvError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(KvError);
    return error as KvError;
  }
  throw new Error('expected a throw');
}

describe('parseRoute', () => {
  test.each([
    ['a-m=foo', { from: 0x61, to: 0x6d, nodes: ['foo'] }],
    ['n-z=bar', { from: 0x6e, to: 0x7a, nodes: ['bar'] }],
    ['x=baz', { from: 0x78, to: 0x78, nodes: ['baz'] }],
    ['0-9=digits', { from: 0x30, to: 0x39, nodes: ['digits'] }],
    ['0x80-0xff=utf8', { from: 0x80, to: 0xff, nodes: ['utf8'] }],
    ['0x00=nul', { from: 0, to: 0, nodes: ['nul'] }],
    ['-=dash', { from: 0x2d, to: 0x2d, nodes: ['dash'] }],
    ['==eq', { from: 0x3d, to: 0x3d, nodes: ['eq'] }],
  ])('%s', (text, route) => {
    expect(parseRoute(text)).toEqual(route);
  });

  test.each([['a-m'], ['a-m='], ['=foo'], ['ab=foo'], ['m-a=foo'], ['a-mm=foo'], ['é=foo'], [' =foo'], ['0xzz=foo'], ['a-m=foo bar'], ['a-m=f/o'], [`a-m=${'n'.repeat(65)}`]])('%s is refused with BAD_REQUEST naming it', (text) => {
    const error = thrown(() => parseRoute(text));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(JSON.stringify(text));
  });
});

describe('a range table', () => {
  const seeds = rangeRouter(table('a-m=foo', 'n-z=bar'));
  const boutique = rangeRouter(table('a-g=a-g', 'h-n=h-n', 'o-u=o-u', 'v-z=v-z'));

  test.each([
    ['awesome-list', 'foo'],
    ['hello', 'foo'],
    ['m', 'foo'],
    ['mmm', 'foo'],
    ['n', 'bar'],
    ['shopping', 'bar'],
    ['zebra', 'bar'],
  ])("the Elixir guide's table: %s goes to %s", (bucket, node) => {
    expect(seeds(bucket)).toBe(node);
  });

  test.each([
    ['apple', 'a-g'],
    ['g', 'a-g'],
    ['h', 'h-n'],
    ['nuts', 'h-n'],
    ['o', 'o-u'],
    ['umbrella', 'o-u'],
    ['v', 'v-z'],
    ['zoo', 'v-z'],
  ])('D-Boutique four ways: %s goes to %s', (bucket, node) => {
    expect(boutique(bucket)).toBe(node);
  });

  test.each([['Shopping'], ['1st'], ['{x}'], ['ünïcode'], ['~']])('%s, which no row covers, is NO_ROUTE with the exact message', (bucket) => {
    const error = thrown(() => seeds(bucket));
    expect(error.code).toBe('NO_ROUTE');
    expect(error.message).toBe(`no route for bucket ${bucket}`);
  });

  test('the first row that covers a byte wins, as Enum.find in the Elixir guide', () => {
    const router = rangeRouter(table('a-z=first', 'm=second'));
    expect(router('milk')).toBe('first');
  });

  test('a name is routed by its first byte: the first byte of its UTF-8 form for text', () => {
    expect(firstByte(toBinary('ünïcode'))).toBe(0xc3);
    expect(firstByte(toBinary('€uro'))).toBe(0xe2);
    expect(firstByte(toBinary('😀'))).toBe(0xf0);
    expect(firstByte('\xff\xfe')).toBe(0xff);
    expect(rangeRouter(table('0xc0-0xdf=two', '0xe0-0xef=three'))(toBinary('ünïcode'))).toBe('two');
  });

  test('a row naming an unknown node is refused', () => {
    const error = thrown(() => makeRouter(table('a-m=foo', 'n-z=baz'), ['foo', 'bar']));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('baz');
  });
});

describe('rendezvous hashing', () => {
  const nodeNames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), { minLength: 1, maxLength: 8 });
  const bucketNames = fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 50 });

  test('the same nodes in any order place every bucket alike', () => {
    fc.assert(
      fc.property(nodeNames, bucketNames, (nodes, buckets) => {
        const forward = rendezvousRouter(nodes);
        const backward = rendezvousRouter([...nodes].reverse());
        return buckets.every((bucket) => forward(bucket) === backward(bucket));
      }),
    );
  });

  test('adding or removing a node moves only the buckets it gains or loses', () => {
    fc.assert(
      fc.property(nodeNames, fc.stringMatching(/^[A-Z][a-z]{0,5}$/), bucketNames, (nodes, added, buckets) => {
        const before = rendezvousRouter(nodes);
        const after = rendezvousRouter([...nodes, added]);
        // Adding: a bucket either stays or moves to the new node. Removing is the same read backwards.
        return buckets.every((bucket) => after(bucket) === before(bucket) || after(bucket) === added);
      }),
    );
  });

  test('removing a node moves only the buckets it had', () => {
    fc.assert(
      fc.property(nodeNames.filter((nodes) => nodes.length >= 2), fc.nat(), bucketNames, (nodes, pick, buckets) => {
        const removed = nodes[pick % nodes.length]!;
        const before = rendezvousRouter(nodes);
        const after = rendezvousRouter(nodes.filter((node) => node !== removed));
        return buckets.every((bucket) => before(bucket) === removed || after(bucket) === before(bucket));
      }),
    );
  });

  test('is stable: these placements never change between releases', () => {
    const router = rendezvousRouter(['foo', 'bar', 'baz']);
    const placements = Object.fromEntries(['shopping', 'awesome-list', 'milk', 'a', 'z'].map((bucket) => [bucket, router(bucket)]));
    expect(placements).toMatchInlineSnapshot(`
{
  "a": "foo",
  "awesome-list": "bar",
  "milk": "foo",
  "shopping": "foo",
  "z": "foo",
}
`);
  });

  test('spreads buckets roughly evenly', () => {
    const router = rendezvousRouter(['foo', 'bar', 'baz', 'qux']);
    const counts = new Map<string, number>();
    for (let index = 0; index < 4000; index++) {
      const node = router(`bucket-${index}`);
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
    expect(counts.size).toBe(4);
  });

  test('with no routes the cluster hashes over every node', () => {
    const router = makeRouter([], ['foo', 'bar']);
    expect(['foo', 'bar']).toContain(router('anything'));
  });
});

describe('preference lists', () => {
  test.each([
    ['a-m=foo,bar', 2, 'apple', ['foo', 'bar']],
    ['a-m=foo,bar', 1, 'apple', ['foo']],
    ['a-m=foo,bar,baz', 2, 'milk', ['foo', 'bar']],
    ['n-z=bar,baz', 2, 'shopping', ['bar', 'baz']],
  ])('the row %s with %i copies: %s is held by %j, primary first', (row, replicas, bucket, nodes) => {
    expect(rangePreferences(table(row, 'n-z=bar,baz'), replicas)(bucket)).toEqual(nodes);
  });

  test.each([
    ['a-m=foo,bar', { from: 0x61, to: 0x6d, nodes: ['foo', 'bar'] }],
    ['0x80-0xff=a,b,c', { from: 0x80, to: 0xff, nodes: ['a', 'b', 'c'] }],
  ])('%s parses to a list and formats back', (text, route) => {
    expect(parseRoute(text)).toEqual(route);
    expect(formatRoute(parseRoute(text))).toBe(text);
  });

  test.each([['a-m=foo,foo'], ['a-m=foo,'], ['a-m=,foo']])('%s is refused', (text) => {
    expect(thrown(() => parseRoute(text)).code).toBe('BAD_REQUEST');
  });

  test('a row with fewer nodes than the copies asked for is refused, naming it', () => {
    const error = thrown(() => makePreferences(table('a-m=foo,bar', 'n-z=bar'), ['foo', 'bar'], 2));
    expect(error.message).toBe('route n-z=bar lists 1 node(s), but each bucket has 2 copies (replicas): list at least 2');
  });

  test('rendezvous: more copies than nodes is refused', () => {
    expect(thrown(() => rendezvousPreferences(['foo', 'bar'], 3)).message).toContain('only 2 node(s)');
  });

  const nodeNames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), { minLength: 3, maxLength: 8 });
  const bucketNames = fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 50 });
  const replicaCounts = fc.integer({ min: 1, max: 3 });

  test('rendezvous: R distinct nodes, the same in any node order, the primary as the router places it', () => {
    fc.assert(
      fc.property(nodeNames, bucketNames, replicaCounts, (nodes, buckets, replicas) => {
        const forward = rendezvousPreferences(nodes, replicas);
        const backward = rendezvousPreferences([...nodes].reverse(), replicas);
        const router = rendezvousRouter(nodes);
        return buckets.every((bucket) => {
          const list = forward(bucket);
          return list.length === replicas && new Set(list).size === replicas && list.every((node) => nodes.includes(node)) && JSON.stringify(list) === JSON.stringify(backward(bucket)) && list[0] === router(bucket);
        });
      }),
    );
  });

  test('rendezvous: adding a node changes only the lists it joins, and in those only by its arrival', () => {
    fc.assert(
      fc.property(nodeNames, fc.stringMatching(/^[A-Z][a-z]{0,5}$/), bucketNames, replicaCounts, (nodes, added, buckets, replicas) => {
        const before = rendezvousPreferences(nodes, replicas);
        const after = rendezvousPreferences([...nodes, added], replicas);
        return buckets.every((bucket) => {
          const old = before(bucket);
          const now = after(bucket);
          if (!now.includes(added)) return JSON.stringify(now) === JSON.stringify(old);
          // The others keep their order; the last of the old list makes room.
          return JSON.stringify(now.filter((node) => node !== added)) === JSON.stringify(old.slice(0, replicas - 1));
        });
      }),
    );
  });

  test('is stable: these lists never change between releases', () => {
    const lists = rendezvousPreferences(['foo', 'bar', 'baz'], 2);
    expect(Object.fromEntries(['shopping', 'awesome-list', 'milk'].map((bucket) => [bucket, lists(bucket).join(',')]))).toMatchInlineSnapshot(`
{
  "awesome-list": "bar,foo",
  "milk": "foo,baz",
  "shopping": "foo,baz",
}
`);
  });
});
