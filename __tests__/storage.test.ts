// The storage conformance suite against every backend: memory, the append-only
// file (each fsync policy), and Redis through ioredis-mock.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import RedisMock from 'ioredis-mock';
import { FileStorage, MemoryStorage, RedisStorage } from '../lib';
import { behavesLikeStorage } from './support/storage-conformance';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-storage-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

behavesLikeStorage('memory', () => ({ make: () => new MemoryStorage(), durable: false }));

for (const fsync of ['always', 'everysec', 'no'] as const) {
  behavesLikeStorage(`file (fsync ${fsync})`, () => ({
    make: (place) => new FileStorage({ dir: path.join(root, fsync, place), fsync }),
    durable: true,
  }));
}

// ioredis-mock instances share one data set: the place is the key prefix.
const clients: InstanceType<typeof RedisMock>[] = [];
afterEach(async () => {
  const client = new RedisMock();
  await client.flushall();
  for (const open of [...clients, client]) open.disconnect();
  clients.length = 0;
});

behavesLikeStorage('redis (ioredis-mock)', () => ({
  make: (place) => {
    const client = new RedisMock();
    clients.push(client);
    return new RedisStorage({ client, prefix: `${place}:` });
  },
  durable: true,
}));
