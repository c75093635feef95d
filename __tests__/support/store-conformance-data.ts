// The conformance suite's cases for the key-value API beyond the guide's four
// verbs: size, clear, drop, many at once, and key scans (Redis's SCAN
// guarantee while the bucket is written). Called by behavesLikeAStore, so
// every target runs them.

import fc from 'fast-check';
import type { KvError, Store } from '../../lib';
import { waitUntil } from './deadlines';
import { rejection } from './rejection';

/** Every key of a bucket, by scanning it page by page with `count`. */
async function scanAll(store: Store, bucket: string, count: number, between: () => Promise<void> = async () => {}): Promise<string[]> {
  const seen: string[] = [];
  let cursor = 0;
  do {
    const page = await store.keys(bucket, { cursor, count });
    expect(page.keys.length).toBeLessThanOrEqual(count);
    seen.push(...page.keys);
    cursor = page.cursor;
    await between();
  } while (cursor !== 0);
  return seen;
}

export function dataModelCases(start: () => Promise<Store>): void {
  describe('size, clear and drop', () => {
    test('size counts the keys; clear removes them all and says how many, and the bucket stays', async () => {
      const store = await start();
      await store.create('shopping');
      expect(await store.size('shopping')).toBe(0);
      await store.putMany('shopping', [['milk', '1'], ['eggs', '6'], ['tea', '2']]);
      expect(await store.size('shopping')).toBe(3);
      expect(await store.clear('shopping')).toBe(3);
      expect(await store.size('shopping')).toBe(0);
      expect(await store.has('shopping')).toBe(true);
      expect(await store.get('shopping', 'milk')).toBeUndefined();
      await store.put('shopping', 'milk', '2');
      expect(await store.get('shopping', 'milk')).toBe('2');
    });

    test('drop removes the bucket with its keys; a new bucket of that name starts empty', async () => {
      const store = await start();
      await store.create('shopping');
      await store.create('apples');
      await store.put('shopping', 'milk', '1');
      await store.put('apples', 'red', '3');
      await store.drop('shopping');
      expect(await store.has('shopping')).toBe(false);
      expect(await store.buckets()).toEqual(['apples']);
      expect(await rejection(store.get('shopping', 'milk'))).toMatchObject({ code: 'NOT_FOUND', message: 'bucket shopping does not exist' });
      expect(await rejection(store.drop('shopping'))).toMatchObject({ code: 'NOT_FOUND' });
      await store.create('shopping');
      expect(await store.get('shopping', 'milk')).toBeUndefined();
      expect(await store.size('shopping')).toBe(0);
      expect(await store.get('apples', 'red')).toBe('3');
    });

    test('calls issued with a drop are answered: before it as usual, after it NOT_FOUND', async () => {
      const store = await start();
      await store.create('shopping');
      const puts = Array.from({ length: 200 }, (_, i) => store.put('shopping', `k${i}`, 'v').then(() => 'ok', (error: KvError) => error.code));
      await store.drop('shopping');
      const later = await store.put('shopping', 'late', 'v').then(() => 'ok', (error: KvError) => error.code);
      expect(later).toBe('NOT_FOUND');
      expect((await Promise.all(puts)).every((code) => code === 'ok' || code === 'NOT_FOUND')).toBe(true);
    });

    test('size, clear and drop of a bucket that does not exist are NOT_FOUND', async () => {
      const store = await start();
      const calls = [() => store.size('nope'), () => store.clear('nope'), () => store.drop('nope'), () => store.keys('nope'), () => store.getMany('nope', ['a']), () => store.putMany('nope', [['a', '1']])];
      for (const call of calls) expect(await rejection(call())).toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('bytes', () => {
    test('any bytes as keys and values round-trip byte for byte; text comes back as text', async () => {
      const store = await start();
      await store.create(Buffer.from([0x62, 0xff, 0x80]));
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 200 }), async (key, value) => {
          await store.put(Buffer.from([0x62, 0xff, 0x80]), Buffer.from(key), Buffer.from(value));
          expect(await store.getBuffer(Buffer.from([0x62, 0xff, 0x80]), Buffer.from(key))).toEqual(Buffer.from(value));
        }),
        { numRuns: 100 },
      );
      await store.create('notes');
      await store.put('notes', 'clé ✓', 'valeur 日本 🚀');
      expect(await store.get('notes', Buffer.from('clé ✓'))).toBe('valeur 日本 🚀');
      expect(await store.getBuffer('notes', 'clé ✓')).toEqual(Buffer.from('valeur 日本 🚀'));
      expect((await store.keys('notes')).keys).toEqual(['clé ✓']);
      expect(await store.buckets()).toContain('notes');
    });
  });

  describe('expiry', () => {
    test('a key put with ttlMs is there until its deadline, then never returned; ttl counts down', async () => {
      const store = await start();
      await store.create('shopping');
      await store.put('shopping', 'milk', '1', { ttlMs: 200 });
      await store.put('shopping', 'eggs', '6');
      const left = await store.ttl('shopping', 'milk');
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(200);
      expect(await store.ttl('shopping', 'eggs')).toBe(-1);
      expect(await store.ttl('shopping', 'nope')).toBe(-2);
      await waitUntil(async () => (await store.get('shopping', 'milk')) === undefined, 5000, 'milk to expire');
      expect(await store.has('shopping', 'milk')).toBe(false);
      expect(await store.ttl('shopping', 'milk')).toBe(-2);
      expect((await store.keys('shopping')).keys).toEqual(['eggs']);
      expect(await store.getMany('shopping', ['milk', 'eggs'])).toEqual([undefined, '6']);
    });

    test('expire sets a deadline, persist removes it, a put without ttlMs drops it, expire at 0 deletes at once', async () => {
      const store = await start();
      await store.create('shopping');
      await store.put('shopping', 'milk', '1');
      expect(await store.expire('shopping', 'milk', 60_000)).toBe(true);
      expect(await store.ttl('shopping', 'milk')).toBeGreaterThan(59_000);
      expect(await store.persist('shopping', 'milk')).toBe(true);
      expect(await store.ttl('shopping', 'milk')).toBe(-1);
      await store.put('shopping', 'milk', '2', { ttlMs: 60_000 });
      await store.put('shopping', 'milk', '3');
      expect(await store.ttl('shopping', 'milk')).toBe(-1);
      expect(await store.expire('shopping', 'nope', 1000)).toBe(false);
      expect(await store.expire('shopping', 'milk', 0)).toBe(true);
      expect(await store.get('shopping', 'milk')).toBeUndefined();
      for (const ttlMs of [0, -1, 1.5, Number.NaN]) {
        expect(await rejection(store.put('shopping', 'k', 'v', { ttlMs }))).toMatchObject({ code: 'BAD_REQUEST' });
      }
    });
  });

  describe('many at once', () => {
    test('putMany sets every entry, from pairs or an object; getMany reads them in order, undefined where missing', async () => {
      const store = await start();
      await store.create('shopping');
      await store.putMany('shopping', [['milk', '1'], ['eggs', '6']]);
      await store.putMany('shopping', { tea: '2', milk: '3' });
      expect(await store.getMany('shopping', ['milk', 'nope', 'eggs', 'tea'])).toEqual(['3', undefined, '6', '2']);
      expect(await store.getMany('shopping', [])).toEqual([]);
    });

    test('putMany of something that is not entries rejects with BAD_REQUEST (never throws)', async () => {
      const store = await start();
      await store.create('shopping');
      for (const entries of [null, undefined, 'ab', 42]) {
        expect(await rejection(store.putMany('shopping', entries as never))).toMatchObject({ code: 'BAD_REQUEST' });
      }
    });

    test('a putMany with a bad entry is refused whole: nothing is stored', async () => {
      const store = await start();
      await store.create('shopping');
      const error = await rejection(store.putMany('shopping', [['milk', '1'], ['eggs', 6 as unknown as string]]));
      expect(error).toMatchObject({ code: 'BAD_REQUEST' });
      expect(await store.size('shopping')).toBe(0);
    });
  });

  describe('key scans', () => {
    test('keys pages through every key with a cursor; match filters by glob; entries yields every pair', async () => {
      const store = await start();
      await store.create('notes');
      const keys = Array.from({ length: 250 }, (_, i) => `k${i}`);
      await store.putMany('notes', keys.map((key): [string, string] => [key, `v-${key}`]));
      expect((await scanAll(store, 'notes', 100)).sort()).toEqual([...keys].sort());
      const matched: string[] = [];
      let cursor = 0;
      do {
        const page = await store.keys('notes', { cursor, count: 1000, match: 'k1?' });
        matched.push(...page.keys);
        cursor = page.cursor;
      } while (cursor !== 0);
      expect(matched.sort()).toEqual(['k10', 'k11', 'k12', 'k13', 'k14', 'k15', 'k16', 'k17', 'k18', 'k19']);
      const pairs: Array<[string, string]> = [];
      for await (const pair of store.entries('notes', { count: 64 })) pairs.push(pair);
      expect(new Map(pairs)).toEqual(new Map(keys.map((key) => [key, `v-${key}`])));
    });

    test('a scan while another client writes and deletes returns every key present throughout', async () => {
      const store = await start();
      await store.create('notes');
      const stay = Array.from({ length: 500 }, (_, i) => `stay-${i}`);
      await store.putMany('notes', stay.map((key): [string, string] => [key, '1']));
      let round = 0;
      const churn = async (): Promise<void> => {
        round++;
        // Deletes and re-adds move keys to the end; new keys arrive; the stable ones are untouched.
        await store.putMany('notes', Array.from({ length: 20 }, (_, i) => [`new-${round}-${i}`, '1'] as [string, string]));
        for (let i = 0; i < 10; i++) await store.delete('notes', `new-${round - 1}-${i}`);
        await store.put('notes', `new-${round - 1}-15`, '2');
      };
      const seen = new Set(await scanAll(store, 'notes', 25, churn));
      expect(stay.filter((key) => !seen.has(key))).toEqual([]);
    });

    test('bad scan arguments are BAD_REQUEST', async () => {
      const store = await start();
      await store.create('notes');
      for (const options of [{ count: 0 }, { count: 10_001 }, { cursor: -1 }, { cursor: 1.5 }, { match: 3 as unknown as string }]) {
        expect(await rejection(store.keys('notes', options))).toMatchObject({ code: 'BAD_REQUEST' });
      }
    });
  });
}
