// Fuzzing the server: a client that sends random bytes in random chunks
// (terminators, NUL, invalid UTF-8, Unicode whitespace, overlong lines) gets
// exactly the replies a model predicts, byte for byte, then a close; the
// server survives and serves a fresh client.

import fc from 'fast-check';
import { createStore, startServer, type KvServer, type Store } from '../lib';
import { checkBucket } from '../lib/core/arguments';
import { toErrorData } from '../lib/errors';
import { formatError } from '../lib/server/format';
import { ByteClient } from './support/byte-client';
import { referenceWords } from './support/utf8-reference';

const maxLineBytes = 64;
let store: Store;
let server: KvServer;
const open: ByteClient[] = [];

async function connect(): Promise<ByteClient> {
  const client = await ByteClient.connect(server.port);
  open.push(client);
  return client;
}

beforeAll(async () => {
  store = await createStore();
  server = await startServer(store, { port: 0, maxLineBytes, idleTimeoutMs: 1000 });
});
afterEach(() => {
  for (const client of open.splice(0)) client.destroy();
});
afterAll(async () => {
  await server.close();
  await store.stop();
});

/** The store as the fuzzer's requests leave it: bucket -> key -> value, all binary strings. */
const model = new Map<string, Map<string, string>>();

/** The reply to one request line, applied to the model. */
function modelReply(line: Buffer): string {
  const [verb, bucket, key, value, ...more] = referenceWords(line);
  const count = [verb, bucket, key, value].filter((word) => word !== undefined).length + more.length;
  const arity: Record<string, number> = { CREATE: 2, PUT: 4, GET: 3, DELETE: 3 };
  if (verb === undefined || arity[verb] !== count) return 'UNKNOWN COMMAND\r\n';
  try {
    checkBucket(bucket);
  } catch (error) {
    return formatError(toErrorData(error));
  }
  if (verb === 'CREATE') {
    if (!model.has(bucket)) model.set(bucket, new Map());
    return 'OK\r\n';
  }
  const table = model.get(bucket);
  if (!table) return 'NOT FOUND\r\n';
  if (verb === 'PUT') table.set(key!, value!);
  if (verb === 'DELETE') table.delete(key!);
  return verb === 'GET' ? `${table.get(key!) ?? ''}\r\nOK\r\n` : 'OK\r\n';
}

/** What the server must send for `stream`: each complete line's reply, up to a too-long line, which ends it. */
function modelReplies(stream: Buffer): string {
  let replies = '';
  let start = 0;
  for (let end = stream.indexOf(0x0a); end !== -1; end = stream.indexOf(0x0a, start)) {
    const line = stream.subarray(start, end > start && stream[end - 1] === 0x0d ? end - 1 : end);
    if (line.length > maxLineBytes) return `${replies}ERROR line too long\r\n`;
    replies += modelReply(line);
    start = end + 1;
  }
  // A partial line the client never ends is dropped, unless it is already too long.
  return stream.length - start > maxLineBytes + 1 ? `${replies}ERROR line too long\r\n` : replies;
}

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const chunk = fc.oneof(
  { arbitrary: fc.constantFrom('\r\n', '\n', '\r', ' ', '\t', '\0', '\xff', '\xe2', '\xe3\x80\x80', '\xc2\xa0', '\xc2\x85').map(bytes), weight: 4 },
  {
    arbitrary: fc
      .constantFrom('CREATE b\r\n', 'PUT b k ', 'PUT b k \xff\xfe\x80\xc0\r\n', 'GET b k\n', 'GET b ', 'DELETE b k\r\n', 'CREATE \xc3(\r\n', 'GET \xc3( ', 'PUT \xc3( ', 'CREATE a\x01\r\n')
      .map(bytes),
    weight: 4,
  },
  { arbitrary: fc.uint8Array({ maxLength: 12 }).map((random) => Buffer.from(random)), weight: 3 },
  { arbitrary: fc.integer({ min: 60, max: 200 }).map((n) => Buffer.alloc(n, 0x78)), weight: 1 },
);

test('random bytes in random chunks: the client gets the replies the model predicts, byte for byte, and a close; a fresh client is served', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(chunk, { maxLength: 20 }), async (chunks) => {
      run++;
      const fuzzer = await connect();
      for (const piece of chunks) {
        fuzzer.write(piece);
        await new Promise((resolve) => setImmediate(resolve)); // let the server read chunk by chunk
      }
      fuzzer.end();
      expect(await fuzzer.rest()).toBe(modelReplies(Buffer.concat(chunks)));
      const fresh = await connect();
      fresh.write(`CREATE fz${run}\r\nPUT fz${run} k v${run}\r\nGET fz${run} k\r\n`);
      expect(await fresh.lines(4)).toEqual(['OK', 'OK', `v${run}`, 'OK']);
      model.set(`fz${run}`, new Map([['k', `v${run}`]]));
      fresh.destroy();
    }),
    { seed: 4041, numRuns: 150 },
  );
});
