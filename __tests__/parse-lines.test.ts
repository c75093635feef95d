// Framing: how the byte stream is cut into lines, whatever the chunk
// boundaries. A line is its bytes, as a binary string (one char per byte),
// whether or not they are valid UTF-8.

import fc from 'fast-check';
import { toBinary } from '../lib/core/bytes';
import { LineReader, type LineSink } from '../lib/server/line-reader';
import { parse, words } from '../lib/server/parse';
import { referenceWords } from './support/utf8-reference';

function feed(chunks: Array<Buffer | string>, maxLineBytes = 16): { events: string[]; result: number | 'too-long'; pending: number } {
  const reader = new LineReader(maxLineBytes);
  const events: string[] = [];
  const sink: LineSink = { line: (binary) => events.push(binary) };
  let result: number | 'too-long' = 0;
  for (const chunk of chunks) {
    result = reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, sink);
    if (result === 'too-long') break;
  }
  return { events, result, pending: reader.pending };
}

/** Bytes copied by `run` through every byte-copying primitive a reader could use. */
function bytesCopiedDuring(run: () => void): number {
  let copied = 0;
  const counted = <T>(result: T, bytes: number): T => ((copied += bytes), result);
  const { concat, from } = Buffer;
  const { copy } = Buffer.prototype;
  const { set } = Uint8Array.prototype;
  const spies = [
    jest.spyOn(Buffer, 'concat').mockImplementation((list, total) => ((b) => counted(b, b.length))(concat(list, total))),
    jest.spyOn(Buffer, 'from').mockImplementation(((...args: [string]) => ((b) => counted(b, b.length))(from(...args))) as never),
    jest.spyOn(Buffer.prototype, 'copy').mockImplementation(function (this: Buffer, ...args) {
      return ((n) => counted(n, n))(copy.apply(this, args));
    }),
    jest.spyOn(Uint8Array.prototype, 'set').mockImplementation(function (this: Uint8Array, array: ArrayLike<number>, offset?: number) {
      return counted(set.call(this, array, offset), array.length);
    }),
  ];
  try {
    run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return copied;
}

describe('the line reader', () => {
  const cases: Array<[string, Array<Buffer | string>, string[], number]> = [
    ['CRLF and bare LF both end a line', ['a\r\nb\nc\r\n'], ['a', 'b', 'c'], 0],
    ['a line split across chunks', ['CRE', 'ATE x', '\r', '\n'], ['CREATE x'], 0],
    ['a partial line is held', ['GET a b\r\nPUT'], ['GET a b'], 3],
    ['an empty line is a line', ['\r\n\n'], ['', ''], 0],
    ['a CR inside a line is kept for the parser', ['a\rb\n'], ['a\rb'], 0],
    ['UTF-8, split inside a character', [Buffer.from([0x63, 0x6c, 0xc3]), Buffer.from([0xa9, 0x0a])], ['cl\xc3\xa9'], 0],
    ['a literal U+FFFD is its bytes', ['\uFFFD\n'], [toBinary('\uFFFD')], 0],
    ['invalid UTF-8 is kept, not replaced', [Buffer.from([0x61, 0xff, 0x0a, 0x62, 0x0a])], ['a\xff', 'b'], 0],
    ['a lone surrogate encoding is kept', [Buffer.from([0xed, 0xa0, 0x80, 0x0a])], ['\xed\xa0\x80'], 0],
    ['the guide\'s binary PUT', [Buffer.from('PUT b k \xff\xfe\x80\xc0\r\n', 'latin1')], ['PUT b k \xff\xfe\x80\xc0'], 0],
    ['NUL and other controls are kept', [Buffer.from([0x00, 0x01, 0x7f, 0x0a])], ['\x00\x01\x7f'], 0],
    ['exactly the limit is accepted', ['x'.repeat(16) + '\r\n'], ['x'.repeat(16)], 0],
    ['exactly the limit, CR held apart from its LF', ['x'.repeat(16) + '\r', '\n'], ['x'.repeat(16)], 0],
  ];
  test.each(cases)('%s', (_name, chunks, events, pending) => {
    const fed = feed(chunks);
    expect(fed.events).toEqual(events);
    expect(fed.pending).toBe(pending);
    expect(fed.result).not.toBe('too-long');
  });

  const tooLong: Array<[string, string[]]> = [
    ['a complete line one byte over', ['x'.repeat(17) + '\n']],
    ['a partial line past the limit in one chunk', ['x'.repeat(18)]],
    ['a partial line growing past the limit', ['x'.repeat(10), 'x'.repeat(10)]],
    ['a line completed past the limit', ['x'.repeat(10), 'x'.repeat(7) + '\n']],
  ];
  test.each(tooLong)('too long: %s', (_name, chunks) => {
    const fed = feed(chunks);
    expect(fed.result).toBe('too-long');
    expect(fed.pending).toBe(0);
  });

  test('never holds more than the limit plus one byte', () => {
    const reader = new LineReader(1024);
    const sink: LineSink = { line: () => {} };
    let result: number | 'too-long' = 0;
    for (let i = 0; i < 100 && result !== 'too-long'; i++) {
      result = reader.push(Buffer.alloc(100, 0x78), sink);
      expect(reader.pending).toBeLessThanOrEqual(1025);
    }
    expect(result).toBe('too-long');
  });

  // Counted, not timed: a line fed one byte at a time must cost a bounded
  // number of byte copies per byte (copying the whole partial line per chunk
  // costs ~n²/2: 2 GiB for 64 KiB).
  test('a long line fed one byte at a time costs copying linear in its length', () => {
    const copiedFor = (length: number): number =>
      bytesCopiedDuring(() => {
        const reader = new LineReader(length);
        const events: string[] = [];
        const sink: LineSink = { line: (binary) => events.push(binary) };
        const byte = Buffer.from('x');
        for (let i = 0; i < length; i++) reader.push(byte, sink);
        reader.push(Buffer.from('\n'), sink);
        expect(events).toEqual(['x'.repeat(length)]);
      });
    const small = copiedFor(16 * 1024);
    const large = copiedFor(64 * 1024);
    expect(small).toBeGreaterThan(0); // the count sees the copies at all
    expect(large).toBeLessThanOrEqual(8 * 64 * 1024);
    expect(large / small).toBeLessThan(5); // four times the bytes: about four times the copying
  });

  test('any way of cutting the stream into chunks gives the same lines', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z é]{0,12}$/), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((line, i) => line + (i % 2 ? '\n' : '\r\n')).join(''));
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i, all) => bytes.subarray(start, all[i + 1] ?? bytes.length));
        expect(feed(chunks, 64).events).toEqual(lines.map(toBinary));
      }),
      { seed: 4040 },
    );
  });
});

// Fuzzing: arbitrary bytes, cut anywhere, against a reference
// that reads the whole stream at once.

/** Pieces that stress framing and decoding: terminators, NUL, invalid and split UTF-8, long runs. */
const piece = fc.oneof(
  { arbitrary: fc.constantFrom([0x0a], [0x0d], [0x0d, 0x0a], [0x00], [0x20]), weight: 4 },
  { arbitrary: fc.constantFrom([0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]), weight: 2 },
  { arbitrary: fc.constantFrom('é', '€', '😀', 'PUT b k ', 'GET b k', 'CREATE b', '\uFFFD').map((text) => [...Buffer.from(text)]), weight: 3 },
  { arbitrary: fc.uint8Array({ maxLength: 8 }).map((bytes) => [...bytes]), weight: 3 },
  { arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 90 })).map(([byte, n]) => Array<number>(n).fill(byte)), weight: 1 },
);
const stream = fc.array(piece, { maxLength: 40 }).map((pieces) => Buffer.from(pieces.flat()));

/** What the reader must report for `bytes` however it is cut: each line in order, up to a too-long one. */
function reference(bytes: Buffer, maxLineBytes: number): { events: string[]; tooLong: boolean } {
  const events: string[] = [];
  let start = 0;
  for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
    const line = bytes.subarray(start, end > start && bytes[end - 1] === 0x0d ? end - 1 : end);
    if (line.length > maxLineBytes) return { events, tooLong: true };
    events.push(line.toString('latin1'));
    start = end + 1;
  }
  return { events, tooLong: bytes.length - start > maxLineBytes + 1 };
}

/** `bytes` cut at the given points (taken modulo its length). */
function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((at) => at % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((start, i, all) => bytes.subarray(start, all[i + 1] ?? bytes.length));
}

describe('the line reader on random bytes', () => {
  test('reports the same lines, byte for byte, however the stream is cut, none over the limit; words and parse take every line', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 1, max: 40 }), (bytes, cuts, maxLineBytes) => {
        const fed = feed(cut(bytes, cuts), maxLineBytes);
        const expected = reference(bytes, maxLineBytes);
        expect(fed.events).toEqual(expected.events);
        expect(fed.result === 'too-long').toBe(expected.tooLong);
        expect(fed.pending).toBeLessThanOrEqual(maxLineBytes + 1);
        for (const line of fed.events) {
          expect(line.length).toBeLessThanOrEqual(maxLineBytes);
          expect(words(line)).toEqual(referenceWords(Buffer.from(line, 'latin1')));
          expect(['create', 'put', 'get', 'delete', 'unknown']).toContain(parse(line).kind);
        }
      }),
      { seed: 20240611, numRuns: 2000 },
    );
  });
});
