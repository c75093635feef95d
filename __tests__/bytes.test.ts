// Bytes inside the library: binary strings (one char per byte) and the UTF-8
// scanner that finds whitespace and control characters in them. Tables of
// exact bytes, then fast-check against a reference built on the platform's
// strict UTF-8 decoder.

import fc from 'fast-check';
import { binaryToBuffer, binaryToText, controlAt, isAscii, printable, toBinary, utf8LengthAt, whitespaceAt } from '../lib/core/bytes';
import { isReferenceWhitespace, notWhitespaceChars, referenceCharAt, trickyBytes, whitespaceChars } from './support/utf8-reference';

/** The binary string of some bytes. */
const bin = (...bytes: number[]): string => Buffer.from(bytes).toString('latin1');

describe('conversions', () => {
  const cases: Array<[string, string | Buffer, string]> = [
    ['ASCII text is its own binary form', 'shopping', 'shopping'],
    ['the empty string', '', ''],
    ['text is encoded as UTF-8', 'clé', bin(0x63, 0x6c, 0xc3, 0xa9)],
    ['a character outside the BMP', '𝄞', bin(0xf0, 0x9d, 0x84, 0x9e)],
    ['a Buffer is taken byte for byte', Buffer.from([0xff, 0xfe, 0x80, 0xc0, 0x00]), '\xff\xfe\x80\xc0\x00'],
    ['a Buffer holding UTF-8 is not decoded', Buffer.from('é'), '\xc3\xa9'],
  ];
  test.each(cases)('toBinary: %s', (_name, input, binary) => {
    expect(toBinary(input)).toBe(binary);
  });

  test('binaryToText decodes UTF-8, replacing invalid bytes', () => {
    expect(binaryToText('milk')).toBe('milk');
    expect(binaryToText(bin(0x63, 0x6c, 0xc3, 0xa9))).toBe('clé');
    expect(binaryToText('a\xffb')).toBe('a\ufffdb');
  });

  test('binaryToBuffer gives the bytes', () => {
    expect(binaryToBuffer('\xff\x00a')).toEqual(Buffer.from([0xff, 0x00, 0x61]));
  });

  test('isAscii', () => {
    expect(isAscii('')).toBe(true);
    expect(isAscii('PUT b k v\r\n\x7f')).toBe(true);
    expect(isAscii('a\x80')).toBe(false);
    expect(isAscii('é')).toBe(false);
  });

  test('bytes round-trip through a binary string; text through its binary form', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const binary = toBinary(Buffer.from(bytes));
        expect(binary.length).toBe(bytes.length);
        expect(binaryToBuffer(binary)).toEqual(Buffer.from(bytes));
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 32 }), (text) => {
        expect(binaryToBuffer(toBinary(text))).toEqual(Buffer.from(text, 'utf8'));
        expect(binaryToText(toBinary(text))).toBe(text);
      }),
    );
  });
});

describe('the UTF-8 scanner', () => {
  const lengths: Array<[string, string, number]> = [
    ['ASCII', 'a', 1],
    ['NUL', '\x00', 1],
    ['a 2-byte character', bin(0xc3, 0xa9), 2],
    ['a 3-byte character', bin(0xe2, 0x82, 0xac), 3],
    ['a 4-byte character', bin(0xf0, 0x9f, 0x98, 0x80), 4],
    ['the last code point, U+10FFFF', bin(0xf4, 0x8f, 0xbf, 0xbf), 4],
    ['past U+10FFFF', bin(0xf4, 0x90, 0x80, 0x80), 0],
    ['an overlong 2-byte form (C0)', bin(0xc0, 0xa0), 0],
    ['an overlong 2-byte form (C1)', bin(0xc1, 0xbf), 0],
    ['an overlong 3-byte form', bin(0xe0, 0x80, 0xa0), 0],
    ['an overlong 4-byte form', bin(0xf0, 0x8f, 0xbf, 0xbf), 0],
    ['a surrogate', bin(0xed, 0xa0, 0x80), 0],
    ['the last code point before the surrogates', bin(0xed, 0x9f, 0xbf), 3],
    ['a lone continuation byte', bin(0x85), 0],
    ['a lead byte at the end', bin(0xc2), 0],
    ['a truncated 3-byte sequence', bin(0xe2, 0x80), 0],
    ['a lead byte followed by ASCII', bin(0xe2, 0x41, 0x41), 0],
    ['F5 and above', bin(0xf5, 0x80, 0x80, 0x80), 0],
    ['FF', bin(0xff), 0],
  ];
  test.each(lengths)('utf8LengthAt: %s', (_name, binary, length) => {
    expect(utf8LengthAt(binary, 0)).toBe(length);
  });

  test.each(whitespaceChars.map((char) => [JSON.stringify(char), char]))('%s is whitespace, its whole encoding', (_name, char) => {
    const binary = toBinary(char);
    expect(whitespaceAt(binary, 0)).toBe(binary.length);
    expect(whitespaceAt(`x${binary}`, 1)).toBe(binary.length);
  });

  test.each(notWhitespaceChars.map((char) => [JSON.stringify(char), char]))('%s is not whitespace', (_name, char) => {
    const binary = toBinary(char);
    for (let at = 0; at < binary.length; at++) expect(whitespaceAt(binary, at)).toBe(0);
  });

  const notWhitespaceBytes: Array<[string, string]> = [
    ['a lone 0x85 (NEL is C2 85)', bin(0x85)],
    ['a whitespace encoding cut short', bin(0xe3, 0x80)],
    ['an overlong space', bin(0xc0, 0xa0)],
    ['a lead byte alone', bin(0xc2)],
  ];
  test.each(notWhitespaceBytes)('not whitespace: %s', (_name, binary) => {
    expect(whitespaceAt(binary, 0)).toBe(0);
  });

  test('a stray lead byte before whitespace is not whitespace; the whitespace after it still is', () => {
    const binary = bin(0xe2, 0xe3, 0x80, 0x80); // a stray E2, then U+3000
    expect(whitespaceAt(binary, 0)).toBe(0);
    expect(whitespaceAt(binary, 1)).toBe(3);
  });

  test('control characters: C0, DEL and C1 as valid UTF-8', () => {
    for (const char of ['\x00', '\x1f', '\x7f', '\u0080', '\u0085', '\u009f']) expect(controlAt(toBinary(char), 0)).toBe(Buffer.byteLength(char));
    for (const binary of [' ', 'a', bin(0xc2, 0xa0), bin(0x85), bin(0xc2), bin(0xc3, 0x85)]) expect(controlAt(binary, 0)).toBe(0);
  });

  // Every code point, encoded: the scanner agrees with Unicode's White_Space.
  test('on every code point, whitespaceAt and utf8LengthAt agree with the reference', () => {
    for (let code = 0; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      const binary = toBinary(char);
      if (utf8LengthAt(binary, 0) !== binary.length) throw new Error(`utf8LengthAt U+${code.toString(16)}`);
      if ((whitespaceAt(binary, 0) > 0) !== isReferenceWhitespace(char)) throw new Error(`whitespaceAt U+${code.toString(16)}`);
    }
  });

  test('on random bytes, at every offset, both agree with a strict decoder', () => {
    fc.assert(
      fc.property(trickyBytes, (bytes) => {
        const binary = bytes.toString('latin1');
        for (let at = 0; at < bytes.length; at++) {
          const char = referenceCharAt(bytes, at);
          expect(utf8LengthAt(binary, at)).toBe(char === undefined ? 0 : Buffer.byteLength(char));
          expect(whitespaceAt(binary, at)).toBe(char !== undefined && isReferenceWhitespace(char) ? Buffer.byteLength(char) : 0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('printable', () => {
  const cases: Array<[string, string, string]> = [
    ['ASCII as is', 'shopping', 'shopping'],
    ['UTF-8 decoded', toBinary('ünïcode ✓'), 'ünïcode ✓'],
    ['invalid bytes as \\x', bin(0x61, 0xff, 0xc3), 'a\\xff\\xc3'],
    ['controls escaped', '\x01\n\r\x7f', '\\u0001\\u000a\\u000d\\u007f'],
    ['C1 and the line separators escaped', toBinary('\u0085\u2028\u2029'), '\\u0085\\u2028\\u2029'],
    ['the backslash escaped', 'a\\xff', 'a\\\\xff'],
  ];
  test.each(cases)('%s', (_name, binary, text) => {
    expect(printable(binary)).toBe(text);
  });

  test('never holds a line break', () => {
    fc.assert(
      fc.property(trickyBytes, (bytes) => {
        expect(printable(bytes.toString('latin1'))).not.toMatch(/[\n\v\f\r\u0085\u2028\u2029]/);
      }),
    );
  });
});
