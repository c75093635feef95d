// Keys and values are bytes on the wire: random byte strings (all but the line
// break) round-trip through a real server socket, PUT then GET, byte for byte,
// and any line splits into words as a reference splitter says.

import fc from 'fast-check';
import { createStore, startServer, type KvServer, type Store } from '../lib';
import { ByteClient } from './support/byte-client';
import { referenceWords, trickyBytes } from './support/utf8-reference';

let store: Store;
let server: KvServer;
let client: ByteClient;

beforeAll(async () => {
  store = await createStore();
  server = await startServer(store, { port: 0 });
  client = await ByteClient.connect(server.port);
  client.write('CREATE b\r\n');
  expect(await client.lines(1)).toEqual(['OK']);
});

afterAll(async () => {
  client.destroy();
  await server.close();
  await store.stop();
});

/**
 * Random bytes with no ASCII whitespace (so no line break) that are one word
 * as they are: the rare multi-byte whitespace (U+0085 is C2 85) is filtered
 * out, at the ends too, where it would leave one shorter word.
 */
const word = fc
  .uint8Array({ minLength: 1, maxLength: 40 })
  .map((bytes) => Buffer.from(bytes.map((byte) => ((byte >= 0x09 && byte <= 0x0d) || byte === 0x20 ? 0x78 : byte))).toString('latin1'))
  .filter((binary) => {
    const words = referenceWords(Buffer.from(binary, 'latin1'));
    return words.length === 1 && words[0] === binary;
  });

test('any bytes but whitespace, as key and value: PUT then GET returns the same bytes', async () => {
  await fc.assert(
    fc.asyncProperty(word, word, async (key, value) => {
      client.write(`PUT b ${key} ${value}\r\nGET b ${key}\r\n`);
      expect(await client.lines(3)).toEqual(['OK', value, 'OK']);
    }),
    { numRuns: 300 },
  );
});

test('any line without a line break: the server takes the words the reference finds, byte for byte', async () => {
  const noLineBreak = trickyBytes.map((bytes) => Buffer.from(bytes.filter((byte) => byte !== 0x0a)).toString('latin1'));
  await fc.assert(
    fc.asyncProperty(noLineBreak, noLineBreak, async (key, value) => {
      const line = `PUT b ${key} ${value}`;
      const found = referenceWords(Buffer.from(line, 'latin1'));
      client.write(`${line}\r\n`);
      if (found.length !== 4) {
        expect(await client.lines(1)).toEqual(['UNKNOWN COMMAND']);
        return;
      }
      expect(await client.lines(1)).toEqual(['OK']);
      client.write(`GET b ${found[2]}\r\n`);
      expect(await client.lines(2)).toEqual([found[3], 'OK']);
    }),
    { numRuns: 300 },
  );
});
