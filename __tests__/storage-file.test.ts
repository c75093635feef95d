// The append-only file backend's own promises: torn tails cut, corruption
// refused with file and offset, write and fsync errors fail the request, group
// commit, compaction bounded and non-blocking, one process per data directory.

import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import { createStore, FileStorage, KvError } from '../lib';
import { RecordingLogger } from './support/recording-logger';
import { logFileName } from '../lib/storage/file-storage';
import { bucketBytes, entryBytes, logMagic } from '../lib/storage/log-format';
import { rejection } from './support/rejection';
import { waitUntil } from './support/deadlines';
import { deferred } from '../lib/core/deferred';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-file-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const logPath = (): string => path.join(dir, logFileName);

/** Writes `count` keys, one flush each, and returns the contents after each flush's log size. */
async function writeKeys(count: number): Promise<number[]> {
  const storage = new FileStorage({ dir, fsync: 'no' });
  await storage.open();
  await storage.createBucket('b');
  const sizes = [fs.statSync(logPath()).size];
  for (let i = 0; i < count; i++) {
    storage.table('b').put(`k${i}`, `value ${i}`);
    await storage.table('b').flush();
    sizes.push(fs.statSync(logPath()).size);
  }
  await storage.close();
  return sizes;
}

async function contents(): Promise<Record<string, string>> {
  const storage = new FileStorage({ dir, fsync: 'no' });
  await storage.open();
  try {
    return Object.fromEntries(storage.table('b').entries());
  } finally {
    await storage.close();
  }
}

describe('starting from a damaged log', () => {
  test('a log cut at every byte of its last record starts with exactly the records before it', async () => {
    const sizes = await writeKeys(3);
    const whole = fs.readFileSync(logPath());
    const lastStart = sizes[2]!;
    for (let cut = lastStart; cut < whole.length; cut++) {
      fs.writeFileSync(logPath(), whole.subarray(0, cut));
      const logger = new RecordingLogger();
      const storage = new FileStorage({ dir, fsync: 'no', logger });
      expect(await storage.open()).toEqual(['b']);
      expect(Object.fromEntries(storage.table('b').entries())).toEqual({ k0: 'value 0', k1: 'value 1' });
      if (cut > lastStart) expect(logger.events).toContainEqual({ level: 'warn', event: 'storage log torn tail cut', fields: { file: logPath(), offset: lastStart, bytes: cut - lastStart } });
      // The torn bytes are gone: a new write after them reads back after a restart.
      storage.table('b').put('after', 'cut');
      await storage.table('b').flush();
      await storage.close();
      expect(await contents()).toEqual({ k0: 'value 0', k1: 'value 1', after: 'cut' });
    }
  });

  test('a flipped byte in the middle refuses to start, naming the file and the offset', async () => {
    const sizes = await writeKeys(3);
    const bytes = fs.readFileSync(logPath());
    bytes[sizes[1]! + 20]! ^= 0x40;
    fs.writeFileSync(logPath(), bytes);
    const error = await rejection(createStore({ storage: { type: 'file', dir } }));
    expect(error.code).toBe('STORAGE_CORRUPT');
    expect(error.message).toContain(logPath());
    expect(error.message).toContain(`byte offset ${sizes[1]}`);
    // Refusing released the lock: with the file repaired by hand, it starts.
    fs.truncateSync(logPath(), sizes[1]!);
    expect(await contents()).toEqual({ k0: 'value 0' });
  });
});

describe('write errors', () => {
  test('a failed write fails its request, is rolled back, and leaves no bytes behind', async () => {
    const store = await createStore({ storage: { type: 'file', dir, fsync: 'no' } });
    await store.create('b');
    await store.put('b', 'k', 'old');
    const write = jest.spyOn(fs, 'writeSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    const error = await rejection(store.put('b', 'k', 'new'));
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    // The condition, not the data directory's path: that goes to the log only.
    expect(error.message).toBe('the write was not stored: storage full (ENOSPC)');
    expect(error.message).not.toContain(dir);
    expect(await store.get('b', 'k')).toBe('old');
    write.mockRestore();
    await store.put('b', 'other', 'fine');
    await store.stop();
    expect(await contents()).toEqual({ k: 'old', other: 'fine' });
  });

  test('a failed group write fails exactly the writes of that group; the others are stored', async () => {
    const store = await createStore({ storage: { type: 'file', dir, fsync: 'no' } });
    const buckets = Array.from({ length: 10 }, (_, i) => `b${i}`);
    for (const bucket of buckets) await store.create(bucket);
    // The puts of one turn are written together, in one write(2): make the first such write fail.
    jest.spyOn(fs, 'writeSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    });
    const putAll = (names: string[]) => Promise.all(names.map((bucket) => store.put(bucket, 'k', 'v').then(() => 'OK', (error: KvError) => error.code)));
    const failedTurn = await putAll(buckets.slice(0, 5));
    const nextTurn = await putAll(buckets.slice(5));
    expect(failedTurn).toEqual(Array(5).fill('STORAGE_UNAVAILABLE'));
    expect(nextTurn).toEqual(Array(5).fill('OK'));
    const outcomes = [...failedTurn, ...nextTurn];
    await store.stop();
    const again = await createStore({ storage: { type: 'file', dir } });
    for (const [index, bucket] of buckets.entries()) expect(await again.get(bucket, 'k')).toBe(outcomes[index] === 'OK' ? 'v' : undefined);
    await again.stop();
  });

  test('a failed fsync fails its requests and every write after it, until a restart', async () => {
    const logger = new RecordingLogger();
    const store = await createStore({ storage: { type: 'file', dir, fsync: 'always' }, logger });
    await store.create('b');
    jest.spyOn(fs, 'fdatasync').mockImplementation(((_fd: number, callback: (error: Error) => void) => {
      callback(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    }) as typeof fs.fdatasync);
    const error = await rejection(store.put('b', 'k', 'v'));
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.message).toMatch(/fsync of the log failed: .*\(EIO\).*restarts/);
    expect(error.message).not.toContain(dir);
    expect(await store.get('b', 'k')).toBeUndefined();
    expect((await rejection(store.put('b', 'k2', 'v'))).code).toBe('STORAGE_UNAVAILABLE');
    expect(logger.events.some(({ level, event }) => level === 'error' && event === 'storage log broken')).toBe(true);
    await store.stop();
  });
});

describe("fsync 'always'", () => {
  test('group commit: a burst of writes to many buckets shares one fsync, and each OK follows it', async () => {
    const store = await createStore({ storage: { type: 'file', dir, fsync: 'always' } });
    const buckets = Array.from({ length: 20 }, (_, i) => `b${i}`);
    for (const bucket of buckets) await store.create(bucket);
    const fsyncs: number[] = [];
    const real = fs.fdatasync;
    jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: (error: Error | null) => void) => {
      real(fd, (error) => {
        fsyncs.push(Date.now());
        callback(error);
      });
    }) as typeof fs.fdatasync);
    let answeredBeforeFsync = 0;
    await Promise.all(
      buckets.flatMap((bucket) =>
        Array.from({ length: 10 }, (_, i) => store.put(bucket, `k${i}`, 'v').then(() => void (fsyncs.length === 0 && answeredBeforeFsync++))),
      ),
    );
    expect(answeredBeforeFsync).toBe(0);
    expect(fsyncs.length).toBeGreaterThanOrEqual(1);
    expect(fsyncs.length).toBeLessThanOrEqual(3); // 200 writes; nact delivers the 20 batches over a turn or two
    await store.stop();
  });
});

describe('group write', () => {
  test("a turn's puts to many buckets are one write(2), acknowledged in the loop iteration that handled them", async () => {
    const store = await createStore({ storage: { type: 'file', dir, fsync: 'no' } });
    const buckets = Array.from({ length: 20 }, (_, i) => `b${i}`);
    for (const bucket of buckets) await store.create(bucket);
    const writes = jest.spyOn(fs, 'writeSync');
    let iterations = 0;
    let counting = true;
    const tick = (): void => {
      iterations++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    // 20 writers in a closed loop, one bucket each: 50 rounds of 20 puts.
    await Promise.all(buckets.map(async (bucket) => {
      for (let i = 0; i < 50; i++) await store.put(bucket, `k${i}`, 'v');
    }));
    counting = false;
    // One write per round (not per bucket), and no extra loop iteration per round waiting for it.
    expect(writes.mock.calls.length).toBeLessThanOrEqual(55);
    expect(iterations).toBeLessThanOrEqual(55);
    await store.stop();
    const again = await createStore({ storage: { type: 'file', dir } });
    for (const bucket of buckets) expect(await again.size(bucket)).toBe(50);
    await again.stop();
  });
});

describe("fsync 'everysec'", () => {
  test('answers before any fsync, and fsyncs within about a second, unasked', async () => {
    const store = await createStore({ storage: { type: 'file', dir, fsync: 'everysec' } });
    await store.create('b');
    const fsync = jest.spyOn(fs, 'fdatasync');
    await store.put('b', 'k', 'v');
    expect(fsync).not.toHaveBeenCalled();
    const started = Date.now();
    await waitUntil(() => fsync.mock.calls.length > 0, 3000, 'an fsync');
    expect(Date.now() - started).toBeLessThan(1500);
    await store.stop();
  });
});

describe('compaction', () => {
  test('100,000 overwrites of 100 keys keep the log a small multiple of the live data, intact after restart', async () => {
    const logger = new RecordingLogger();
    // No minimum size, so the ratio alone bounds the log: it is rewritten whenever it passes twice the live data.
    const store = await createStore({ storage: { type: 'file', dir, fsync: 'no', compactionMinBytes: 0, compactionRatio: 2, logger } });
    await store.create('b');
    const live = logMagic.length + bucketBytes('b') + 100 * entryBytes('key-99', 'value 999 of 99');
    let biggest = 0;
    for (let round = 0; round < 1000; round++) {
      await Promise.all(Array.from({ length: 100 }, (_, key) => store.put('b', `key-${key}`, `value ${round} of ${key}`)));
      biggest = Math.max(biggest, fs.statSync(logPath()).size);
    }
    // Once the load stops, the rewrite running then finishes and, still above the ratio, runs once more.
    await waitUntil(() => fs.statSync(logPath()).size <= 3 * live, 5000, 'the log to be compacted');
    await store.stop();
    const written = 100_000 * entryBytes('key-99', 'value 999 of 99');
    expect(logger.events.filter(({ event }) => event === 'storage log compacted').length).toBeGreaterThan(10);
    expect(logger.events.filter(({ level }) => level !== 'info')).toEqual([]);
    expect(fs.statSync(logPath()).size).toBeLessThanOrEqual(3 * live);
    // Under the load the log reaches twice the live data plus what arrives during one rewrite, which
    // depends on the machine's speed: only a loose bound here (without compaction it would be `written`).
    expect(biggest).toBeLessThan(written / 3);
    expect(fs.readdirSync(dir).sort()).toEqual(['LOCK', logFileName]);
    const after = await contents();
    expect(Object.keys(after)).toHaveLength(100);
    expect(after['key-42']).toBe('value 999 of 42');
  });

  test('requests are served while a large log is rewritten', async () => {
    const storage = new FileStorage({ dir, fsync: 'no' });
    const store = await createStore({ storage });
    await store.create('b');
    await Promise.all(Array.from({ length: 20_000 }, (_, key) => store.put('b', `key-${key}`, 'x'.repeat(100))));
    let compacted = false;
    const compaction = storage.compact().then(() => (compacted = true));
    let servedDuring = 0;
    for (let i = 0; !compacted; i++) {
      await store.put('b', `key-${i % 100}`, `during ${i}`);
      expect(await store.get('b', `key-${i % 100}`)).toBe(`during ${i}`);
      if (!compacted) servedDuring++;
    }
    await compaction;
    await store.stop();
    expect(servedDuring).toBeGreaterThan(1);
    const after = await contents();
    expect(Object.keys(after)).toHaveLength(20_000);
    expect(after['key-0']).toMatch(/^during /);
  });
});

describe('compaction and a power loss', () => {
  test("with fsync 'always' no write is acknowledged into the rewritten log before its rename is durable", async () => {
    const storage = new FileStorage({ dir, fsync: 'always', compactionMinBytes: 1 << 30 });
    await storage.open();
    await storage.createBucket('b');
    const table = storage.table('b');
    table.put('k', 'before');
    await table.flush();
    // Hold the fsync of the directory (which makes the rename durable) until the test lets it go.
    const dirSyncCalled = deferred();
    let letDirSyncGo = (): void => {};
    const realFsync = fs.fsync;
    jest.spyOn(fs, 'fsync').mockImplementation(((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      letDirSyncGo = () => realFsync(fd, callback);
      dirSyncCalled.resolve();
    }) as typeof fs.fsync);
    const compaction = storage.compact();
    await dirSyncCalled.promise; // renamed; a power loss now could still bring back the old log
    const writes = jest.spyOn(fs, 'writeSync');
    table.put('k', 'during');
    let acknowledged = false;
    const flushed = Promise.resolve(table.flush()).then(() => void (acknowledged = true));
    // Appends are written at the turn's end: let that turn run.
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    // Written to the new log already: it is acknowledged once fdatasync'ed, rename durable or not.
    if (writes.mock.calls.length > 0) await flushed;
    const acknowledgedBeforeRenameDurable = acknowledged;
    letDirSyncGo();
    await compaction;
    await flushed;
    await storage.close();
    expect(acknowledgedBeforeRenameDurable).toBe(false);
    expect(await contents()).toEqual({ k: 'during' });
  });
});

describe("compaction with fsync 'everysec'", () => {
  test('a background fsync of the old log that ends after the swap does not stop the fsyncs of the new one', async () => {
    // Only the writer's once-a-second interval is faked, so the test says when it fires.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'Date', 'performance', 'hrtime'] });
    const storage = new FileStorage({ dir, fsync: 'everysec', compactionMinBytes: 1 << 30 });
    try {
      await storage.open();
      await storage.createBucket('b');
      const table = storage.table('b');
      // Overwrites: the log is many times what its compaction keeps, and none of it fsynced yet.
      for (let i = 0; i < 1000; i++) {
        table.put('k', `value ${i}`);
        await table.flush();
      }
      const realFdatasync = fs.fdatasync;
      const realClose = fs.close;
      let rewriteFd: number | undefined;
      const realOpen = fs.open;
      jest.spyOn(fs, 'open').mockImplementation(((file: string, flags: string, mode: number, callback: (error: Error | null, fd: number) => void) =>
        realOpen(file, flags, mode, (error, fd) => {
          if (String(file).endsWith('.rewrite')) rewriteFd = fd;
          callback(error, fd);
        })) as typeof fs.open);
      let tickedDuringSwap = false;
      let compacted = false;
      let heldOldSync: { fd: number; done: (error: Error | null) => void } | undefined;
      let newLogSyncs = 0;
      jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: (error: Error | null) => void) => {
        if (fd === rewriteFd && !tickedDuringSwap) {
          tickedDuringSwap = true;
          jest.advanceTimersByTime(1000); // the second ticks while the new file is fsynced, just before its rename
        } else if (fd !== rewriteFd && tickedDuringSwap && !compacted) {
          heldOldSync = { fd, done: callback }; // an fsync of the old log, slow: it ends once that file is closed
          return;
        }
        if (fd === rewriteFd && compacted) newLogSyncs++;
        realFdatasync(fd, callback);
      }) as typeof fs.fdatasync);
      jest.spyOn(fs, 'close').mockImplementation(((fd: number, callback: (error: Error | null) => void) => {
        if (heldOldSync?.fd === fd) heldOldSync.done(null);
        realClose(fd, callback);
      }) as typeof fs.close);
      await storage.compact();
      compacted = true;
      table.put('k', 'after the compaction');
      await table.flush();
      jest.advanceTimersByTime(1000);
      // The next second's fsync covers the write made on the new log.
      expect(newLogSyncs).toBe(1);
    } finally {
      jest.useRealTimers();
      await storage.close();
    }
  });
});

describe('the data directory', () => {
  test('that cannot be made (a file stands in its way) refuses the start plainly: STORAGE_UNAVAILABLE naming it', async () => {
    fs.writeFileSync(path.join(dir, 'file'), '');
    const error = await rejection(createStore({ storage: { type: 'file', dir: path.join(dir, 'file', 'data') } }));
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.message.startsWith(`cannot use the data directory ${path.join(dir, 'file', 'data')}: ENOTDIR`)).toBe(true);
  });

  test('is locked against a second user while open, and free after close', async () => {
    const first = await createStore({ storage: { type: 'file', dir } });
    const error = await rejection(createStore({ storage: { type: 'file', dir } }));
    expect(error.code).toBe('STORAGE_LOCKED');
    expect(error.message).toContain(`process ${process.pid}`);
    await first.stop();
    const second = await createStore({ storage: { type: 'file', dir } });
    await second.stop();
  });

  test('a lock file that cannot be written (a full disk) fails the open and leaves the directory free for the next try', async () => {
    const fsp: typeof import('node:fs/promises') = require('node:fs/promises');
    jest.spyOn(fsp, 'writeFile').mockImplementationOnce(async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    await expect(createStore({ storage: { type: 'file', dir } })).rejects.toThrow('ENOSPC');
    // Room again: this process holds no lock of its own on the directory.
    const store = await createStore({ storage: { type: 'file', dir } });
    await store.stop();
  });

  test('bad file options are named', async () => {
    for (const [storage, name] of [
      [{ type: 'file', dir: '' }, 'storage.dir'],
      [{ type: 'file', dir, fsync: 'sometimes' }, 'storage.fsync'],
      [{ type: 'file', dir, compactionRatio: 1 }, 'storage.compactionRatio'],
      [{ type: 'tape' }, 'storage.type'],
    ] as const) {
      const error = await rejection(createStore({ storage: storage as never }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain(name);
    }
  });
});

describe('a log written by the previous version (AKVLOG2)', () => {
  const fixture = path.join(__dirname, 'fixtures', 'log-v2', logFileName);

  test('opens with its buckets and keys, and is marked as this version once opened for appending', async () => {
    fs.copyFileSync(fixture, logPath());
    expect(fs.readFileSync(logPath()).subarray(0, 8).toString('latin1')).toBe('AKVLOG2\n');
    const store = await createStore({ storage: { type: 'file', dir, fsync: 'always' } });
    try {
      expect(await store.buckets()).toEqual(['empty', 'shopping', 'ünïcode']);
      expect(await store.getMany('shopping', ['milk', 'eggs', 'gone'])).toEqual(['1', '6', undefined]);
      expect(await store.get('ünïcode', 'clé')).toBe('valeur ✓');
      expect(fs.readFileSync(logPath()).subarray(0, 8)).toEqual(logMagic);
      await store.clear('shopping');
    } finally {
      await store.stop();
    }
    const again = await createStore({ storage: { type: 'file', dir } });
    try {
      expect(await again.size('shopping')).toBe(0);
      expect(await again.get('ünïcode', 'clé')).toBe('valeur ✓');
    } finally {
      await again.stop();
    }
  });
});

describe('drop and compaction', () => {
  test('a drop stored while a compaction starts stays dropped after a restart', async () => {
    for (const fsync of ['always', 'everysec'] as const) {
      const bucketDir = fs.mkdtempSync(path.join(dir, `${fsync}-`));
      const storage = new FileStorage({ dir: bucketDir, fsync, compactionMinBytes: 1 << 30 });
      await storage.open();
      await storage.createBucket('B');
      for (let k = 0; k < 50; k++) storage.table('B').put(`k${k}`, 'v');
      await storage.table('B').flush();
      await Promise.all([storage.dropBucket('B'), storage.compact()]);
      await storage.close();
      const again = new FileStorage({ dir: bucketDir, fsync });
      expect(await again.open()).toEqual([]);
      await again.close();
    }
  });

  test('keys that expire leave the live count, so the log of a TTL cache is compacted', async () => {
    const storage = new FileStorage({ dir, fsync: 'no', compactionMinBytes: 64 * 1024 });
    await storage.open();
    try {
      await storage.createBucket('cache');
      const table = storage.table('cache');
      for (let round = 0; round < 40; round++) {
        const deadline = Date.now() + 5;
        for (let k = 0; k < 1000; k++) table.put(`r${round}k${k}`, 'x'.repeat(100), deadline);
        await table.flush();
        await waitUntil(() => Date.now() > deadline, 1000, 'the round to expire');
      }
      await storage.compact();
      // Forty rounds wrote about 4.7 MB of keys, every one expired: the log holds next to nothing.
      expect(fs.statSync(logPath()).size).toBeLessThan(1024 * 1024);
    } finally {
      await storage.close();
    }
  });
});

test('a log whose last 4 KiB were zeroed (a power loss) opens with the records before the zeros, and says it cut the tail', async () => {
  const first = await createStore({ storage: { type: 'file', dir, fsync: 'always' } });
  await first.create('b');
  for (let i = 0; i < 500; i++) await first.put('b', `key-${i}`, `value-${i}`);
  await first.stop();
  const size = fs.statSync(logPath()).size;
  const fd = fs.openSync(logPath(), 'r+');
  fs.writeSync(fd, Buffer.alloc(4096), 0, 4096, size - 4096);
  fs.closeSync(fd);

  const logger = new RecordingLogger();
  const second = await createStore({ logger, storage: { type: 'file', dir, fsync: 'always' } });
  try {
    const values = await second.getMany('b', Array.from({ length: 500 }, (_, i) => `key-${i}`));
    const kept = values.findIndex((value) => value === undefined);
    expect(kept).toBeGreaterThan(300); // ~4 KiB of ~20 KiB of puts are gone, the rest kept in order
    expect(values.slice(0, kept)).toEqual(Array.from({ length: kept }, (_, i) => `value-${i}`));
    expect(values.slice(kept).every((value) => value === undefined)).toBe(true);
    expect(logger.events.some((event) => event.event === 'storage log torn tail cut')).toBe(true);
  } finally {
    await second.stop();
  }
});

describe('a log cut inside its header (it lost everything it held)', () => {
  test.each([1, 3, 7])('%i bytes: the node refuses to start, naming the file, and says how to start empty', async (bytes) => {
    fs.writeFileSync(logPath(), logMagic.subarray(0, bytes));
    const error = await rejection(createStore({ storage: { type: 'file', dir } }));
    expect(error).toMatchObject({ code: 'STORAGE_CORRUPT' });
    expect(error.message).toContain(logPath());
    expect(error.message).toContain(`is ${bytes} bytes`);
    expect(error.message).toContain('--on-truncated-log start-empty');
    expect(fs.readFileSync(logPath())).toEqual(logMagic.subarray(0, bytes)); // left as it was
  });

  test("with onTruncatedLog: 'start-empty' the node starts empty, says so, and the log is whole again", async () => {
    fs.writeFileSync(logPath(), logMagic.subarray(0, 3));
    const logger = new RecordingLogger();
    const store = await createStore({ logger, storage: { type: 'file', dir, onTruncatedLog: 'start-empty' } });
    try {
      expect(await store.buckets()).toEqual([]);
      await store.create('b');
      expect(logger.events.some((event) => event.level === 'warn' && event.event.startsWith('storage log cut inside its header'))).toBe(true);
    } finally {
      await store.stop();
    }
    const again = await createStore({ storage: { type: 'file', dir } });
    expect(await again.buckets()).toEqual(['b']);
    await again.stop();
  });

  test('a new log is created whole: no half-written header is ever left behind', async () => {
    const store = await createStore({ storage: { type: 'file', dir } });
    await store.stop();
    expect(fs.readFileSync(logPath())).toEqual(logMagic);
    expect(fs.existsSync(`${logPath()}.new`)).toBe(false);
  });
});
