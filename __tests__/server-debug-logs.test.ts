// What the text server tells a debug log: each client as it connects and as
// it closes, with its address, so an operator can follow who came and went.

import { createStore, startServer, type KvServer, type Store } from '../lib';
import { LineClients } from './support/server-helpers';
import { RecordingLogger } from './support/recording-logger';

let store: Store;
let server: KvServer;
const clients = new LineClients();

afterEach(async () => {
  clients.destroyAll();
  await server.close();
  await store.stop();
});

test('a client connecting and closing: one debug event each, with its address', async () => {
  const logger = new RecordingLogger();
  store = await createStore();
  server = await startServer(store, { port: 0, logger });
  const client = await clients.connect(server.port);
  const remote = `127.0.0.1:${client.socket.localPort}`;
  expect(await logger.waitFor('client connected')).toEqual({ level: 'debug', event: 'client connected', fields: { remote } });
  client.destroy(); // a FIN: an orderly close
  expect(await logger.waitFor('client closed')).toEqual({ level: 'debug', event: 'client closed', fields: { remote } });
});

test('a client that resets its connection: closed, with the reason', async () => {
  const logger = new RecordingLogger();
  store = await createStore();
  server = await startServer(store, { port: 0, logger });
  const client = await clients.connect(server.port);
  const remote = `127.0.0.1:${client.socket.localPort}`;
  await logger.waitFor('client connected');
  client.socket.resetAndDestroy();
  expect((await logger.waitFor('client closed')).fields).toEqual({ remote, reason: 'reset or error' });
});
