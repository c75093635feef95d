// Per-client protection: one bad client (an endless line, a flood it never
// reads, too many connections, a line that never ends) harms no one else.

import { createStore, startServer, type KvServer, type ServerOptions, type Store } from '../lib';
import { LineClients, type LineClient } from './support/server-helpers';
import { RecordingLogger } from './support/recording-logger';

let store: Store;
let server: KvServer;
let logger: RecordingLogger;
const clients = new LineClients();
const connect = (): Promise<LineClient> => clients.connect(server.port);

async function start(options: ServerOptions): Promise<void> {
  logger = new RecordingLogger();
  store = await createStore();
  server = await startServer(store, { port: 0, logger, ...options });
}

/** A second client's round trip: the proof that others are unaffected. */
async function bystanderWorks(bystander: LineClient, n: number): Promise<void> {
  bystander.write(`PUT other k ${n}\r\nGET other k\r\n`);
  expect(await bystander.lines(3)).toEqual(['OK', `${n}`, 'OK']);
}

afterEach(async () => {
  clients.destroyAll();
  await server.close();
  await store.stop();
});

test('a 1 MiB line without a newline gets ERROR line too long and a close; others go on', async () => {
  await start({});
  const bystander = await connect();
  bystander.write('CREATE other\r\n');
  expect(await bystander.lines(1)).toEqual(['OK']);
  const flooder = await connect();
  flooder.write('PUT other k 1\r\n');
  flooder.write(Buffer.alloc(1024 * 1024, 'x'));
  // The reply to the complete request first, then the refusal, then the close.
  expect(await flooder.rest()).toBe('OK\r\nERROR line too long\r\n');
  expect(logger.events.map((e) => e.event)).toContain('line too long');
  await bystanderWorks(bystander, 2);
});

test('a line of exactly maxLineBytes is served; one byte more is refused', async () => {
  await start({ maxLineBytes: 100 });
  const client = await connect();
  const put = 'PUT b k ';
  client.write(`CREATE b\r\n${put}${'v'.repeat(100 - put.length)}\r\nGET b k\r\n`);
  expect(await client.lines(4)).toEqual(['OK', 'OK', 'v'.repeat(100 - put.length), 'OK']);
  client.write(`${put}${'v'.repeat(101 - put.length)}\r\nGET b k\r\n`);
  expect(await client.rest()).toBe('ERROR line too long\r\n');
});

test('over maxConnections, a client gets ERROR max clients reached and a close; the others are served', async () => {
  await start({ maxConnections: 3 });
  const admitted = [await connect(), await connect(), await connect()];
  const extra = await connect();
  expect(await extra.rest()).toBe('ERROR max clients reached\r\n');
  expect((await logger.waitFor('client refused')).fields).toMatchObject({ limit: 3 });
  admitted[0]!.write('CREATE other\r\n');
  expect(await admitted[0]!.lines(1)).toEqual(['OK']);
  for (const [i, client] of admitted.entries()) await bystanderWorks(client, i);
  // A slot that frees up can be taken again.
  admitted[2]!.destroy();
  let again: LineClient | undefined;
  for (let attempt = 0; attempt < 50 && !again; attempt++) {
    const candidate = await connect();
    candidate.write('GET other k\r\n');
    const first = await candidate.nextLine().catch(() => 'closed');
    if (first !== 'ERROR max clients reached\r\n' && first !== 'closed') again = candidate;
  }
  expect(again).toBeDefined();
});

test('a partial line that never ends is dropped after idleTimeoutMs; an idle client between lines is kept', async () => {
  await start({ idleTimeoutMs: 200 });
  const idle = await connect();
  idle.write('CREATE other\r\n');
  expect(await idle.lines(1)).toEqual(['OK']);
  const stalled = await connect();
  const startedAt = Date.now();
  stalled.write('PUT other k');
  expect(await stalled.rest()).toBe('ERROR line not completed within the idle timeout\r\n');
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
  // The idle client has waited longer than the timeout, but it had no partial line.
  await bystanderWorks(idle, 1);
});

test('the idle timer restarts with each completed line, so a steady stream cut mid-line is kept', async () => {
  await start({ idleTimeoutMs: 200 });
  const client = await connect();
  client.write('CREATE b\r\nGET b');
  expect(await client.lines(1)).toEqual(['OK']);
  // For twice the timeout, a partial line is always pending, but lines keep completing.
  const startedAt = Date.now();
  while (Date.now() - startedAt < 400) {
    client.write(' k\r\nGET b');
    expect(await client.lines(2)).toEqual(['', 'OK']);
  }
  client.write(' k\r\n');
  expect(await client.lines(2)).toEqual(['', 'OK']);
  expect(logger.events.map((e) => e.event)).not.toContain('client idle');
});

describe('a client that pipelines and never reads', () => {
  const softLimit = 64 * 1024;
  const hardLimit = 1024 * 1024;

  test('is no longer read from past the soft limit, and gets every reply once it reads', async () => {
    await start({ outputSoftLimitBytes: softLimit, outputHardLimitBytes: hardLimit });
    const bystander = await connect();
    const reader = await connect();
    reader.write(`CREATE other\r\nPUT other big ${'x'.repeat(100)}\r\n`);
    expect(await reader.lines(2)).toEqual(['OK', 'OK']);
    // Never reading: pause the client's socket, then write until the server stops reading.
    reader.socket.pause();
    const burst = 'GET other big\r\n'.repeat(1000);
    let sent = 0;
    let paused = false;
    void logger.waitFor('client paused', 1).then(() => (paused = true), () => {});
    // The server reads a pipelining client a few dozen lines per turn (read-quota.ts): write faster than that, for a while.
    const deadline = Date.now() + 10_000;
    while (!paused) {
      reader.write(burst);
      sent += 1000;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (Date.now() > deadline) throw new Error('the server never stopped reading');
    }
    const pausedEvent = await logger.waitFor('client paused');
    // What the server holds for it is bounded by the soft limit plus one chunk's replies.
    expect(pausedEvent.fields.unsentBytes as number).toBeLessThan(softLimit + 64 * 1024 * 8);
    // Meanwhile everyone else is served.
    await bystanderWorks(bystander, 7);
    // Once it reads, the server resumes and every reply arrives, in order.
    reader.socket.resume();
    const replies = await reader.lines(2 * sent);
    expect(replies.every((line, i) => line === (i % 2 ? 'OK' : 'x'.repeat(100)))).toBe(true);
    expect(logger.events.map((e) => e.event)).toContain('client resumed');
    expect(logger.events.map((e) => e.event)).not.toContain('client dropped');
  }, 20_000);

  test('is dropped when its unsent replies pass the hard limit; others are served', async () => {
    await start({ outputSoftLimitBytes: softLimit, outputHardLimitBytes: hardLimit });
    const bystander = await connect();
    const flooder = await connect();
    flooder.write(`CREATE other\r\nPUT other big ${'x'.repeat(60_000)}\r\n`);
    expect(await flooder.lines(2)).toEqual(['OK', 'OK']);
    flooder.socket.pause();
    // Each 15-byte request asks for 60 kB: a few thousand of them are far past the hard limit.
    flooder.write('GET other big\r\n'.repeat(4000));
    const dropped = await logger.waitFor('client dropped');
    expect(dropped.fields).toMatchObject({ limit: hardLimit });
    await flooder.closed;
    await bystanderWorks(bystander, 8);
  });

  test('the hard limit counts bytes: a reply of few characters but more UTF-8 bytes than the limit is not sent', async () => {
    await start({ outputSoftLimitBytes: softLimit, outputHardLimitBytes: softLimit, maxLineBytes: 128 * 1024 });
    const client = await connect();
    // 40 000 characters, 80 000 bytes: under the 64 KiB limit in characters, over it in bytes.
    client.write(`CREATE other\r\nPUT other big ${'é'.repeat(40_000)}\r\n`);
    expect(await client.lines(2)).toEqual(['OK', 'OK']);
    client.write('GET other big\r\n');
    expect((await logger.waitFor('client dropped')).fields).toMatchObject({ limit: softLimit });
    expect(await client.rest()).toBe('');
  });
});

describe('limits that cannot work are refused at start, naming the option', () => {
  test.each([
    // Node fires a timer past 2^31 - 1 ms after 1 ms: every partial line, or every
    // closing client, would be cut at once.
    ['an idle timeout longer than a timer can wait', { idleTimeoutMs: 2 ** 31 }, 'idleTimeoutMs'],
    ['a close timeout longer than a timer can wait', { closeTimeoutMs: 2 ** 31 }, 'closeTimeoutMs'],
    ['a hard output limit under the soft one', { outputSoftLimitBytes: 10, outputHardLimitBytes: 5 }, 'outputHardLimitBytes'],
  ])('%s', async (_name, options, mention) => {
    const noStore = {} as Store; // refused before the store is used
    await expect(startServer(noStore, { port: 0, ...options })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining(mention) });
  });
});
