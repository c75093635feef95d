// The RESP listener in-process, through real clients on real sockets: ioredis
// (pipelines, auto-pipelining, buffers, errors as Redis words them), node-redis,
// AUTH, maxclients, malformed input, and a two-node cluster.

import net from 'node:net';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { createStore, startServer, type KvServer, type ServerOptions, type Store } from '../lib';
import { ByteClient } from './support/byte-client';
import { waitUntil } from './support/deadlines';
import { startNodes, stopAll } from './support/cluster-nodes';

interface Running {
  store: Store;
  server: KvServer;
  port: number;
}

async function start(options: ServerOptions = {}, store?: Store): Promise<Running> {
  const usedStore = store ?? (await createStore());
  const server = await startServer(usedStore, { port: 0, ...options, resp: { port: 0, ...options.resp } });
  return { store: usedStore, server, port: server.resp!.port };
}

const clients: Redis[] = [];
function connect(port: number, options: Record<string, unknown> = {}): Redis {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 0, retryStrategy: () => null, ...options });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** Disconnects every client and waits until each is closed (before its server closes, so none waits on a timer). */
async function disconnectAll(): Promise<void> {
  const open = clients.splice(0);
  const closing = open.map((client) => (client.status === 'end' ? undefined : new Promise((resolve) => client.once('end', resolve))));
  for (const client of open) client.disconnect();
  await Promise.all(closing);
}

let running: Running;
beforeEach(async () => {
  running = await start();
});
afterEach(async () => {
  await disconnectAll();
  await running.server.close();
  await running.store.stop();
});

describe('strings and hashes through ioredis', () => {
  test('SET, GET, INCR, APPEND, MSET and MGET keep Redis semantics', async () => {
    const redis = connect(running.port);
    expect(await redis.set('a', '1')).toBe('OK');
    expect(await redis.incr('a')).toBe(2);
    expect(await redis.incrby('a', 40)).toBe(42);
    expect(await redis.decr('a')).toBe(41);
    expect(await redis.append('a', 'x')).toBe(3);
    await expect(redis.incr('a')).rejects.toThrow('ERR value is not an integer or out of range');
    expect(await redis.set('n', '9223372036854775807')).toBe('OK');
    await expect(redis.incr('n')).rejects.toThrow('ERR increment or decrement would overflow');
    expect(await redis.set('q', 'v', 'XX')).toBe(null);
    expect(await redis.set('k', 'v', 'EX', 100, 'NX')).toBe('OK');
    expect(await redis.set('k', 'w', 'NX')).toBe(null);
    expect(await redis.ttl('k')).toBe(100);
    expect(await redis.persist('k')).toBe(1);
    expect(await redis.ttl('k')).toBe(-1);
    expect(await redis.mset('x', '1', 'y', '2')).toBe('OK');
    expect(await redis.mget('x', 'y', 'z')).toEqual(['1', '2', null]);
    expect(await redis.strlen('x')).toBe(1);
    expect(await redis.getdel('x')).toBe('1');
    expect(await redis.exists('x', 'y', 'y')).toBe(2);
    // The strings live in one bucket of the store.
    expect(await running.store.get('strings', 'y')).toBe('2');
  });

  test('SET GET and KEEPTTL, SETEX, GETSET, GETEX, MSETNX, INCRBYFLOAT, GETRANGE, SETRANGE and the EXPIRE family keep Redis semantics', async () => {
    const redis = connect(running.port);
    const year2100 = 4_102_444_800;
    expect(await redis.setex('k', 100, 'a')).toBe('OK');
    expect(await redis.set('k', 'b', 'KEEPTTL', 'GET')).toBe('a');
    expect(await redis.ttl('k')).toBe(100);
    expect(await redis.getset('k', 'c')).toBe('b');
    expect(await redis.ttl('k')).toBe(-1);
    expect(await redis.getex('k', 'EXAT', year2100)).toBe('c');
    expect(await redis.expiretime('k')).toBe(year2100);
    expect(await redis.pexpireat('k', year2100 * 1000 - 1, 'GT')).toBe(0);
    expect(await redis.call('EXPIREAT', 'k', year2100 + 1, 'GT')).toBe(1);
    expect(await redis.pexpiretime('k')).toBe((year2100 + 1) * 1000);
    expect(await redis.call('EXPIRE', 'k', 10, 'NX')).toBe(0);
    expect(await redis.persist('k')).toBe(1);
    expect(await redis.call('EXPIRE', 'k', 10, 'XX')).toBe(0);
    expect(await redis.getex('k', 'PXAT', 1)).toBe('c');
    expect(await redis.exists('k')).toBe(0);
    expect(await redis.psetex('p', 100_000, '10.5')).toBe('OK');
    expect(await redis.incrbyfloat('p', '0.1')).toBe('10.6');
    expect(await redis.pttl('p')).toBeGreaterThan(90_000);
    expect(await redis.msetnx('p', '1', 'q', '2')).toBe(0);
    expect(await redis.msetnx('q', '1', 'r', '2')).toBe(1);
    expect(await redis.setrange('p', 6, 'xy')).toBe(8);
    expect(await redis.getrange('p', -4, -1)).toBe('\0\0xy');
    expect(await redis.pttl('p')).toBeGreaterThan(90_000);
    expect(await running.store.getMany('strings', ['p', 'q', 'r'])).toEqual(['10.6\0\0xy', '1', '2']);
    await expect(redis.setex('k', 0, 'v')).rejects.toThrow("ERR invalid expire time in 'setex' command");
    await expect(redis.call('SET', 'k', 'v', 'KEEPTTL', 'EX', '5')).rejects.toThrow('ERR syntax error');
    await expect(redis.call('EXPIRE', 'q', '10', 'NX', 'GT')).rejects.toThrow('ERR NX and XX, GT or LT options at the same time are not compatible');
    await expect(redis.incrbyfloat('q', 'x')).rejects.toThrow('ERR value is not a valid float');
    await expect(redis.incrbyfloat('q', 'inf')).rejects.toThrow('ERR increment would produce NaN or Infinity');
    await redis.hset('h', 'f', 'v');
    await expect(redis.call('EXPIREAT', 'h', year2100, 'NX')).rejects.toThrow(/keeps no expiry/);
    expect(await redis.expiretime('h')).toBe(-1);
  });

  test('a hash is a bucket: HSET creates it, the text API sees it, DEL drops it', async () => {
    const redis = connect(running.port);
    expect(await redis.hset('cart', 'milk', '1', 'eggs', '12')).toBe(2);
    expect(await redis.hset('cart', 'milk', '2', 'tea', '1')).toBe(1);
    expect(await running.store.get('cart', 'milk')).toBe('2');
    expect(await redis.hget('cart', 'eggs')).toBe('12');
    expect(await redis.hmget('cart', 'milk', 'nope')).toEqual(['2', null]);
    expect(await redis.hlen('cart')).toBe(3);
    expect(await redis.hexists('cart', 'tea')).toBe(1);
    expect(await redis.hsetnx('cart', 'tea', '5')).toBe(0);
    expect(await redis.hincrby('cart', 'tea', 4)).toBe(5);
    expect(await redis.hgetall('cart')).toEqual({ milk: '2', eggs: '12', tea: '5' });
    expect((await redis.hkeys('cart')).sort()).toEqual(['eggs', 'milk', 'tea']);
    expect(await redis.hscan('cart', 0, 'MATCH', 'm*', 'COUNT', 100)).toEqual(['0', ['milk', '2']]);
    expect(await redis.hdel('cart', 'eggs', 'eggs', 'nope')).toBe(1);
    expect(await redis.type('cart')).toBe('hash');
    expect(await redis.keys('*')).toEqual(['cart']);
    expect(await redis.del('cart')).toBe(1);
    expect(await running.store.has('cart')).toBe(false);
    expect(await redis.hgetall('cart')).toEqual({});
    expect(await redis.hget('cart', 'milk')).toBe(null);
    await expect(redis.expire('nothing', 10)).resolves.toBe(0);
  });

  test('binary keys and values travel as their exact bytes', async () => {
    const redis = connect(running.port);
    const value = Buffer.from([0, 255, 13, 10, 0xc3, 0x28]);
    const key = Buffer.from([0xfe, 0x01]);
    await redis.set(key, value);
    expect(await redis.getBuffer(key)).toEqual(value);
    await redis.hset('bin', key, value);
    expect(await redis.hgetBuffer('bin', key)).toEqual(value);
    expect(await running.store.getBuffer('bin', key)).toEqual(value);
  });

  test('errors use Redis wording, and store errors carry our code', async () => {
    const redis = connect(running.port);
    await expect(redis.call('FOO', 'a', 'b')).rejects.toThrow("ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
    await expect(redis.call('GET')).rejects.toThrow("ERR wrong number of arguments for 'get' command");
    await expect(redis.call('SET', 'a', 'b', 'BOGUS')).rejects.toThrow('ERR syntax error');
    await expect(redis.hset('strings', 'a', 'b')).rejects.toThrow('WRONGTYPE Operation against a key holding the wrong kind of value');
    await expect(redis.select(1)).rejects.toThrow('ERR DB index is out of range');
    expect(await redis.select(0)).toBe('OK');
    await expect(redis.flushdb()).rejects.toThrow(/FLUSHDB is disabled/);
    await redis.hset('h', 'f', 'v');
    await expect(redis.expire('h', 10)).rejects.toThrow(/keeps no expiry/);
    await running.store.crashBucket('h');
    await running.store.crashBucket('h');
    await running.store.crashBucket('h');
    await running.store.crashBucket('h').catch(() => {});
    await expect(redis.hget('h', 'f')).rejects.toThrow(/^BUCKET_FAILED bucket h failed/);
  });

  test('pipelines and auto-pipelining get their replies in order', async () => {
    const redis = connect(running.port);
    const pipeline = redis.pipeline();
    for (let index = 0; index < 200; index++) pipeline.hset(`p${index % 7}`, `f${index}`, String(index)).hget(`p${index % 7}`, `f${index}`).incr('count');
    const results = (await pipeline.exec())!;
    for (let index = 0; index < 200; index++) {
      expect(results[index * 3]).toEqual([null, 1]);
      expect(results[index * 3 + 1]).toEqual([null, String(index)]);
      expect(results[index * 3 + 2]).toEqual([null, index + 1]);
    }
    const auto = connect(running.port, { enableAutoPipelining: true });
    const replies = await Promise.all(Array.from({ length: 300 }, (_, index) => (index % 2 === 0 ? auto.set(`a${index}`, String(index)) : auto.get(`a${index - 1}`))));
    replies.forEach((reply, index) => expect(reply).toBe(index % 2 === 0 ? 'OK' : String(index - 1)));
  });

  test('INCR and HINCRBY from many clients at once lose no increment', async () => {
    const redises = Array.from({ length: 5 }, () => connect(running.port));
    await Promise.all(redises.flatMap((redis) => Array.from({ length: 100 }, () => [redis.incr('counter'), redis.hincrby('counts', 'c', 2)]).flat()));
    expect(await redises[0]!.get('counter')).toBe('500');
    expect(await redises[0]!.hget('counts', 'c')).toBe('1000');
  });

  test('GETSET, INCRBYFLOAT and MSETNX from many clients at once are atomic: each old value comes back once, no increment is lost, one MSETNX wins', async () => {
    const redises = Array.from({ length: 5 }, () => connect(running.port));
    const written = redises.flatMap((_, client) => Array.from({ length: 60 }, (_, index) => `${client}-${index}`));
    const [olds, , winners] = await Promise.all([
      Promise.all(written.map((token, at) => redises[at % 5]!.getset('token', token))),
      Promise.all(redises.flatMap((redis) => Array.from({ length: 60 }, () => redis.incrbyfloat('sum', '0.5')))),
      Promise.all(redises.map((redis, client) => redis.msetnx('lock-a', String(client), 'lock-b', String(client)))),
    ]);
    const seen = [...olds, await redises[0]!.get('token')];
    expect(seen.filter((old) => old === null)).toHaveLength(1);
    expect(seen.filter((old) => old !== null).sort()).toEqual([...written].sort());
    expect(await redises[0]!.get('sum')).toBe('150');
    expect(winners.filter((won) => won === 1)).toHaveLength(1);
    const [a, b] = await redises[0]!.mget('lock-a', 'lock-b');
    expect(a).toBe(String(winners.indexOf(1)));
    expect(b).toBe(a);
  });

  test('server commands: PING, ECHO, INFO, COMMAND, CLIENT, HELLO, DBSIZE', async () => {
    const redis = connect(running.port);
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.echo('hi')).toBe('hi');
    await redis.hset('h', 'f', 'v');
    await redis.set('s', 'v');
    expect(await redis.dbsize()).toBe(2);
    const info = await redis.info();
    for (const section of ['# Server', '# Clients', '# Stats', '# Keyspace', '# Supervision']) expect(info).toContain(section);
    expect(info).toContain('connected_clients:1');
    expect(info).toContain('db0:keys=2');
    expect(await redis.info('supervision')).toMatch(/^# Supervision\r\nstorage:memory\r\nbuckets:2\r\nbucket_restarts:0\r\nfailed_buckets:0\r\n/);
    expect(await redis.call('COMMAND', 'COUNT')).toBeGreaterThan(40);
    expect(await redis.call('COMMAND', 'INFO', 'get')).toEqual([['get', 2, ['readonly', 'fast'], 1, 1, 1, [], [], [], []]]);
    expect(await redis.client('SETNAME', 'worker')).toBe('OK');
    expect(await redis.client('GETNAME')).toBe('worker');
    expect(await redis.client('ID')).toBe(1);
    expect(await redis.client('INFO')).toMatch(/^id=1 addr=127\.0\.0\.1:\d+ .*name=worker .*resp=2\n$/);
    expect(await redis.call('HELLO', '2')).toEqual(['server', 'redis', 'version', '7.0.0', 'proto', 2, 'id', 1, 'mode', 'standalone', 'role', 'master', 'modules', []]);
    await expect(redis.call('HELLO', '4')).rejects.toThrow(/^NOPROTO/);
    expect(await redis.call('RESET')).toBe('RESET');
    expect(await redis.quit()).toBe('OK');
  });

  test('node-redis connects without options and runs commands', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${running.port}` });
    client.on('error', () => {});
    await client.connect();
    try {
      expect(await client.set('k', 'v')).toBe('OK');
      expect(await client.get('k')).toBe('v');
      expect(await client.hSet('h', { a: '1', b: '2' })).toBe(2);
      expect(await client.hGetAll('h')).toEqual({ a: '1', b: '2' });
      expect(await client.incr('n')).toBe(1);
    } finally {
      client.destroy();
    }
  });
});

describe('access and limits', () => {
  test('with a password, commands before AUTH get NOAUTH; a wrong one WRONGPASS', async () => {
    const secured = await start({ resp: { password: 'hunter2' } });
    try {
      const redis = connect(secured.port, { enableReadyCheck: false });
      await expect(redis.get('a')).rejects.toThrow('NOAUTH Authentication required.');
      await expect(redis.auth('nope')).rejects.toThrow('WRONGPASS invalid username-password pair or user is disabled.');
      expect(await redis.auth('hunter2')).toBe('OK');
      expect(await redis.set('a', 'b')).toBe('OK');
      const withPassword = connect(secured.port, { password: 'hunter2' });
      expect(await withPassword.get('a')).toBe('b');
    } finally {
      await disconnectAll();
      await secured.server.close();
      await secured.store.stop();
    }
  });

  test('protected mode: bound beyond loopback without a password, another machine gets -DENIED and a close', async () => {
    const open = await start({ host: '0.0.0.0', isLocalAddress: (address) => address === '127.0.0.1' || address === '::ffff:127.0.0.1' });
    try {
      const fromElsewhere = await new Promise<string>((resolve) => {
        const socket = net.connect({ port: open.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
        let text = '';
        socket.setEncoding('latin1').on('data', (data: string) => (text += data));
        socket.on('error', () => {});
        socket.on('close', () => resolve(text));
      });
      expect(fromElsewhere).toMatch(/^-DENIED protected mode: .*--resp-password.*\r\n$/);
      expect(await connect(open.port).ping()).toBe('PONG');
    } finally {
      await disconnectAll();
      await open.server.close();
      await open.store.stop();
    }
  });

  test('one client past maxConnections gets an error and a close; the others go on', async () => {
    const small = await start({ maxConnections: 1 });
    try {
      const first = connect(small.port);
      expect(await first.ping()).toBe('PONG');
      const extra = await ByteClient.connect(small.port);
      expect(await extra.rest()).toBe('-ERR max number of clients reached\r\n');
      expect(await first.ping()).toBe('PONG');
    } finally {
      await disconnectAll();
      await small.server.close();
      await small.store.stop();
    }
  });

  test('a bulk string past a lowered maxBulkBytes gets a protocol error and a close; a SETRANGE past it, Redis\'s error', async () => {
    const strict = await start({ resp: { maxBulkBytes: 10 } });
    try {
      const client = await ByteClient.connect(strict.port);
      client.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n*4\r\n$8\r\nSETRANGE\r\n$1\r\nk\r\n$1\r\n8\r\n$3\r\nabc\r\n');
      client.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$11\r\n');
      expect(await client.rest()).toBe('+OK\r\n-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n-ERR Protocol error: invalid bulk length\r\n');
    } finally {
      await strict.server.close();
      await strict.store.stop();
    }
  });

  test('2000 pipelined GETs of a 1 KB value, past the output soft limit, get every reply in order', async () => {
    const small = await start({ outputSoftLimitBytes: 16 * 1024 });
    try {
      const client = await ByteClient.connect(small.port);
      const value = 'v'.repeat(1000);
      client.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\n${value}\r\n`);
      expect(await client.lines(1)).toEqual(['+OK']);
      client.write('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'.repeat(2000));
      const lines = await client.lines(4000);
      expect(lines.filter((line, index) => index % 2 === 1 && line === value)).toHaveLength(2000);
      client.end();
    } finally {
      await small.server.close();
      await small.store.stop();
    }
  });

  test('a request that trickles in without ever completing is dropped after the idle timeout', async () => {
    const impatient = await start({ idleTimeoutMs: 300 });
    try {
      const client = await ByteClient.connect(impatient.port);
      client.write('*2\r\n$3\r\nGET\r\n$100\r\n');
      const feeding = setInterval(() => client.write('x'), 50);
      try {
        expect(await client.rest()).toBe('-ERR request not completed within the idle timeout\r\n');
      } finally {
        clearInterval(feeding);
      }
    } finally {
      await impatient.server.close();
      await impatient.store.stop();
    }
  });

  test('clients that reset while their wrong password is held back give their place in the read quota back', async () => {
    await running.server.close();
    running = await start({ password: 'sesame', resp: { port: 0 } });
    // White-box: the quota of requests in flight that every client of the node shares.
    const quota = (running.server as unknown as { quota: { inFlight: number } }).quota;
    for (let client = 0; client < 20; client++) {
      const socket = await ByteClient.connect(running.port);
      socket.write('AUTH wrong\r\n');
      await waitUntil(() => quota.inFlight > 0, 5000, 'the AUTH to be read');
      socket.reset();
      await waitUntil(() => quota.inFlight === 0, 5000, "the AUTH's place in the quota to be given back");
    }
  });

  test('inline commands work as telnet sends them', async () => {
    const client = await ByteClient.connect(running.port);
    client.write('SET greeting "hello world"\r\nGET greeting\r\nPING\r\n');
    expect(await client.lines(4)).toEqual(['+OK', '$11', 'hello world', '+PONG']);
    client.end();
  });
});

describe('malformed input', () => {
  test.each<[string, string, string]>([
    ['a bad type byte', '*1\r\n!3\r\n', "-ERR Protocol error: expected '$', got '!'\r\n"],
    ['a negative bulk length', '*1\r\n$-5\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['a huge bulk length', '*1\r\n$99999999999999\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['a huge multibulk length', '*99999999999999\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['an inline line past 64 KiB', `GET ${'x'.repeat(70_000)}`, '-ERR Protocol error: too big inline request\r\n'],
  ])('%s gets a protocol error and a close; the next client is served', async (_what, input, reply) => {
    const bad = await ByteClient.connect(running.port);
    bad.write('PING\r\n' + input);
    expect(await bad.rest()).toBe(`+PONG\r\n${reply}`);
    const next = connect(running.port);
    expect(await next.ping()).toBe('PONG');
  });

  test('10,000 pipelined commands in one write, then a bad byte: every reply in order, then the error, then the close', async () => {
    const bad = await ByteClient.connect(running.port);
    const echo = (n: number) => `*2\r\n$4\r\nECHO\r\n$${String(n).length}\r\n${n}\r\n`;
    bad.write(Array.from({ length: 10_000 }, (_, n) => echo(n)).join('') + '*1\r\n!3\r\n');
    const replies = Array.from({ length: 10_000 }, (_, n) => `$${String(n).length}\r\n${n}\r\n`).join('');
    expect(await bad.rest()).toBe(`${replies}-ERR Protocol error: expected '$', got '!'\r\n`);
  });

  test('a client that half-closes after 1,000 pipelined commands, more than one read takes, gets every reply', async () => {
    const client = await ByteClient.connect(running.port);
    client.write('*1\r\n$4\r\nPING\r\n'.repeat(1000) + '*1\r\n!');
    client.end();
    expect(await client.rest()).toBe(`${'+PONG\r\n'.repeat(1000)}-ERR Protocol error: expected '$', got '!'\r\n`);
  });

  test('QUIT in a pipeline: the replies before it and its +OK, then the close; the commands behind it are not run', async () => {
    const client = await ByteClient.connect(running.port);
    client.write('*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n');
    expect(await client.rest()).toBe('+OK\r\n+OK\r\n');
    const redis = connect(running.port);
    expect(await redis.mget('a', 'b')).toEqual(['1', null]);
  });

  test('random bytes in random chunks never crash the listener, and the next client is served', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 20; round++) {
      const client = await ByteClient.connect(running.port);
      const prefix = round % 2 === 0 ? '*3\r\n$3\r\nSET\r\n' : '';
      const bytes = Buffer.concat([Buffer.from(prefix), Buffer.from(Array.from({ length: 2000 }, () => Math.floor(random() * 256)))]);
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 300);
        client.write(bytes.subarray(at, at + size));
        at += size;
      }
      client.end();
      await client.rest(); // whatever it answers, it closes
    }
    expect(await connect(running.port).ping()).toBe('PONG');
    expect(running.server.connections).toBe(0);
  });
});

describe('in a two-node cluster', () => {
  test('a command on a bucket another node owns works, and a remote failure is a Redis error', async () => {
    const nodes = await startNodes(['foo', 'bar'], { cluster: { routes: ['a-m=foo', 'n-z=bar'] } });
    const server = await startServer(nodes.get('foo')!, { port: 0, resp: { port: 0, stringsBucket: 'apples' } });
    try {
      const redis = connect(server.resp!.port);
      expect(await redis.hset('zebra', 'stripes', '42')).toBe(1);
      expect(await nodes.get('bar')!.get('zebra', 'stripes')).toBe('42');
      expect(await redis.hincrby('zebra', 'stripes', 1)).toBe(43);
      expect(await redis.set('k', 'v')).toBe('OK');
      expect(await nodes.get('foo')!.get('apples', 'k')).toBe('v');
      expect(await redis.info('supervision')).toContain('peer_bar:up');
      await nodes.get('bar')!.stop();
      await expect(redis.hget('zebra', 'stripes')).rejects.toThrow(/^NODE_UNAVAILABLE /);
    } finally {
      await disconnectAll();
      await server.close();
      await stopAll(nodes);
    }
  });

  test('the string commands that read and write in one step work on a strings bucket another node owns', async () => {
    const nodes = await startNodes(['foo', 'bar'], { cluster: { routes: ['a-m=foo', 'n-z=bar'] } });
    const server = await startServer(nodes.get('foo')!, { port: 0, resp: { port: 0, stringsBucket: 'zstrings' } });
    try {
      const redis = connect(server.resp!.port);
      expect(await redis.set('k', '1.5', 'EXAT', 4_102_444_800, 'GET')).toBe(null);
      expect(await redis.incrbyfloat('k', '1')).toBe('2.5');
      expect(await redis.pexpiretime('k')).toBe(4_102_444_800_000);
      expect(await redis.call('PEXPIREAT', 'k', 4_102_444_800_001, 'LT')).toBe(0);
      expect(await redis.getex('k', 'PERSIST')).toBe('2.5');
      expect(await redis.ttl('k')).toBe(-1);
      expect(await redis.getset('k', 'v')).toBe('2.5');
      expect(await redis.msetnx('k', 'x', 'n', 'y')).toBe(0);
      expect(await nodes.get('bar')!.getMany('zstrings', ['k', 'n'])).toEqual(['v', undefined]);
    } finally {
      await disconnectAll();
      await server.close();
      await stopAll(nodes);
    }
  });
});
