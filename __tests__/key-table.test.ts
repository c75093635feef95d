// A bucket's keys in memory: scans that survive writes, and expiry under a
// clock the test controls (only Date is faked: nothing here waits).

import fc from 'fast-check';
import { KeyTable } from '../lib/storage/key-table';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createStore, type Store } from '../lib';
import { ExpirySweeper, expirySweeper } from '../lib/storage/expiry-sweeper';
import { JournaledTable } from '../lib/storage/journaled-table';

const start = Date.parse('2026-12-03T00:00:00Z');
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'setInterval', 'setTimeout', 'clearInterval', 'clearTimeout', 'nextTick', 'queueMicrotask', 'performance', 'hrtime'], now: start });
});
/** Tables made by a test, released after it so the process-wide sweeper holds none of them. */
const made: KeyTable[] = [];
const newTable = (): KeyTable => {
  const table = new KeyTable();
  made.push(table);
  return table;
};
afterEach(() => {
  jest.useRealTimers();
  for (const table of made.splice(0)) table.release();
});

const later = (ms: number): void => jest.setSystemTime(Date.now() + ms);

describe('expiry', () => {
  test('a key is there until its deadline, then never returned', () => {
    const table = newTable();
    table.set('milk', '1', start + 1000);
    table.set('eggs', '6');
    later(999);
    expect(table.get('milk')).toBe('1');
    expect(table.entry('milk')).toEqual({ value: '1', expiresAt: start + 1000 });
    later(1);
    expect(table.get('milk')).toBeUndefined();
    expect([...table.entries()].map(([key]) => key)).toEqual(['eggs']);
    expect(table.scan(0, 10).keys).toEqual(['eggs']);
    expect(table.size).toBe(1); // removed when touched
  });

  test('a set without a deadline removes the old one; a set with one replaces it', () => {
    const table = newTable();
    table.set('milk', '1', start + 10);
    table.set('milk', '2');
    later(100);
    expect(table.get('milk')).toBe('2');
    table.set('milk', '3', start + 200);
    expect(table.expiring).toBe(1);
    later(100);
    expect(table.get('milk')).toBeUndefined();
    expect(table.expiring).toBe(0);
  });

  test('an expired key counts as missing: its replacement is a new key with no previous value', () => {
    const table = newTable();
    table.set('milk', '1', start + 10);
    later(10);
    expect(table.set('milk', '2')).toBeUndefined();
    expect(table.delete('nope')).toBeUndefined();
  });

  test('the sweep removes expired keys that are never read again, and only those', () => {
    const table = newTable();
    for (let i = 0; i < 10_000; i++) table.set(`short-${i}`, 'v', start + 1000);
    for (let i = 0; i < 100; i++) table.set(`long-${i}`, 'v', start + 1_000_000);
    for (let i = 0; i < 100; i++) table.set(`forever-${i}`, 'v');
    later(1000);
    let rounds = 0;
    while (table.size > 200 && rounds++ < 1000) table.sweepExpired(50);
    expect(table.size).toBe(200);
    expect(table.expiring).toBe(100);
    expect(table.get('long-7')).toBe('v');
    expect(table.get('forever-7')).toBe('v');
  });

  test('the sweeper watches a table only while it has keys with a deadline', () => {
    const sweeper = new ExpirySweeper();
    const table = { sweepExpired: jest.fn(() => false) };
    sweeper.watch(table);
    sweeper.sweep();
    expect(table.sweepExpired).toHaveBeenCalledTimes(1);
    sweeper.unwatch(table);
    sweeper.sweep();
    expect(table.sweepExpired).toHaveBeenCalledTimes(1);
  });

  test('a run that ran out of budget with expired keys left says so, so the next comes sooner', () => {
    const sweeper = new ExpirySweeper();
    const behind = { sweepExpired: jest.fn(() => true) };
    const done = { sweepExpired: jest.fn(() => false) };
    sweeper.watch(done);
    expect(sweeper.sweep()).toBe(false);
    sweeper.watch(behind);
    expect(sweeper.sweep()).toBe(true);
    sweeper.unwatch(done);
    sweeper.unwatch(behind);
  });

  test('a table full of expired keys reports that it stopped for its budget', () => {
    const table = newTable();
    for (let i = 0; i < 200_000; i++) table.set(`k${i}`, 'v', start + 10);
    later(10);
    expect(table.sweepExpired(0)).toBe(true);
    expect(table.expiring).toBeLessThan(200_000);
  });
});

describe('scans', () => {
  test('a cursor survives deletes, re-adds and the compaction of the order', () => {
    const table = newTable();
    for (let i = 0; i < 5000; i++) table.set(`k${i}`, 'v');
    const seen = new Set<string>();
    let page = table.scan(0, 100);
    page.keys.forEach((key) => seen.add(key));
    // Delete most keys after the cursor (the order is compacted), re-add some.
    for (let i = 200; i < 4000; i++) table.delete(`k${i}`);
    for (let i = 200; i < 300; i++) table.set(`k${i}`, 'again');
    while (page.cursor !== 0) {
      page = table.scan(page.cursor, 100);
      page.keys.forEach((key) => seen.add(key));
    }
    for (let i = 0; i < 100; i++) expect(seen.has(`k${i}`)).toBe(true);
    for (let i = 4000; i < 5000; i++) expect(seen.has(`k${i}`)).toBe(true);
  });

  test('whatever is added and deleted meanwhile, across many chunks of the order, a scan returns every key present throughout, and only keys present', () => {
    type Step = { kind: 'add'; count: number } | { kind: 'delete'; every: number; from: number } | { kind: 'page'; count: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), count: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('delete' as const), every: fc.integer({ min: 1, max: 5 }), from: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('page' as const), count: fc.integer({ min: 1, max: 500 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9000 }), fc.array(step, { maxLength: 20 }), (initial, steps) => {
        const table = newTable();
        const present = new Set<string>();
        let next = 0;
        const add = (count: number): void => {
          for (let i = 0; i < count; i++, next++) {
            table.set(`k${next}`, 'v');
            present.add(`k${next}`);
          }
        };
        add(initial);
        const throughout = new Set(present);
        const seen = new Set<string>();
        let cursor = 0;
        let pages = 0;
        const page = (count: number): void => {
          const result = table.scan(cursor, count);
          for (const key of result.keys) {
            if (!present.has(key)) throw new Error(`${key} was returned, but is not in the table`);
            seen.add(key);
          }
          cursor = result.cursor;
          pages++;
        };
        for (const each of steps) {
          if (each.kind === 'add') add(each.count);
          else if (each.kind === 'page') page(each.count);
          else {
            // Delete every `every`-th present key from the `from`-th on: whole runs of the order die at once.
            [...present].filter((_, index) => index % each.every === each.from % each.every).forEach((key) => {
              table.delete(key);
              present.delete(key);
              throughout.delete(key);
            });
          }
          if (pages > 0 && cursor === 0) break;
        }
        while (pages === 0 || cursor !== 0) page(1000);
        const missed = [...throughout].filter((key) => !seen.has(key));
        expect(missed).toEqual([]);
        expect(table.size).toBe(present.size);
      }),
      { numRuns: 40 },
    );
  });

  test('a page visits a bounded number of slots: a sparse match returns fewer keys, not a long pause', () => {
    const table = newTable();
    for (let i = 0; i < 10_000; i++) table.set(`k${i}`, 'v');
    const page = table.scan(0, 10, (key) => key === 'k9999');
    expect(page.keys).toEqual([]);
    expect(page.cursor).toBe(100);
  });
});

describe('the process-wide sweeper lets go of tables that are gone', () => {
  test.each([
    ['a stopped store', async (store: Store) => store.stop()],
    ['a dropped bucket', async (store: Store) => (await store.drop('cache'), await store.stop())],
    ['a cleared bucket', async (store: Store) => (await store.clear('cache'), await store.stop())],
  ])('%s', async (_what, end) => {
    jest.useRealTimers();
    const before = expirySweeper.watching;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'actor-kv-sweeper-'));
    try {
      for (const storage of ['memory', { type: 'file', dir, fsync: 'no' }] as const) {
        const store = await createStore({ storage });
        await store.create('cache');
        await store.put('cache', 'k', 'v', { ttlMs: 3_600_000 });
        expect(expirySweeper.watching).toBe(before + 1);
        await end(store);
        expect(expirySweeper.watching).toBe(before);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a journaled table keeps scan cursors good across a reload and a clear', () => {
  test('a scan begun before a reload (Redis after an outage) sees every key present throughout', () => {
    const table = new JournaledTable('b', () => undefined);
    for (let i = 0; i < 1000; i++) table.put(`k${i}`, 'v');
    for (let i = 0; i < 900; i++) table.delete(`k${i}`);
    void table.flush();
    const first = table.scan(0, 10);
    table.reload([...table.entries()].map(([key, value, expiresAt]) => [key, { value, expiresAt }] as const));
    // At least once, as Redis's SCAN: a key seen before the reload may come again after it.
    const seen = new Set(first.keys);
    let cursor = first.cursor;
    do {
      const page = table.scan(cursor, 10);
      page.keys.forEach((key) => seen.add(key));
      cursor = page.cursor;
    } while (cursor !== 0);
    expect([...seen].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `k${900 + i}`).sort());
    table.release();
  });

  test('keys added after a clear come after a cursor taken before it', () => {
    const table = new JournaledTable('b', () => undefined);
    for (let i = 0; i < 50; i++) table.put(`old${i}`, 'v');
    const before = table.scan(0, 50);
    table.clear();
    table.put('new', 'v');
    expect(table.scan(before.cursor, 10).keys).toEqual(['new']);
    table.release();
  });
});
