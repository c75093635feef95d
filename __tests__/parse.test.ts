// The text protocol's pure parts, as tables: parse (the guide's doctests,
// line for line), format (results and errors to wire text), and words.

import { KvError } from '../lib';
import { formatError, formatReply, type Reply } from '../lib/server/format';
import { parse, words, type Parsed } from '../lib/server/parse';

describe('parse', () => {
  // The Elixir guide's KVServer.Command.parse doctests, with their exact lines.
  const guide: Array<[string, Parsed]> = [
    ['CREATE shopping\r\n', { kind: 'create', bucket: 'shopping' }],
    ['CREATE  shopping  \r\n', { kind: 'create', bucket: 'shopping' }],
    ['PUT shopping milk 1\r\n', { kind: 'put', bucket: 'shopping', key: 'milk', value: '1' }],
    ['GET shopping milk\r\n', { kind: 'get', bucket: 'shopping', key: 'milk' }],
    ['DELETE shopping eggs\r\n', { kind: 'delete', bucket: 'shopping', key: 'eggs' }],
    ['UNKNOWN shopping eggs\r\n', { kind: 'unknown' }],
    ['GET shopping\r\n', { kind: 'unknown' }],
  ];
  test.each(guide)('the guide: %j', (line, expected) => {
    expect(parse(line)).toEqual(expected);
  });

  const more: Array<[string, Parsed]> = [
    ['PUT shopping milk 1', { kind: 'put', bucket: 'shopping', key: 'milk', value: '1' }],
    ['\tPUT\tshopping \t milk\u30001\v\f\n', { kind: 'put', bucket: 'shopping', key: 'milk', value: '1' }],
    // As String.split/1: a non-breaking space does not split words.
    ['GET shopping a\u00a0b', { kind: 'get', bucket: 'shopping', key: 'a\u00a0b' }],
    ['GET shopping\u202fmilk', { kind: 'unknown' }],
    ['GET ünïcode clé\r\n', { kind: 'get', bucket: 'ünïcode', key: 'clé' }],
    ['', { kind: 'unknown' }],
    ['\r\n', { kind: 'unknown' }],
    ['   ', { kind: 'unknown' }],
    ['create shopping', { kind: 'unknown' }],
    ['CREATE', { kind: 'unknown' }],
    ['CREATE a b', { kind: 'unknown' }],
    ['PUT shopping milk', { kind: 'unknown' }],
    ['PUT shopping milk 1 2', { kind: 'unknown' }],
    ['GET shopping milk extra', { kind: 'unknown' }],
    ['DELETE shopping', { kind: 'unknown' }],
    ['OK', { kind: 'unknown' }],
  ];
  test.each(more)('%j', (line, expected) => {
    expect(parse(line)).toEqual(expected);
  });

  test('words splits on any run of whitespace and ignores it at the ends', () => {
    expect(words('  a\t b\r\nc  ')).toEqual(['a', 'b', 'c']);
    expect(words('')).toEqual([]);
  });
});

describe('format', () => {
  const get = { kind: 'get', bucket: 'b', key: 'k' } as const;
  const put = { kind: 'put', bucket: 'b', key: 'k', value: 'v' } as const;
  const replies: Array<[string, Reply, string]> = [
    ['CREATE is OK', { kind: 'done', command: { kind: 'create', bucket: 'b' }, value: undefined }, 'OK\r\n'],
    ['PUT is OK', { kind: 'done', command: put, value: undefined }, 'OK\r\n'],
    ['DELETE is OK whatever it removed', { kind: 'done', command: { kind: 'delete', bucket: 'b', key: 'k' }, value: '3' }, 'OK\r\n'],
    ['GET is the value then OK', { kind: 'done', command: get, value: '3' }, '3\r\nOK\r\n'],
    ['GET of a missing key is an empty line then OK', { kind: 'done', command: get, value: undefined }, '\r\nOK\r\n'],
    ['GET of an empty value is an empty line then OK', { kind: 'done', command: get, value: '' }, '\r\nOK\r\n'],
    ['GET of a value with a line break is an ERROR', { kind: 'done', command: get, value: 'a\nb' }, 'ERROR the value holds a line break, which the text protocol cannot carry\r\n'],
    ['an unknown command', { kind: 'unknown' }, 'UNKNOWN COMMAND\r\n'],
    ['a missing bucket', { kind: 'failed', error: { code: 'NOT_FOUND', message: 'bucket b does not exist' } }, 'NOT FOUND\r\n'],
  ];
  test.each(replies)('%s', (_name, reply, wire) => {
    expect(formatReply(reply)).toBe(wire);
  });

  // Every code but NOT_FOUND is `ERROR <message>`: the lines the cluster's errors give.
  const errors: Array<[KvError, string]> = [
    [new KvError('NOT_FOUND', 'bucket b does not exist'), 'NOT FOUND\r\n'],
    [new KvError('NO_ROUTE', 'no route for bucket zebra'), 'ERROR no route for bucket zebra\r\n'],
    [new KvError('NODE_UNAVAILABLE', 'node bar unavailable'), 'ERROR node bar unavailable\r\n'],
    [new KvError('TIMEOUT', 'bucket b did not answer within 5000 ms (see callTimeoutMs)'), 'ERROR bucket b did not answer within 5000 ms (see callTimeoutMs)\r\n'],
    [new KvError('BUCKET_FAILED', 'bucket b failed'), 'ERROR bucket b failed\r\n'],
    [new KvError('BAD_REQUEST', 'bucket name "\\u0001" must be non-empty'), 'ERROR bucket name "\\u0001" must be non-empty\r\n'],
    [new KvError('INTERNAL', 'two\r\nlines\nhere'), 'ERROR two lines here\r\n'],
  ];
  test.each(errors)('%s', (error, wire) => {
    expect(formatError(error.toData())).toBe(wire);
  });
});
