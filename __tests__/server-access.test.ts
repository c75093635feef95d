// Protected mode and AUTH (Redis's model): the decision as a table, then a real
// server bound to 0.0.0.0 where 127.0.0.2 counts as another machine's address.

import net from 'node:net';
import { createStore, startServer, type KvServer, type Store } from '../lib';
import { accessFor, isLoopback, passwordMatches } from '../lib/server/access';
import { RecordingLogger } from './support/recording-logger';
import { waitUntil } from './support/deadlines';

describe('who is served', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.5.6.7', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['::FFFF:127.0.0.2', true],
    ['localhost', true],
    ['10.0.0.1', false],
    ['0.0.0.0', false],
    ['::', false],
    ['::ffff:10.0.0.1', false],
    ['128.0.0.1', false],
    ['fe80::1', false],
  ])('%s is loopback: %s', (address, loopback) => {
    expect(isLoopback(address)).toBe(loopback);
  });

  test.each([
    // remote, bound host, password set, protected mode, decision
    ['10.0.0.5', '0.0.0.0', false, true, 'refuse'],
    ['::ffff:10.0.0.5', '::', false, true, 'refuse'],
    ['127.0.0.1', '0.0.0.0', false, true, 'serve'],
    ['::1', '::', false, true, 'serve'],
    ['::ffff:127.0.0.1', '::', false, true, 'serve'],
    ['10.0.0.5', '127.0.0.1', false, true, 'serve'], // cannot happen on loopback, and would not matter
    ['10.0.0.5', '0.0.0.0', false, false, 'serve'],
    ['10.0.0.5', '0.0.0.0', true, true, 'authenticate'],
    ['127.0.0.1', '127.0.0.1', true, true, 'authenticate'],
  ] as const)('from %s to a listener on %s, password %s, protected mode %s: %s', (remote, boundHost, passwordSet, protectedMode, decision) => {
    expect(accessFor(remote, { boundHost, passwordSet, protectedMode })).toBe(decision);
  });

  test('passwords compare equal only when equal, whatever their lengths', () => {
    expect(passwordMatches('s3cret', 's3cret')).toBe(true);
    expect(passwordMatches('s3cre', 's3cret')).toBe(false);
    expect(passwordMatches('', 's3cret')).toBe(false);
    expect(passwordMatches('s3cret-and-more', 's3cret')).toBe(false);
    // The word arrives as bytes: a UTF-8 password matches its bytes.
    expect(passwordMatches(Buffer.from('pässwörd', 'utf8').toString('latin1'), 'pässwörd')).toBe(true);
  });
});

describe('a server on 0.0.0.0 where 127.0.0.2 is another machine', () => {
  const password = 'correct-horse-battery-staple';
  let store: Store;
  let server: KvServer;
  let logger: RecordingLogger;
  const sockets: net.Socket[] = [];

  async function start(options: { password?: string; protectedMode?: boolean }): Promise<void> {
    logger = new RecordingLogger();
    store = await createStore();
    server = await startServer(store, { port: 0, host: '0.0.0.0', logger, isLocalAddress: (address) => address === '127.0.0.1' || address === '::ffff:127.0.0.1', ...options });
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await server.close();
    await store.stop();
  });

  /** Sends `lines` from `from` and collects what comes back until `replies` lines arrived or the server closed. */
  async function talk(from: string, lines: string, replies: number): Promise<{ text: string; closed: boolean }> {
    const socket = net.connect({ port: server.port, host: '127.0.0.1', localAddress: from });
    sockets.push(socket);
    socket.on('error', () => {});
    let text = '';
    let closed = false;
    socket.setEncoding('latin1').on('data', (data: string) => (text += data));
    socket.on('close', () => (closed = true));
    socket.write(lines);
    await waitUntil(() => closed || text.split("\r\n").length > replies, 5000, `${replies} replies`).catch((e) => { throw new Error(`${e.message}; got ${JSON.stringify(text)}`); });
    return { text, closed };
  }

  test('without a password, another machine gets the explanation and a close; loopback is served', async () => {
    await start({});
    const remote = await talk('127.0.0.2', 'CREATE b\r\n', 1);
    expect(remote.text).toMatch(/^ERROR protected mode: .*--password.*--protected-mode no\)\r\n$/);
    await waitUntil(() => remote.closed || sockets[0]!.destroyed, 5000, 'the close');
    const local = await talk('127.0.0.1', 'CREATE b\r\nPUT b k v\r\nGET b k\r\n', 4);
    expect(local.text).toBe('OK\r\nOK\r\nv\r\nOK\r\n');
    expect(logger.events.map((event) => event.event)).toContain('the text server listens beyond loopback without a password; protected mode serves loopback clients only (set --password)');
  });

  test('with protected mode off, another machine is served (and the start says so)', async () => {
    await start({ protectedMode: false });
    expect((await talk('127.0.0.2', 'CREATE b\r\n', 1)).text).toBe('OK\r\n');
    expect(logger.events.some((event) => event.event.includes('protected mode is off'))).toBe(true);
  });

  test('with a password: nothing before AUTH, everything after; a wrong one is refused and counted; it is never logged', async () => {
    await start({ password });
    const before = await talk('127.0.0.2', 'CREATE b\r\nGET b k\r\n', 2);
    expect(before.text).toBe('ERROR authentication required\r\nERROR authentication required\r\n');
    expect(await store.has('b')).toBe(false);
    const wrong = await talk('127.0.0.2', `AUTH nope\r\nAUTH also-wrong\r\nCREATE b\r\n`, 3);
    expect(wrong.text).toBe('ERROR invalid password\r\nERROR invalid password\r\nERROR authentication required\r\n');
    expect(logger.events.filter((event) => event.event === 'client AUTH failed')).toHaveLength(1); // one line, not one per attempt
    const right = await talk('127.0.0.2', `AUTH ${password}\r\nCREATE b\r\nPUT b k v\r\nGET b k\r\n`, 5);
    expect(right.text).toBe('OK\r\nOK\r\nOK\r\nv\r\nOK\r\n');
    // Loopback clients must AUTH too when there is a password.
    expect((await talk('127.0.0.1', 'GET b k\r\n', 1)).text).toBe('ERROR authentication required\r\n');
    expect(JSON.stringify(logger.events)).not.toContain(password);
  });

  test("a client that leaves while its wrong password's reply is held back leaves no timer behind", async () => {
    await start({ password });
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    // Enough failures from one address that the next reply waits a second.
    await talk('127.0.0.2', 'AUTH a\r\nAUTH b\r\nAUTH c\r\nAUTH d\r\nAUTH e\r\nAUTH f\r\nAUTH g\r\n', 7);
    const idle = timers();
    const socket = net.connect({ port: server.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    socket.on('error', () => {});
    socket.write('AUTH h\r\n');
    await waitUntil(() => timers() > idle, 5000, "the held-back reply's timer");
    socket.resetAndDestroy(); // a reset: the server's socket closes at once (after a FIN it would still answer)
    await waitUntil(() => timers() === idle, 500, 'the timer to be cleared with the socket');
  });
});
