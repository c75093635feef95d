// The arguments of SET, GETEX, SETEX, PSETEX, the EXPIRE family and GETRANGE as
// pure functions, in tables: which options go together, which amounts are good,
// which bytes a range names, and the error replies' exact bytes (redis-server
// 7.0's wording and answers, checked against it).

import { expireDeadline, parseExpireConditions } from '../lib/server/resp/expire-options';
import { byteRange } from '../lib/server/resp/range-commands';
import { expiryDeadline, parseStringOptions, type StringOptions } from '../lib/server/resp/set-options';

const syntax = '-ERR syntax error\r\n';
const notInteger = '-ERR value is not an integer or out of range\r\n';
const invalid = (command: string) => `-ERR invalid expire time in '${command}' command\r\n`;

describe("SET's options", () => {
  test.each<[string, StringOptions | string]>([
    ['', {}],
    ['NX', { exists: false }],
    ['xx', { exists: true }],
    ['NX NX', { exists: false }],
    ['NX XX', syntax],
    ['XX NX', syntax],
    ['GET', { get: true }],
    ['GET GET NX', { get: true, exists: false }],
    ['KEEPTTL', { keepTtl: true }],
    ['KEEPTTL KEEPTTL XX GET', { keepTtl: true, exists: true, get: true }],
    ['EX 10', { expiry: { unit: 'EX', amount: '10' } }],
    ['px 10 NX', { expiry: { unit: 'PX', amount: '10' }, exists: false }],
    ['EXAT 1 GET', { expiry: { unit: 'EXAT', amount: '1' }, get: true }],
    ['PXAT x', { expiry: { unit: 'PXAT', amount: 'x' } }],
    // The same unit again: the last amount counts.
    ['EX 1 EX 2', { expiry: { unit: 'EX', amount: '2' } }],
    ['EX 1 PX 2', syntax],
    ['EX 5 KEEPTTL', syntax],
    ['KEEPTTL EX 5', syntax],
    ['EX', syntax],
    ['GET EX', syntax],
    ['PERSIST', syntax],
    ['BOGUS', syntax],
    // Options are read before any amount: a bad option wins over a bad amount.
    ['EX x BOGUS', syntax],
  ])('SET k v %s', (options, parsed) => {
    expect(parseStringOptions(['SET', 'k', 'v', ...options.split(' ').filter(Boolean)], 'set')).toEqual(parsed);
  });
});

describe("GETEX's options", () => {
  test.each<[string, StringOptions | string]>([
    ['', {}],
    ['PERSIST', { persist: true }],
    ['EX 10', { expiry: { unit: 'EX', amount: '10' } }],
    ['EX 10 EX 20', { expiry: { unit: 'EX', amount: '20' } }],
    ['pxat 5', { expiry: { unit: 'PXAT', amount: '5' } }],
    ['EX 10 PERSIST', syntax],
    ['PERSIST EX 10', syntax],
    ['PX 5 PX', syntax],
    ['KEEPTTL', syntax],
    ['NX', syntax],
    ['GET', syntax],
  ])('GETEX k %s', (options, parsed) => {
    expect(parseStringOptions(['GETEX', 'k', ...options.split(' ').filter(Boolean)], 'getex')).toEqual(parsed);
  });
});

describe('the deadline of EX, PX, EXAT and PXAT (SET, SETEX, PSETEX, GETEX)', () => {
  const now = 1_700_000_000_000;
  test.each<[string, string, string, number | string]>([
    ['EX', '10', 'set', now + 10_000],
    ['PX', '10', 'psetex', now + 10],
    ['EXAT', '1800000000', 'set', 1_800_000_000_000],
    ['PXAT', '1800000000123', 'getex', 1_800_000_000_123],
    // A deadline already past is 1, which every node sees past.
    ['EXAT', '1', 'set', 1],
    ['PXAT', String(now), 'set', 1],
    ['EX', '0', 'setex', invalid('setex')],
    ['PX', '-1', 'psetex', invalid('psetex')],
    ['EXAT', '0', 'set', invalid('set')],
    ['EX', 'x', 'setex', notInteger],
    ['EX', '1.5', 'set', notInteger],
    ['EX', '9223372036854775808', 'set', notInteger],
    ['EX', '9223372036854775', 'setex', invalid('setex')],
    ['PXAT', '9223372036854775807', 'getex', invalid('getex')],
    ['PXAT', String(Number.MAX_SAFE_INTEGER), 'set', Number.MAX_SAFE_INTEGER],
    ['PXAT', String(Number.MAX_SAFE_INTEGER + 1), 'set', invalid('set')],
  ])('%s %s in %s', (unit, amount, command, deadline) => {
    expect(expiryDeadline({ unit: unit as 'EX', amount }, command, now)).toEqual(deadline);
  });
});

describe("EXPIRE's options", () => {
  test.each<[string, object | string]>([
    ['', {}],
    ['NX', { nx: true }],
    ['nx nx', { nx: true }],
    ['XX', { xx: true }],
    ['GT', { gt: true }],
    ['lt', { lt: true }],
    ['XX GT', { xx: true, gt: true }],
    ['LT XX', { lt: true, xx: true }],
    ['NX XX', '-ERR NX and XX, GT or LT options at the same time are not compatible\r\n'],
    ['NX GT', '-ERR NX and XX, GT or LT options at the same time are not compatible\r\n'],
    ['LT NX', '-ERR NX and XX, GT or LT options at the same time are not compatible\r\n'],
    ['GT LT', '-ERR GT and LT options at the same time are not compatible\r\n'],
    ['FOO', '-ERR Unsupported option FOO\r\n'],
    ['NX foo', '-ERR Unsupported option foo\r\n'],
  ])('EXPIRE k 10 %s', (options, parsed) => {
    expect(parseExpireConditions(['EXPIRE', 'k', '10', ...options.split(' ').filter(Boolean)])).toEqual(parsed);
  });
});

describe('the deadline of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT', () => {
  const now = 1_700_000_000_000;
  test.each<[string, string, number | string]>([
    ['EXPIRE', '10', now + 10_000],
    ['PEXPIRE', '10', now + 10],
    ['EXPIREAT', '1800000000', 1_800_000_000_000],
    ['PEXPIREAT', '1800000000123', 1_800_000_000_123],
    // Zero, negative and past deadlines are allowed: the key goes.
    ['EXPIRE', '0', 1],
    ['PEXPIRE', '-5', 1],
    ['EXPIREAT', '-5', 1],
    ['PEXPIREAT', String(now), 1],
    ['EXPIRE', '-9223372036854775', 1],
    ['EXPIRE', '-9223372036854776', invalid('expire')],
    ['EXPIRE', '9223372036854776', invalid('expire')],
    ['PEXPIRE', '9223372036854775807', invalid('pexpire')],
    ['EXPIREAT', '9223372036854775807', invalid('expireat')],
    ['PEXPIREAT', String(Number.MAX_SAFE_INTEGER + 1), invalid('pexpireat')],
    ['EXPIRE', 'x', notInteger],
    ['EXPIRE', '', notInteger],
  ])('%s k %s', (command, amount, deadline) => {
    const relative = !command.endsWith('AT');
    const unitMs = command.startsWith('P') ? 1n : 1000n;
    expect(expireDeadline(amount, unitMs, relative ? now : 0, command, now)).toEqual(deadline);
  });
});

describe('the bytes GETRANGE names', () => {
  const int64Min = -(2n ** 63n);
  const int64Max = 2n ** 63n - 1n;
  test.each<[string, bigint, bigint, string]>([
    ['Hello', 0n, -1n, 'Hello'],
    ['Hello', 1n, 3n, 'ell'],
    ['Hello', -3n, -1n, 'llo'],
    ['Hello', -1n, -2n, ''],
    ['Hello', 4n, 1n, ''],
    ['Hello', 1n, 100n, 'ello'],
    ['Hello', -100n, 1n, 'He'],
    ['Hello', 0n, -100n, 'H'],
    ['Hello', 5n, 10n, ''],
    ['', 0n, -1n, ''],
    ['Hello', int64Max, int64Max, ''],
    ['Hello', int64Min, -1n, 'Hello'],
    ['Hello', 0n, int64Min, 'H'],
    ['Hello', int64Min, int64Max, 'Hello'],
  ])('GETRANGE %j %s %s', (value, start, end, bytes) => {
    const range = byteRange(value.length, start, end);
    expect(range === undefined ? '' : value.slice(...range)).toBe(bytes);
  });
});
