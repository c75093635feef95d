// Differential test: random command sequences (fast-check) sent through ioredis
// to our RESP listener and to a real redis-server started here; the replies
// must be identical, binary values included. Deliberate differences, named:
// - a name can be a string and a hash at once (strings live in one bucket,
//   hashes are buckets), so string and hash commands use separate names here,
//   where Redis would answer WRONGTYPE across them;
// - EXPIRE on a hash is refused (buckets keep no expiry), so it is not generated;
// - both clocks run: TTL and PTTL are compared by whether they are positive, and
//   EXPIRETIME and PEXPIRETIME exactly only for the fixed deadlines sent (year
//   2100, or past); GT and LT are sent with those alone, as two relative
//   deadlines compare by the millisecond each server took them at;
// - the order of HGETALL, HKEYS and HVALS is not Redis's: they are compared sorted;
// - a hash emptied by HDEL stays as an empty bucket, which KEYS and SCAN list: they are not generated
//   (EXISTS, TYPE, DBSIZE and DEL treat it as gone, as Redis does).

import fc from 'fast-check';
import Redis from 'ioredis';
import { createStore, startServer, type KvServer, type Store } from '../lib';
import { describeWithRedis, RedisServer } from './support/storage-redis-server';

type Command = [string, ...Array<string | Buffer>];

const stringKeys = ['s1', 's2', Buffer.from([0xff, 0x00, 0x0d])];
const hashNames = ['h1', 'h2', 'h\u00e9'];
const fields = ['f1', 'f2', Buffer.from([0x00, 0x0a, 0xfe])];
const value = fc.oneof(
  fc.constantFrom('1', '-3', '42', 'abc', '', '9223372036854775807', '-9223372036854775808', '007', '10.5', '-0.0', '1e3', '0x1p-3', 'inf', '1.7976931348623157e308'),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes)),
);
const integerArg = fc.constantFrom('1', '-1', '10', '9223372036854775807', 'x', '1.5');
const rangeArg = fc.constantFrom('0', '1', '3', '-1', '-3', '100', '-100', '-9223372036854775808', 'x');
const floatArg = fc.constantFrom('0.1', '-1.5', '5.0e3', '1e20', '0x10', '-0', '1e-20', 'inf', '-inf', 'abc', ' 1', '1e4932');
/** Deadlines both servers agree on: the year 2100 in seconds and in ms, and past ones. */
const year2100 = 4_102_444_800;
const fixedSeconds = fc.constantFrom(String(year2100), String(year2100 + 1), '1', '-5', 'x');
const fixedMs = fc.constantFrom(`${year2100}123`, `${year2100}999`, '1', 'x');
const relativeExpire = fc.constantFrom<string[]>([], ['NX'], ['XX'], ['NX', 'XX'], ['FOO']);
const fixedExpire = fc.constantFrom<string[]>([], ['NX'], ['XX'], ['GT'], ['LT'], ['XX', 'GT'], ['LT', 'XX'], ['GT', 'LT']);
const setOptions = fc.constantFrom<string[]>(
  [], ['NX'], ['XX'], ['EX', '100'], ['PX', '100000', 'NX'], ['GET'], ['NX', 'GET'], ['XX', 'GET', 'KEEPTTL'], ['KEEPTTL'],
  ['EXAT', String(year2100)], ['PXAT', '1', 'GET'], ['EXAT', '0'], ['KEEPTTL', 'EX', '5'], ['EX', '1', 'EX', '100'],
);
const getexOptions = fc.constantFrom<string[]>([], ['EX', '100'], ['PX', '100000'], ['EXAT', String(year2100)], ['PXAT', '1'], ['PERSIST'], ['EX', '0'], ['EX', 'x'], ['EX', '10', 'PERSIST']);
const key = fc.constantFrom(...stringKeys);
const hash = fc.constantFrom(...hashNames);
const field = fc.constantFrom(...fields);
const anyName = fc.constantFrom(...stringKeys, ...hashNames, 'missing');

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.tuple(key, value, setOptions).map(([k, v, options]): Command => ['SET', k, v, ...options]),
  fc.tuple(fc.constantFrom('SETEX', 'PSETEX'), key, fc.constantFrom('100', '100000', '0', '-1', 'x'), value).map(([name, k, amount, v]): Command => [name, k, amount, v]),
  fc.tuple(key, value).map(([k, v]): Command => ['GETSET', k, v]),
  fc.tuple(key, getexOptions).map(([k, options]): Command => ['GETEX', k, ...options]),
  fc.tuple(key, value, key, value).map(([k1, v1, k2, v2]): Command => ['MSETNX', k1, v1, k2, v2]),
  fc.tuple(key, floatArg).map(([k, by]): Command => ['INCRBYFLOAT', k, by]),
  fc.tuple(fc.constantFrom('GETRANGE', 'SUBSTR'), key, rangeArg, rangeArg).map(([name, k, start, end]): Command => [name, k, start, end]),
  fc.tuple(key, fc.constantFrom('0', '3', '20', '-1', 'x', '600000000'), value).map(([k, offset, v]): Command => ['SETRANGE', k, offset, v]),
  fc.tuple(fc.constantFrom('EXPIRE', 'PEXPIRE'), key, fc.constantFrom('100', '100000', '0', '-5'), relativeExpire).map(([name, k, amount, options]): Command => [name, k, amount, ...options]),
  fc.tuple(key, fixedSeconds, fixedExpire).map(([k, at, options]): Command => ['EXPIREAT', k, at, ...options]),
  fc.tuple(key, fixedMs, fixedExpire).map(([k, at, options]): Command => ['PEXPIREAT', k, at, ...options]),
  fc.tuple(fc.constantFrom('EXPIRETIME', 'PEXPIRETIME', 'PTTL'), anyName).map(([name, k]): Command => [name, k]),
  key.map((k): Command => ['GET', k]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((keys): Command => ['MGET', ...keys]),
  fc.tuple(key, value, key, value).map(([k1, v1, k2, v2]): Command => ['MSET', k1, v1, k2, v2]),
  key.map((k): Command => ['INCR', k]),
  key.map((k): Command => ['DECR', k]),
  fc.tuple(key, integerArg).map(([k, n]): Command => ['INCRBY', k, n]),
  fc.tuple(key, value).map(([k, v]): Command => ['APPEND', k, v]),
  key.map((k): Command => ['STRLEN', k]),
  key.map((k): Command => ['GETDEL', k]),
  fc.tuple(key, fc.constantFrom('100', '0', '-5', 'x')).map(([k, s]): Command => ['EXPIRE', k, s]),
  key.map((k): Command => ['TTL', k]),
  key.map((k): Command => ['PERSIST', k]),
  fc.tuple(hash, fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 3 })).map(([h, pairs]): Command => ['HSET', h, ...pairs.flat()]),
  fc.tuple(hash, field).map(([h, f]): Command => ['HGET', h, f]),
  fc.tuple(hash, fc.array(field, { minLength: 1, maxLength: 3 })).map(([h, fs]): Command => ['HMGET', h, ...fs]),
  fc.tuple(hash, fc.array(field, { minLength: 1, maxLength: 3 })).map(([h, fs]): Command => ['HDEL', h, ...fs]),
  fc.tuple(hash, field).map(([h, f]): Command => ['HEXISTS', h, f]),
  hash.map((h): Command => ['HLEN', h]),
  fc.tuple(hash, field, value).map(([h, f, v]): Command => ['HSETNX', h, f, v]),
  fc.tuple(hash, field, integerArg).map(([h, f, n]): Command => ['HINCRBY', h, f, n]),
  hash.map((h): Command => ['HGETALL', h]),
  hash.map((h): Command => ['HKEYS', h]),
  hash.map((h): Command => ['HVALS', h]),
  hash.map((h): Command => ['TTL', h]),
  fc.array(anyName, { minLength: 1, maxLength: 3 }).map((names): Command => ['EXISTS', ...names]),
  fc.array(anyName, { minLength: 1, maxLength: 2 }).map((names): Command => ['DEL', ...names]),
  anyName.map((name): Command => ['TYPE', name]),
  fc.constant<Command>(['DBSIZE']),
  fc.constantFrom<Command>(['GET'], ['HSET', 'h1', 'f1'], ['NOSUCH', 'a'], ['SET', 'a', 'b', 'EX', '0']),
);

/** A time both servers' clocks give alike: a positive TTL, a deadline that is not one of the fixed ones. */
function timeCompared(name: string, reply: unknown): unknown {
  if (typeof reply !== 'number' || reply <= 0) return reply;
  if (name === 'TTL' || name === 'PTTL') return 'positive';
  if (name === 'EXPIRETIME' && reply < year2100) return 'relative';
  if (name === 'PEXPIRETIME' && reply < year2100 * 1000) return 'relative';
  return reply;
}

/** A reply in a form both servers' replies compare by: bytes as binary strings, errors as their message, times as both clocks agree, unordered lists sorted. */
function normal(name: string, reply: unknown): unknown {
  const plain = (item: unknown): unknown => (Buffer.isBuffer(item) ? item.toString('latin1') : Array.isArray(item) ? item.map(plain) : item);
  const result = timeCompared(name, plain(reply));
  if (!Array.isArray(result)) return result;
  if (name === 'HKEYS' || name === 'HVALS') return [...result].sort();
  if (name === 'HGETALL') {
    const pairs: string[] = [];
    for (let at = 0; at < result.length; at += 2) pairs.push(JSON.stringify([result[at], result[at + 1]]));
    return pairs.sort();
  }
  return result;
}

async function send(client: Redis, [name, ...args]: Command): Promise<unknown> {
  try {
    return normal(name, await client.callBuffer(name, ...args));
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Texts a float may be written as, Redis's reading of them the thing under test: decimal, exponent, hexadecimal, huge, tiny, not floats. */
const floatText = fc.oneof(
  fc.double().map(String),
  fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 20 })).map(([x, digits]) => x.toExponential(digits)),
  fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.stringMatching(/^[0-9]{0,25}$/)).map(([whole, fraction]) => `${whole}.${fraction}`),
  fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 80n }), fc.integer({ min: -16500, max: 16400 })).map(([mantissa, power]) => `0x${mantissa.toString(16)}p${power}`),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -4970, max: 4940 })).map(([digit, power]) => `${digit}e${power}`),
  fc.constantFrom('inf', '-Infinity', 'nan', '1e', '.', ' 1', '0x', '1.'),
);

describeWithRedis('the RESP listener answers as redis-server does', () => {
  let redisServer: RedisServer;
  let store: Store;
  let server: KvServer;
  let ours: Redis;
  let theirs: Redis;

  beforeAll(async () => {
    redisServer = await RedisServer.start();
    store = await createStore();
    server = await startServer(store, { port: 0, resp: { port: 0, allowFlush: true } });
    ours = new Redis({ port: server.resp!.port, host: '127.0.0.1' });
    theirs = new Redis({ port: redisServer.port, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await Promise.all([ours?.quit(), theirs?.quit()]);
    await server?.close();
    await store?.stop();
    await redisServer?.stop();
  });

  test('a hash emptied by HDEL is gone for DEL, EXISTS and TYPE, as in Redis (found by the pipelined property)', async () => {
    const sequence: Command[] = [['HSETNX', 'h1', 'f2', ''], ['HDEL', 'h1', 'f2'], ['EXISTS', 'h1'], ['TYPE', 'h1'], ['DEL', 'h1', 's1'], ['DBSIZE']];
    await Promise.all([ours.flushdb(), theirs.flushdb()]);
    for (const sent of sequence) expect({ command: sent, reply: await send(ours, sent) }).toEqual({ command: sent, reply: await send(theirs, sent) });
  });

  test('random command sequences get identical replies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
        await Promise.all([ours.flushdb(), theirs.flushdb()]);
        for (const sent of commands) {
          const [mine, redis] = await Promise.all([send(ours, sent), send(theirs, sent)]);
          expect({ command: sent, reply: mine }).toEqual({ command: sent, reply: redis });
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  test('INCRBYFLOAT on random floats: the same values, to the last digit, and the same errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(floatText, floatText), { minLength: 1, maxLength: 25 }), async (pairs) => {
        const run = async (client: Redis) => {
          const pipeline = client.pipeline();
          pairs.forEach(([current, by], index) => pipeline.set(`f${index}`, current).incrbyfloat(`f${index}`, by));
          return (await pipeline.exec())!.filter((_, at) => at % 2 === 1).map(([error, reply]) => (error ? { error: error.message } : reply));
        };
        const [mine, redis] = await Promise.all([run(ours), run(theirs)]);
        expect(pairs.map((pair, index) => [pair, mine[index]])).toEqual(pairs.map((pair, index) => [pair, redis[index]]));
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  test('the same sequence pipelined gets the same replies in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 60 }), async (commands) => {
        await Promise.all([ours.flushdb(), theirs.flushdb()]);
        const run = async (client: Redis) => {
          const results = (await commands.reduce((pipeline, [name, ...args]) => pipeline.callBuffer(name, ...args), client.pipeline()).exec())!;
          return results.map(([error, reply], index) => {
            const name = commands[index]![0];
            return error ? { error: error.message } : normal(name, reply);
          });
        };
        const [mine, redis] = await Promise.all([run(ours), run(theirs)]);
        expect(mine).toEqual(redis);
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
