// One conformance suite for every storage backend (keyv's way): each backend
// file calls behavesLikeStorage with a factory. `make(place)` builds a backend
// over the backing named `place`; the same place after a close is a restart.

import fc from 'fast-check';
import { createStore, type Storage } from '../../lib';
import { toBinary } from '../../lib/core/bytes';
import { waitUntil } from './deadlines';

export interface StorageFactory {
  /** A new, unopened backend over the backing called `place`. */
  make(place: string): Storage;
  /** Whether a new backend over the same place sees what an earlier one stored. */
  durable: boolean;
}

let places = 0;
const newPlace = (): string => `place-${process.pid}-${++places}`;

async function opened(storage: Storage): Promise<Storage> {
  await storage.open();
  return storage;
}

async function stored(storage: Storage, bucket: string): Promise<[string, string][]> {
  return [...storage.table(bucket).entries()].map(([key, value]): [string, string] => [key, value]).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Awaits a flush whether or not it returns a promise. */
async function flush(storage: Storage, bucket: string): Promise<void> {
  await storage.table(bucket).flush();
}

export function behavesLikeStorage(name: string, factory: () => StorageFactory): void {
  describe(`${name} storage`, () => {
    let open: Storage[] = [];
    const fresh = async (place = newPlace()): Promise<Storage> => {
      const storage = await opened(factory().make(place));
      open.push(storage);
      return storage;
    };
    afterEach(async () => {
      for (const storage of open) await storage.close();
      open = [];
    });
    /** Closes `storage` and opens a new backend over the same place (a restart); undefined for a backend that keeps nothing. */
    const restart = async (storage: Storage, place: string): Promise<Storage | undefined> => {
      await storage.close();
      open = open.filter((each) => each !== storage);
      const again = factory().make(place);
      open.push(again);
      await again.open();
      return factory().durable ? again : undefined;
    };

    test('a new backend holds no buckets', async () => {
      const storage = factory().make(newPlace());
      open.push(storage);
      expect(await storage.open()).toEqual([]);
    });

    test('stores, overwrites and deletes keys', async () => {
      const storage = await fresh();
      await storage.createBucket('shopping');
      const table = storage.table('shopping');
      table.put('milk', '1');
      table.put('eggs', '6');
      table.put('milk', '2');
      expect(table.delete('eggs')).toBe('6');
      expect(table.delete('bread')).toBeUndefined();
      await flush(storage, 'shopping');
      expect(table.get('milk')).toBe('2');
      expect(table.get('eggs')).toBeUndefined();
      expect(table.size).toBe(1);
      expect(await stored(storage, 'shopping')).toEqual([['milk', '2']]);
    });

    test('keeps buckets apart and creates idempotently', async () => {
      const storage = await fresh();
      await storage.createBucket('a');
      await storage.createBucket('b');
      storage.table('a').put('k', 'in a');
      await flush(storage, 'a');
      await storage.createBucket('a');
      expect(storage.table('a').get('k')).toBe('in a');
      expect(storage.table('b').get('k')).toBeUndefined();
    });

    test('a bucket restart re-attaches to its table in a store', async () => {
      const store = await createStore({ storage: factory().make(newPlace()) });
      try {
        await store.create('shopping');
        await store.put('shopping', 'milk', '1');
        await store.crashBucket('shopping');
        expect(await store.get('shopping', 'milk')).toBe('1');
        expect((await store.tree()).buckets[0]!.restarts).toBe(1);
      } finally {
        await store.stop();
      }
    });

    if (!factory().durable) return;

    const awkward: [string, string][] = [
      ['', 'an empty key'],
      ['empty', ''],
      ['spaces in key', 'and in value'],
      ['line', 'a\r\nb\nc'],
      // Storage holds bytes as binary strings: text arrives UTF-8 encoded, and any bytes may.
      [toBinary('ünïcødé ✓'), toBinary('日本語 🚀')],
      ['\xff\xfe\x80', '\x00\xc0\xff'],
      ['long', 'x'.repeat(100_000)],
    ];

    test('what was flushed is there after a restart', async () => {
      const place = newPlace();
      const first = await fresh(place);
      await first.createBucket('shopping');
      await first.createBucket('empty');
      const table = first.table('shopping');
      for (const [key, value] of awkward) table.put(key, value);
      table.put('gone', 'soon');
      table.put('milk', '1');
      table.put('milk', '2');
      table.delete('gone');
      await flush(first, 'shopping');
      await first.close();
      open = [];

      const second = await factory().make(place);
      open.push(second);
      expect((await second.open()).sort()).toEqual(['empty', 'shopping']);
      expect(await stored(second, 'shopping')).toEqual([...awkward, ['milk', '2']].sort(([a], [b]) => (a! < b! ? -1 : 1)));
      expect(second.table('empty').size).toBe(0);
    });

    test('a clear and a drop are there after a restart; writes after a clear in the same flush too', async () => {
      const place = newPlace();
      const first = await fresh(place);
      for (const bucket of ['cleared', 'dropped', 'kept']) {
        await first.createBucket(bucket);
        first.table(bucket).put('milk', '1');
        first.table(bucket).put('eggs', '6');
        await flush(first, bucket);
      }
      const cleared = first.table('cleared');
      expect(cleared.clear()).toBe(2);
      cleared.put('tea', '2');
      await flush(first, 'cleared');
      await first.dropBucket('dropped');
      await first.dropBucket('dropped'); // idempotent
      expect(first.table('dropped').size).toBe(0); // a dropped name starts a new, empty table
      await first.close();
      open = [];

      const second = await factory().make(place);
      open.push(second);
      const names = (await second.open()).sort();
      expect(names).toEqual(factory().durable ? ['cleared', 'kept'] : []);
      if (!factory().durable) return;
      expect(await stored(second, 'cleared')).toEqual([['tea', '2']]);
      expect(await stored(second, 'kept')).toEqual([['eggs', '6'], ['milk', '1']]);
    });

    test('a failed flush of a clear rolls the table back to what it held', async () => {
      const storage = await fresh();
      await storage.createBucket('shopping');
      const table = storage.table('shopping');
      table.put('milk', '1');
      await flush(storage, 'shopping');
      await storage.close();
      open = [];
      table.clear();
      table.put('tea', '2');
      const flushing = table.flush();
      if (!flushing) return; // memory: nothing can fail
      await expect(flushing).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      expect([...table.entries()]).toEqual([['milk', '1', 0]]);
    });

    test('a scan returns every key present throughout, while others are deleted and added again', async () => {
      const storage = await fresh();
      await storage.createBucket('notes');
      const table = storage.table('notes');
      for (let i = 0; i < 100; i++) table.put(`stay-${i}`, 'v');
      for (let i = 0; i < 100; i++) table.put(`churn-${i}`, 'v');
      const seen = new Set<string>();
      let cursor = 0;
      let round = 0;
      do {
        const page = table.scan(cursor, 7);
        page.keys.forEach((key) => seen.add(key));
        cursor = page.cursor;
        round++;
        table.delete(`churn-${round}`);
        table.put(`churn-${round}`, 'again'); // moves to the end
        table.put(`new-${round}`, 'v');
      } while (cursor !== 0 && round < 10_000);
      expect(Array.from({ length: 100 }, (_, i) => `stay-${i}`).filter((key) => !seen.has(key))).toEqual([]);
      await flush(storage, 'notes');
    });

    test('a key put again without a deadline after it expired keeps no old deadline across a restart', async () => {
      const place = newPlace();
      const first = await fresh(place);
      await first.createBucket('shopping');
      const table = first.table('shopping');
      const soon = Date.now() + 30;
      table.put('milk', '1', soon);
      table.put('eggs', '6', soon);
      await flush(first, 'shopping');
      await waitUntil(() => Date.now() > soon, 5000, 'the deadline to pass');
      expect(table.get('milk')).toBeUndefined(); // expired, removed from memory only
      table.put('milk', '2');
      await flush(first, 'shopping');
      const second = await restart(first, place);
      if (!second) return;
      expect([...second.table('shopping').entries()]).toEqual([['milk', '2', 0]]);
    });

    test('random bytes as keys and values come back byte for byte after a restart', async () => {
      const place = newPlace();
      const first = await fresh(place);
      await first.createBucket('\xff\x00bytes');
      const binary = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1'));
      const pairs = new Map(fc.sample(fc.tuple(binary, binary), { numRuns: 200, seed: 13 }));
      const table = first.table('\xff\x00bytes');
      for (const [key, value] of pairs) table.put(key, value);
      await flush(first, '\xff\x00bytes');
      const second = await restart(first, place);
      if (!second) return;
      expect(new Map(await stored(second, '\xff\x00bytes'))).toEqual(pairs);
    });

    test('deadlines are stored: a key whose deadline passed while the backend was closed does not come back', async () => {
      const place = newPlace();
      const first = await fresh(place);
      await first.createBucket('shopping');
      const table = first.table('shopping');
      const soon = Date.now() + 50;
      const later = Date.now() + 3_600_000;
      table.put('soon', '1', soon);
      table.put('later', '2', later);
      table.put('never', '3');
      await flush(first, 'shopping');
      await first.close();
      open = [];
      await waitUntil(() => Date.now() > soon, 5000, 'the deadline to pass');

      const second = await factory().make(place);
      open.push(second);
      await second.open();
      if (!factory().durable) return;
      expect([...second.table('shopping').entries()].sort()).toEqual([['later', '2', later], ['never', '3', 0]]);
    });

    test('a restarted store serves every acknowledged write', async () => {
      const place = newPlace();
      const first = await createStore({ storage: factory().make(place) });
      const names = Array.from({ length: 20 }, (_, i) => `bucket-${i}`);
      for (const bucket of names) await first.create(bucket);
      await Promise.all(names.flatMap((bucket) => Array.from({ length: 50 }, (_, i) => first.put(bucket, `k${i}`, `${bucket}/${i}`))));
      await Promise.all(names.map((bucket) => first.delete(bucket, 'k0')));
      await first.stop();

      const second = await createStore({ storage: factory().make(place) });
      try {
        expect(await second.buckets()).toEqual([...names].sort());
        for (const bucket of names) {
          expect(await second.get(bucket, 'k0')).toBeUndefined();
          expect(await second.get(bucket, 'k49')).toBe(`${bucket}/49`);
        }
        expect((await second.tree()).buckets.every((bucket) => bucket.keys === 49)).toBe(true);
      } finally {
        await second.stop();
      }
    });
  });
}
