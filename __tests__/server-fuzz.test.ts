// Fuzzing the server: a client that sends random bytes in
// random chunks (terminators, NUL, invalid UTF-8, overlong lines) gets at most
// replies and a close; the server survives and serves a fresh client.

import fc from 'fast-check';
import { createStore, startServer, type KvServer, type Store } from '../lib';
import { LineClients, type LineClient } from './support/server-helpers';

let store: Store;
let server: KvServer;
const clients = new LineClients();
const connect = (): Promise<LineClient> => clients.connect(server.port);

beforeAll(async () => {
  store = await createStore();
  server = await startServer(store, { port: 0, maxLineBytes: 64, idleTimeoutMs: 1000 });
});
afterEach(() => {
  clients.destroyAll();
});
afterAll(async () => {
  await server.close();
  await store.stop();
});

const chunk = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom('\r\n', '\n', '\r', '\0', '\xff', 'CREATE b\r\n', 'PUT b k é\r\n', 'GET b k\n', 'DELETE b k\r\n').map((text) => Buffer.from(text, 'latin1')),
  fc.integer({ min: 60, max: 200 }).map((n) => Buffer.alloc(n, 0x78)),
);

test('random bytes in random chunks: the client gets whole reply lines and a close; a fresh client is served', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(chunk, { maxLength: 20 }), async (chunks) => {
      run++;
      const fuzzer = await connect();
      for (const bytes of chunks) {
        fuzzer.write(bytes);
        await new Promise((resolve) => setImmediate(resolve)); // let the server read chunk by chunk
      }
      fuzzer.socket.end();
      // The server answers what it read and closes: whole lines only.
      expect(await fuzzer.rest()).toMatch(/^([^\r\n]*\r\n)*$/);
      const fresh = await connect();
      fresh.write(`CREATE fz${run}\r\nPUT fz${run} k v${run}\r\nGET fz${run} k\r\n`);
      expect(await fresh.lines(4)).toEqual(['OK', 'OK', `v${run}`, 'OK']);
      fresh.destroy();
    }),
    { seed: 4041, numRuns: 60 },
  );
});
