// The text protocol's pure parts, as tables of exact wire bytes (binary
// strings, one char per byte): parse (the guide's doctests, line for line),
// words, and format (results and errors to wire bytes).

import fc from 'fast-check';
import { KvError } from '../lib';
import { toBinary } from '../lib/core/bytes';
import { formatError, formatReply, type Reply } from '../lib/server/format';
import { parse, words, type Parsed } from '../lib/server/parse';
import { notWhitespaceChars, referenceWords, trickyBytes, whitespaceChars } from './support/utf8-reference';

/** The UTF-8 bytes of `text`, as a binary string: what arrives on the wire. */
const utf8 = toBinary;

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

  const extensions: Array<[string, Parsed]> = [
    ['KEYS shopping\r\n', { kind: 'keys', bucket: 'shopping' }],
    ['BUCKETS\r\n', { kind: 'buckets' }],
    ['TREE\r\n', { kind: 'tree' }],
    ['DROP shopping\r\n', { kind: 'drop', bucket: 'shopping' }],
    ['EXPIRE shopping milk 10\r\n', { kind: 'expire', bucket: 'shopping', key: 'milk', seconds: 10 }],
    ['EXPIRE shopping milk 0\r\n', { kind: 'expire', bucket: 'shopping', key: 'milk', seconds: 0 }],
    ['EXPIRE shopping milk -1\r\n', { kind: 'unknown' }],
    ['EXPIRE shopping milk 1234567890\r\n', { kind: 'unknown' }],
    ['TTL shopping milk\r\n', { kind: 'ttl', bucket: 'shopping', key: 'milk' }],
    ['PING\r\n', { kind: 'ping' }],
    ['QUIT\r\n', { kind: 'quit' }],
    ['PING PONG\r\n', { kind: 'unknown' }],
    ['quit\r\n', { kind: 'unknown' }],
  ];
  test.each(extensions)('an extension: %j', (line, expected) => {
    expect(parse(line)).toEqual(expected);
  });

  const more: Array<[string, Parsed]> = [
    ['PUT shopping milk 1', { kind: 'put', bucket: 'shopping', key: 'milk', value: '1' }],
    [utf8('\tPUT\tshopping \t milk\u30001\v\f\n'), { kind: 'put', bucket: 'shopping', key: 'milk', value: '1' }],
    // As String.split/1: a non-breaking space does not split words.
    ['GET shopping a\xc2\xa0b', { kind: 'get', bucket: 'shopping', key: 'a\xc2\xa0b' }],
    [utf8('GET shopping\u202fmilk'), { kind: 'unknown' }],
    [utf8('GET ünïcode clé\r\n'), { kind: 'get', bucket: utf8('ünïcode'), key: utf8('clé') }],
    // The guide's server stores whatever bytes it is sent.
    ['PUT b k \xff\xfe\x80\xc0\r\n', { kind: 'put', bucket: 'b', key: 'k', value: '\xff\xfe\x80\xc0' }],
    ['PUT \xff \xc3( \x00\x7f\r\n', { kind: 'put', bucket: '\xff', key: '\xc3(', value: '\x00\x7f' }],
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

describe('words on bytes', () => {
  test.each(whitespaceChars.map((char) => [JSON.stringify(char), char]))('%s splits words', (_name, char) => {
    expect(words(utf8(`a${char}b${char}${char}c${char}`))).toEqual(['a', 'b', 'c']);
  });

  test.each(notWhitespaceChars.map((char) => [JSON.stringify(char), char]))('%s does not split words', (_name, char) => {
    expect(words(utf8(`a${char}b`))).toEqual([utf8(`a${char}b`)]);
  });

  const cases: Array<[string, string, string[]]> = [
    ['invalid UTF-8 is part of a word', 'PUT b k \xff\xfe\x80\xc0', ['PUT', 'b', 'k', '\xff\xfe\x80\xc0']],
    ['a stray lead byte before U+3000: a word byte, and the space still splits', 'a\xe2\xe3\x80\x80b', ['a\xe2', 'b']],
    ['a stray C2 before NEL (C2 85)', 'a\xc2\xc2\x85b', ['a\xc2', 'b']],
    ['a lone 0x85 is not NEL', 'a\x85b', ['a\x85b']],
    ['U+2000 cut short at the end of the line', 'a \xe2\x80', ['a', '\xe2\x80']],
    ['U+3000 cut short inside a word', 'a\xe3\x80b', ['a\xe3\x80b']],
    ['an overlong space (C0 A0) is not a space', 'a\xc0\xa0b', ['a\xc0\xa0b']],
    ['a surrogate encoding is a word', '\xed\xa0\x80 x', ['\xed\xa0\x80', 'x']],
    ['NUL and DEL are word bytes', '\x00 \x7f', ['\x00', '\x7f']],
  ];
  test.each(cases)('%s', (_name, line, expected) => {
    expect(words(line)).toEqual(expected);
  });

  test('random bytes split as the reference splits them', () => {
    fc.assert(
      fc.property(trickyBytes, (bytes) => {
        expect(words(bytes.toString('latin1'))).toEqual(referenceWords(bytes));
      }),
      { numRuns: 2000 },
    );
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
    ['GET answers the value\'s exact bytes', { kind: 'done', command: get, value: '\xff\xfe\x80\xc0' }, '\xff\xfe\x80\xc0\r\nOK\r\n'],
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
    [new KvError('INTERNAL', 'any\u2028line\u0085break\v\fhere'), 'ERROR any line break here\r\n'],
    // A message is text: it goes out as UTF-8.
    [new KvError('NO_ROUTE', 'no route for bucket zébra'), 'ERROR no route for bucket z\xc3\xa9bra\r\n'],
  ];
  test.each(errors)('%s', (error, wire) => {
    expect(formatError(error.toData())).toBe(wire);
  });

  test('an error is one line of bytes, whatever its message', () => {
    const message = fc.string({ unit: fc.constantFrom('a', 'é', '\r', '\n', '\u0085', '\u2028', '\u2029', '\v', '\f', '😀') });
    fc.assert(
      fc.property(message, (text) => {
        const wire = formatError({ code: 'INTERNAL', message: text });
        expect(wire).toMatch(/^ERROR [^\r\n\v\f\x85]*\r\n$/);
        expect(wire).toMatch(/^[\x00-\xff]*$/);
      }),
    );
  });
});
