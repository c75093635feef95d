// The RESP listener's framing and replies as pure functions: inline command
// splitting, the request reader (redis-parser with our limits) fed whole and
// byte by byte, and the reply encoder's exact bytes.

import { splitInline } from '../lib/server/resp/inline';
import { RequestReader } from '../lib/server/resp/request-reader';
import { array, bulk, bulks, error, integer, simple } from '../lib/server/resp/reply';

describe('splitInline', () => {
  test.each<[string, string[] | undefined]>([
    ['PING', ['PING']],
    ['  SET  a   b ', ['SET', 'a', 'b']],
    ['SET a "hello world"', ['SET', 'a', 'hello world']],
    ['SET a "x\\r\\ny\\x41"', ['SET', 'a', 'x\r\nyA']],
    ["SET a 'it\\'s'", ['SET', 'a', "it's"]],
    ['SET a "open', undefined],
    ['SET a "x"y', undefined],
    ['', []],
    ['GET \xff\xfe', ['GET', '\xff\xfe']],
  ])('%j', (line, words) => {
    expect(splitInline(line)).toEqual(words);
  });
});

/** Feeds `input` in chunks of `size` bytes; returns the requests and the error. */
function read(input: string, size = Infinity, maxBulkBytes = 1024, maxInlineBytes = 64): { requests: string[][]; failure: string | undefined } {
  const reader = new RequestReader(maxBulkBytes, maxInlineBytes);
  const requests: string[][] = [];
  const bytes = Buffer.from(input, 'latin1');
  let failure: string | undefined;
  for (let at = 0; at < bytes.length && failure === undefined; at += size) {
    failure = reader.push(bytes.subarray(at, Math.min(bytes.length, at + size)), { request: (args) => requests.push(args) });
  }
  return { requests, failure };
}

describe('RequestReader', () => {
  const set = '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n\x00\xff\r\n\r\n';
  const requests = [['SET', 'k', '\x00\xff\r\n'], ['PING'], ['GET', 'k']];
  const stream = `${set}PING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`;

  test('cuts RESP and inline requests, binary-safe, whole or a byte at a time', () => {
    expect(read(stream)).toEqual({ requests, failure: undefined });
    expect(read(stream, 1)).toEqual({ requests, failure: undefined });
    expect(read(stream, 7)).toEqual({ requests, failure: undefined });
  });

  test('skips empty requests (*0, *-1, empty inline lines) as Redis does', () => {
    expect(read('*0\r\n*-1\r\n\r\nPING\r\n').requests).toEqual([['PING']]);
  });

  test.each<[string, string]>([
    ['a bad type byte inside a request', '*1\r\n!3\r\nfoo\r\n'],
    ['a nil bulk inside a request', '*1\r\n$-1\r\n'],
    ['a negative bulk length', '*1\r\n$-7\r\n'],
    ['a bulk past maxBulkBytes', '*1\r\n$2000\r\n'],
    ['a huge bulk length', '*1\r\n$99999999999999\r\n'],
    ['a huge multibulk length', '*99999999999\r\n'],
    ['more arguments than Redis allows', '*2000000\r\n$1\r\na\r\n'],
    ['an inline line past its limit', `GET ${'x'.repeat(100)}`],
    ['unbalanced quotes', 'SET a "b\r\n'],
  ])('refuses %s with a protocol error', (_what, input) => {
    const whole = read(input);
    expect(whole.failure).toMatch(/^Protocol error: /);
    expect(read(input, 3).failure).toMatch(/^Protocol error: /);
  });

  test('holds a partial request and counts its bytes as pending', () => {
    const reader = new RequestReader(1024, 64);
    const sink = { request: jest.fn() };
    reader.push(Buffer.from('*2\r\n$3\r\nGET\r\n$5\r\nab'), sink);
    expect(sink.request).not.toHaveBeenCalled();
    expect(reader.pending).toBeGreaterThan(0);
    reader.push(Buffer.from('cde\r\n'), sink);
    expect(sink.request).toHaveBeenCalledWith(['GET', 'abcde']);
    expect(reader.pending).toBe(0);
  });
});

describe('replies', () => {
  test.each<[string, string]>([
    [simple('PONG'), '+PONG\r\n'],
    [error('ERR', 'bad\r\nthing'), '-ERR bad thing\r\n'],
    [integer(-2), ':-2\r\n'],
    [bulk('\x00\xff'), '$2\r\n\x00\xff\r\n'],
    [bulk(undefined), '$-1\r\n'],
    [bulks(['a', null]), '*2\r\n$1\r\na\r\n$-1\r\n'],
    [array([integer(1), array([])]), '*2\r\n:1\r\n*0\r\n'],
  ])('%j', (bytes, expected) => {
    expect(bytes).toBe(expected);
  });
});
