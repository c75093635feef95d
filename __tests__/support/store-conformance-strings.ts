// The conformance suite's cases for the operations Redis's string commands
// need beyond incrBy, append and putIf (the RESP listener's SET ... GET and
// KEEPTTL, GETSET, GETEX, EXPIRE NX|XX|GT|LT, PERSIST, PEXPIRETIME, MSETNX,
// INCRBYFLOAT and SETRANGE): each one step of the bucket's actor, alike on every target,
// and in a cluster carried to the owner and applied alike by every copy.

import type { BucketOp, Outcome, Store } from '../../lib';

/** Submits every op at once (they run in order) and resolves with each outcome's value, or its error. */
async function submitted(store: Store, bucket: string, ops: BucketOp[]): Promise<unknown[]> {
  const outcomes = await Promise.all(ops.map((op) => new Promise<Outcome>((resolve) => store.submit(bucket, op, resolve))));
  return outcomes.map((outcome) => (outcome.ok ? outcome.value : outcome.error));
}

export function redisStringCases(start: () => Promise<Store>, holdersOf: (bucket: string) => readonly string[]): void {
  describe('the operations of Redis strings', () => {
    test('getSet, getExpire, expireIf, deadline, putManyIfAbsent, incrByFloat and setRange each read and write in one step', async () => {
      const store = await start();
      await store.create('counters');
      await store.put('counters', 'a', '1');
      const soon = Date.now() + 3_600_000;
      const later = soon + 60_000;
      const results = await submitted(store, 'counters', [
        { kind: 'getSet', key: 'a', value: '2' },
        { kind: 'getSet', key: 'a', value: 'not written', exists: false },
        { kind: 'getSet', key: 'new', value: 'not written', exists: true },
        { kind: 'getSet', key: 'a', value: '4', expiresAt: soon },
        { kind: 'getSet', key: 'a', value: '5', keepTtl: true },
        { kind: 'deadline', key: 'a' },
        { kind: 'expireIf', key: 'a', expiresAt: later, nx: true },
        { kind: 'expireIf', key: 'a', expiresAt: later, gt: true },
        { kind: 'expireIf', key: 'a', expiresAt: soon, gt: true },
        { kind: 'expireIf', key: 'a', expiresAt: soon, xx: true, lt: true },
        { kind: 'deadline', key: 'a' },
        { kind: 'expireIf', key: 'missing', expiresAt: soon },
        { kind: 'getExpire', key: 'a', expiresAt: 0 },
        { kind: 'deadline', key: 'a' },
        { kind: 'expireIf', key: 'a', expiresAt: 0, xx: true },
        { kind: 'getExpire', key: 'a', expiresAt: 1 },
        { kind: 'deadline', key: 'a' },
        { kind: 'putManyIfAbsent', entries: [['b', '10.5'], ['c', 'text']] },
        { kind: 'putManyIfAbsent', entries: [['d', 'not written'], ['c', 'not written']] },
        { kind: 'incrByFloat', key: 'b', by: '0.1' },
        { kind: 'incrByFloat', key: 'c', by: '1' },
        { kind: 'incrByFloat', key: 'b', by: '-inf' },
        { kind: 'incrByFloat', key: 'b', by: 'x' },
        { kind: 'expireIf', key: 'b', expiresAt: soon, nx: true, gt: true },
        { kind: 'getSet', key: 'b', value: 'v', expiresAt: soon, keepTtl: true },
        { kind: 'setRange', key: 'c', offset: 6, value: 'xy' },
        { kind: 'setRange', key: 'c', offset: 1, value: '' },
        { kind: 'setRange', key: 'e', offset: 2 ** 40, value: '' },
        { kind: 'setRange', key: 'c', offset: -1, value: 'z' },
      ]);
      expect(results).toEqual([
        '1', '2', undefined, '2', '4', soon,
        0, 1, 0, 1, soon, -2,
        '5', -1, 0, '5', -2,
        true, false,
        '10.6',
        { code: 'BAD_REQUEST', message: 'value is not a valid float' },
        { code: 'BAD_REQUEST', message: 'increment would produce NaN or Infinity' },
        { code: 'BAD_REQUEST', message: 'by must be a float as Redis reads one (decimal, hexadecimal or inf)' },
        { code: 'BAD_REQUEST', message: 'nx excludes xx, gt and lt, and gt excludes lt' },
        { code: 'BAD_REQUEST', message: 'keepTtl and expiresAt exclude each other' },
        8, 8, 0,
        { code: 'BAD_REQUEST', message: 'offset must be a non-negative integer, got -1' },
      ]);
      expect(await store.getMany('counters', ['a', 'b', 'c', 'd', 'e', 'new'])).toEqual([undefined, '10.6', 'text\0\0xy', undefined, undefined, undefined]);
      // Every copy applied the same steps: each holder counts the same two keys.
      const holding = (await store.clusterTree()).nodes.flatMap((node) => (node.reachable ? node.buckets.filter((bucket) => bucket.name === 'counters').map((bucket) => [node.node, bucket.keys]) : []));
      expect(holding.sort()).toEqual([...holdersOf('counters')].sort().map((node) => [node, 2]));
    });
  });
}
