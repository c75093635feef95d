// The text server over real sockets: the Elixir guide's server test line for
// line, the Elixir guide's telnet session, pipelining, many clients, and errors that
// keep the connection open.

import { createStore, startServer, type KvServer, type Outcome, type Store } from '../lib';
import { toBinary } from '../lib/core/bytes';
import net from 'node:net';
import { ByteClient } from './support/byte-client';
import { RecordingLogger } from './support/recording-logger';
import { waitUntil } from './support/deadlines';
import { LineClients, seededRandom, type LineClient } from './support/server-helpers';

let store: Store;
let server: KvServer;
const clients = new LineClients();
const connect = (): Promise<LineClient> => clients.connect(server.port);

/** Types each request after the previous reply, as a telnet user does, and checks each reply's exact bytes. */
async function expectSession(client: LineClient, session: Array<[string, string]>): Promise<void> {
  for (const [request, reply] of session) {
    client.write(`${request}\r\n`);
    const lines = await client.lines(reply.split('\r\n').length - 1);
    expect([request, lines.map((line) => `${line}\r\n`).join('')]).toEqual([request, reply]);
  }
}

beforeEach(async () => {
  store = await createStore();
  server = await startServer(store, { port: 0 });
});

afterEach(async () => {
  clients.destroyAll();
  await server.close();
  await store.stop();
});

test('server interaction (the guide, line for line)', async () => {
  const socket = await connect();
  expect(await socket.sendAndRecv('UNKNOWN shopping\r\n')).toBe('UNKNOWN COMMAND\r\n');
  expect(await socket.sendAndRecv('GET shopping eggs\r\n')).toBe('NOT FOUND\r\n');
  expect(await socket.sendAndRecv('CREATE shopping\r\n')).toBe('OK\r\n');
  expect(await socket.sendAndRecv('PUT shopping eggs 3\r\n')).toBe('OK\r\n');
  // GET returns two lines
  expect(await socket.sendAndRecv('GET shopping eggs\r\n')).toBe('3\r\n');
  expect(await socket.sendAndRecv('')).toBe('OK\r\n');
  expect(await socket.sendAndRecv('DELETE shopping eggs\r\n')).toBe('OK\r\n');
  // GET returns two lines
  expect(await socket.sendAndRecv('GET shopping eggs\r\n')).toBe('\r\n');
  expect(await socket.sendAndRecv('')).toBe('OK\r\n');
});

test('answers the telnet session of the Elixir guide, byte for byte', async () => {
  const telnet = await connect();
  // telnet sends CRLF; each request is typed after the previous reply.
  const session: Array<[string, string]> = [
    ['CREATE shopping', 'OK\r\n'],
    ['PUT shopping eggs 6', 'OK\r\n'],
    ['PUT shopping milk 1', 'OK\r\n'],
    ['GET shopping eggs', '6\r\nOK\r\n'],
    ['DELETE shopping eggs', 'OK\r\n'],
    ['GET shopping eggs', '\r\nOK\r\n'],
  ];
  await expectSession(telnet, session);
});

test('accepts a bare LF and any whitespace between words', async () => {
  const client = await connect();
  client.write('CREATE  shopping  \n\tPUT shopping\t milk  1\nGET shopping milk\r\n');
  expect(await client.lines(4)).toEqual(['OK', 'OK', '1', 'OK']);
});

test('answers 10,000 pipelined mixed commands sent in one write, in order and correct', async () => {
  const seed = Date.now() % 100000;
  const random = seededRandom(seed);
  const buckets = Array.from({ length: 10 }, (_, i) => `bucket${i}`);
  const model = new Map<string, string>();
  const requests: string[] = [];
  const expected: string[] = [];
  for (const bucket of buckets) {
    requests.push(`CREATE ${bucket}`);
    expected.push('OK');
  }
  while (requests.length < 10_000) {
    const bucket = buckets[Math.floor(random() * buckets.length)]!;
    const key = `k${Math.floor(random() * 50)}`;
    const roll = random();
    if (roll < 0.45) {
      const value = `v${Math.floor(random() * 1e6)}`;
      model.set(`${bucket}/${key}`, value);
      requests.push(`PUT ${bucket} ${key} ${value}`);
      expected.push('OK');
    } else if (roll < 0.85) {
      requests.push(`GET ${bucket} ${key}`);
      expected.push(model.get(`${bucket}/${key}`) ?? '', 'OK');
    } else if (roll < 0.95) {
      model.delete(`${bucket}/${key}`);
      requests.push(`DELETE ${bucket} ${key}`);
      expected.push('OK');
    } else {
      requests.push(roll < 0.975 ? `GET nowhere ${key}` : `FROB ${bucket}`);
      expected.push(roll < 0.975 ? 'NOT FOUND' : 'UNKNOWN COMMAND');
    }
  }
  const client = await connect();
  client.write(requests.map((request) => `${request}\r\n`).join(''));
  const replies = await client.lines(expected.length);
  if (JSON.stringify(replies) !== JSON.stringify(expected)) console.error(`pipelining test failed with seed ${seed}`);
  expect(replies).toEqual(expected);
});

test('200 concurrent clients, each on its own bucket, all get their own answers', async () => {
  const many = await Promise.all(Array.from({ length: 200 }, () => connect()));
  await waitUntil(() => server.connections === 200, undefined, 'the server counts 200 connections');
  await Promise.all(
    many.map(async (client, i) => {
      client.write(`CREATE c${i}\r\n`);
      expect(await client.lines(1)).toEqual(['OK']);
      for (let round = 0; round < 5; round++) {
        client.write(`PUT c${i} key ${i}-${round}\r\nGET c${i} key\r\n`);
        expect(await client.lines(3)).toEqual(['OK', `${i}-${round}`, 'OK']);
      }
    }),
  );
  expect(await store.buckets()).toHaveLength(200);
});

test('a client that half-closes after its requests still gets every reply', async () => {
  const client = await connect();
  client.socket.end('CREATE a\r\nPUT a k v\r\nGET a k\r\n');
  expect(await client.rest()).toBe('OK\r\nOK\r\nv\r\nOK\r\n');
});

test('a client that half-closes after 1,000 pipelined requests, more than one read takes, still gets every reply', async () => {
  const client = await connect();
  client.socket.end('PING\r\n'.repeat(1000) + 'QUIT\r\nPING\r\n');
  expect(await client.rest()).toBe('PONG\r\n'.repeat(1000) + 'OK\r\n'); // nothing after QUIT runs
});

test.each([
  ['', false],
  [', after it half-closed', true],
])('a shutdown while a client that never reads has requests waiting their turn still ends%s', async (_how, halfClosed) => {
  await store.create('b');
  await store.put('b', 'k', 'x'.repeat(60_000));
  const logger = new RecordingLogger();
  const own = await startServer(store, { port: 0, logger, closeTimeoutMs: 200 });
  const greedy = net.connect(own.port, '127.0.0.1');
  greedy.on('error', () => {});
  let closing: Promise<void> | undefined;
  try {
    greedy.pause(); // never reads: its 60 KB replies pass the output soft limit, and the rest of its requests wait
    greedy.write('GET b k\r\n'.repeat(2000));
    await waitUntil(() => logger.events.some((event) => event.event === 'client paused'), 5000, 'the server to stop reading the client');
    if (halfClosed) greedy.end(); // its FIN waits behind the requests the server has not read
    closing = own.close();
    // Without a bound, the close would wait for the client forever.
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([closing.then(() => true), new Promise((resolve) => (timer = setTimeout(resolve, 3000, false)))]);
    clearTimeout(timer);
    expect(ended).toBe(true);
  } finally {
    greedy.destroy();
    await (closing ?? own.close());
  }
}, 15_000);

test('UTF-8 text is stored as its bytes and returned byte for byte', async () => {
  const client = await connect();
  client.write('CREATE ünïcode\r\nPUT ünïcode clé ✓€𝄞\r\nGET ünïcode clé\r\n');
  expect(await client.lines(4)).toEqual(['OK', 'OK', '✓€𝄞', 'OK']);
  // The server hands the store the bytes (binary strings) it read.
  const stored = await new Promise<Outcome>((resolve) => store.submit(toBinary('ünïcode'), { kind: 'get', key: toBinary('clé') }, resolve));
  expect(stored).toEqual({ ok: true, value: toBinary('✓€𝄞') });
});

test('bytes that are not UTF-8 are stored as sent and returned byte for byte (the guide\'s server does so)', async () => {
  const client = await ByteClient.connect(server.port);
  try {
    client.write('CREATE b\r\nPUT b k \xff\xfe\x80\xc0\r\nGET b k\r\n');
    expect(await client.lines(4)).toEqual(['OK', 'OK', '\xff\xfe\x80\xc0', 'OK']);
    // Bucket names and keys too, and a stray lead byte before a space splits words as the space alone would.
    client.write('CREATE \xc3(\xff\r\nPUT \xc3(\xff \xe2\xe3\x80\x80\xc0\xa0\r\nGET \xc3(\xff \xe2\r\n');
    expect(await client.lines(4)).toEqual(['OK', 'OK', '\xc0\xa0', 'OK']);
    // BUCKETS and KEYS give them back as they are.
    client.write('BUCKETS\r\nKEYS \xc3(\xff\r\n');
    expect(await client.lines(5)).toEqual(['b', '\xc3(\xff', 'OK', '\xe2', 'OK']);
    expect(await store.bucketsBuffer()).toEqual([Buffer.from('b'), Buffer.from([0xc3, 0x28, 0xff])]);
    expect((await store.keysBuffer(Buffer.from([0xc3, 0x28, 0xff]))).keys).toEqual([Buffer.from([0xe2])]);
  } finally {
    client.destroy();
  }
});

test('where the guide crashed the connection, an ERROR line, and the connection stays open', async () => {
  const client = await connect();
  client.write('CREATE b\r\nPUT b k 1\r\n');
  expect(await client.lines(2)).toEqual(['OK', 'OK']);
  // Past the restart intensity (3 in 5 s) the bucket is failed.
  for (let i = 0; i < 4; i++) await store.crashBucket('b');
  client.write('GET b k\r\n');
  expect(await client.nextLine()).toMatch(/^ERROR bucket b failed: .*\r\n$/);
  client.write('GET b\x01 k\r\nCREATE b\r\nGET b k\r\n');
  expect(await client.lines(4)).toEqual([expect.stringMatching(/^ERROR bucket name .* must be non-empty, without whitespace or control characters$/), 'OK', '1', 'OK']);
});

test('a value with a line break (put through the library) is refused on the wire, not torn', async () => {
  await store.create('b');
  await store.put('b', 'k', 'two\r\nlines');
  const client = await connect();
  client.write('GET b k\r\nPUT b k one\r\nGET b k\r\n');
  expect(await client.lines(4)).toEqual(['ERROR the value holds a line break, which the text protocol cannot carry', 'OK', 'one', 'OK']);
});

test('a bucket crashing during a pipeline: each reply is right or ERROR, none hangs, the connection stays open', async () => {
  const client = await connect();
  client.write('CREATE b\r\n');
  expect(await client.lines(1)).toEqual(['OK']);
  const piece = (from: number) => Array.from({ length: 500 }, (_, i) => `PUT b k${from + i} v${from + i}\r\nGET b k${from + i}\r\n`).join('');
  client.write(piece(0));
  // Crash it four times while the pieces stream in: three restarts, then failed.
  await client.lines(1).then((first) => expect(first).toEqual(['OK']));
  const crashes = (async () => {
    for (let i = 0; i < 4; i++) await store.crashBucket('b');
  })();
  for (let n = 1; n < 5; n++) client.write(piece(n * 500));
  await crashes;
  client.write(piece(2500));
  // Read reply by reply: PUT -> OK | ERROR; GET -> its value then OK, or one ERROR line.
  let errors = 0;
  for (let i = 0; i < 3000; i++) {
    const put = i === 0 ? 'OK' : (await client.nextLine()).trimEnd();
    expect(put === 'OK' || put.startsWith('ERROR ')).toBe(true);
    const get = (await client.nextLine()).trimEnd();
    if (get.startsWith('ERROR ')) {
      errors++;
      continue;
    }
    // A GET sees its PUT's value, or nothing if that PUT failed.
    expect(get).toBe(put === 'OK' ? `v${i}` : '');
    expect(await client.nextLine()).toBe('OK\r\n');
  }
  expect(errors).toBeGreaterThanOrEqual(500); // at least the last piece, sent after the bucket failed
  client.write('CREATE b\r\nGET b k0\r\n');
  expect(await client.lines(3)).toEqual(['OK', 'v0', 'OK']);
});

test('close() answers every request it received before it closes the connection', async () => {
  const client = await connect();
  client.write('CREATE b\r\n');
  expect(await client.lines(1)).toEqual(['OK']);
  client.write(Array.from({ length: 20_000 }, (_, i) => `PUT b k${i} ${i}\r\n`).join(''));
  await client.nextLine();
  await server.close();
  const rest = (await client.rest()).split('\r\n').filter((line) => line !== '');
  expect(rest.every((line) => line === 'OK')).toBe(true);
  // Every PUT the server ran (received) was answered: applied writes = OK replies.
  const answered = 1 + rest.length;
  const bucket = (await store.tree()).buckets.find((info) => info.name === 'b')!;
  expect(bucket.keys).toBe(answered);
  expect(server.connections).toBe(0);
});

describe('the extensions beyond the guide: KEYS, BUCKETS, DROP, EXPIRE, TTL, TREE, PING, QUIT', () => {
  test('exact wire bytes, typed one after another', async () => {
    const client = await connect();
    const session: Array<[string, string]> = [
      ['PING', 'PONG\r\n'],
      ['BUCKETS', 'OK\r\n'],
      ['CREATE shopping', 'OK\r\n'],
      ['CREATE notes', 'OK\r\n'],
      ['BUCKETS', 'notes\r\nshopping\r\nOK\r\n'],
      ['KEYS shopping', 'OK\r\n'],
      ['PUT shopping eggs 6', 'OK\r\n'],
      ['PUT shopping milk 1', 'OK\r\n'],
      ['KEYS shopping', 'eggs\r\nmilk\r\nOK\r\n'],
      ['TTL shopping eggs', '-1\r\nOK\r\n'],
      ['TTL shopping nope', '-2\r\nOK\r\n'],
      ['EXPIRE shopping eggs 100', '1\r\nOK\r\n'],
      ['TTL shopping eggs', '100\r\nOK\r\n'],
      ['EXPIRE shopping nope 100', '0\r\nOK\r\n'],
      ['EXPIRE shopping milk 0', '1\r\nOK\r\n'],
      ['GET shopping milk', '\r\nOK\r\n'],
      ['DROP shopping', 'OK\r\n'],
      ['GET shopping eggs', 'NOT FOUND\r\n'],
      ['KEYS shopping', 'NOT FOUND\r\n'],
      ['DROP shopping', 'NOT FOUND\r\n'],
      ['TTL shopping eggs', 'NOT FOUND\r\n'],
      ['BUCKETS', 'notes\r\nOK\r\n'],
    ];
    await expectSession(client, session);
  });

  test('TREE: the supervision tree as the observer draws it for a terminal, a line each, then OK', async () => {
    const client = await connect();
    client.write('CREATE shopping\r\nPUT shopping eggs 6\r\n');
    expect(await client.lines(2)).toEqual(['OK', 'OK']);
    client.write('TREE\r\n');
    const tree = await client.lines(5);
    expect(tree).toEqual([
      expect.stringMatching(/^node \S+ \(this node, memory\)$/),
      '└─ registry: 16 bucket supervisors, 1 bucket',
      expect.stringMatching(/^   └─ buckets-\d+$/),
      '      └─ shopping [running] restarts 0, keys 1',
      'OK',
    ]);
  });

  test.each([['PING extra'], ['BUCKETS x'], ['TREE x'], ['KEYS'], ['DROP a b'], ['EXPIRE b k'], ['EXPIRE b k -1'], ['EXPIRE b k 1.5'], ['EXPIRE b k ten'], ['TTL b'], ['QUIT now'], ['ping'], ['FLUSHALL']])(
    '%s is UNKNOWN COMMAND',
    async (request) => {
      const client = await connect();
      expect(await client.sendAndRecv(`${request}\r\n`)).toBe('UNKNOWN COMMAND\r\n');
    },
  );

  test('a pipelined DROP is a barrier: the PUT after it finds no bucket, the CREATE after it a new one', async () => {
    const client = await connect();
    client.write('CREATE b\r\nPUT b k 1\r\nDROP b\r\nPUT b k 2\r\nCREATE b\r\nGET b k\r\n');
    expect(await client.lines(7)).toEqual(['OK', 'OK', 'OK', 'NOT FOUND', 'OK', '', 'OK']);
  });

  test('QUIT answers OK after every earlier reply, then closes; what follows it is not run', async () => {
    const client = await connect();
    client.write('CREATE b\r\nPUT b k 1\r\nQUIT\r\nPUT b k 2\r\n');
    expect(await client.lines(3)).toEqual(['OK', 'OK', 'OK']);
    await waitUntil(() => client.ended, 5000, 'the server to close the connection');
    expect(await store.get('b', 'k')).toBe('1');
  });

  test('KEYS lists a bucket larger than one page', async () => {
    await store.create('big');
    await store.putMany('big', Array.from({ length: 2500 }, (_, i): [string, string] => [`k${i}`, 'v']));
    const client = await connect();
    client.write('KEYS big\r\n');
    const lines = await client.lines(2501);
    expect(lines.pop()).toBe('OK');
    expect(new Set(lines).size).toBe(2500);
  });
});
