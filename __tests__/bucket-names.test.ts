// Bucket names are bytes (binary strings): any bytes but whitespace and
// control characters, found by the UTF-8 scanner, so that every bucket can be
// named from the text protocol.

import fc from 'fast-check';
import { isBucketName, toBinary } from '../lib/core/bytes';
import { isReferenceWhitespace, referenceCharAt, trickyBytes } from './support/utf8-reference';

/** The binary string of some bytes. */
const bin = (...bytes: number[]): string => Buffer.from(bytes).toString('latin1');

describe('bucket names (binary strings)', () => {
  const accepted: Array<[string, string]> = [
    ['ASCII', 'shopping'],
    ['UTF-8', toBinary('ünïcode✓')],
    ['invalid UTF-8', bin(0xff, 0xfe, 0x80, 0xc0)],
    ['a no-break space, which does not split words', toBinary('a\u00a0b')],
    ['U+2007 and U+202F, likewise', toBinary('a\u2007b\u202fc')],
    ['a lone 0x85 byte (not NEL)', bin(0x61, 0x85)],
    ['a character whose continuation byte is 0x85', toBinary('ą')],
    ['a stray lead byte', bin(0x61, 0xc2)],
  ];
  test.each(accepted)('accepted: %s', (_name, name) => {
    expect(isBucketName(name)).toBe(true);
  });

  const refused: Array<[string, string]> = [
    ['empty', ''],
    ['a space', 'two words'],
    ['a tab', 'a\tb'],
    ['a line break', 'a\nb'],
    ['a C0 control', 'a\x01b'],
    ['DEL', 'a\x7fb'],
    ['a C1 control', toBinary('é\u0080')],
    ['NEL, a C1 control and whitespace', toBinary('é\u0085')],
    ['an ideographic space', toBinary('a\u3000b')],
    ['a line separator', toBinary('a\u2028b')],
    ['a stray lead byte, then whitespace', bin(0x61, 0xe2, 0xe3, 0x80, 0x80)],
  ];
  test.each(refused)('refused: %s', (_name, name) => {
    expect(isBucketName(name)).toBe(false);
  });

  test('random bytes: refused exactly when empty or holding a valid whitespace or control character', () => {
    const reference = (bytes: Buffer): boolean => {
      for (let at = 0; at < bytes.length; ) {
        const char = referenceCharAt(bytes, at);
        if (char !== undefined && (isReferenceWhitespace(char) || /^\p{Cc}$/u.test(char))) return false;
        at += char === undefined ? 1 : Buffer.byteLength(char);
      }
      return bytes.length > 0;
    };
    fc.assert(
      fc.property(trickyBytes, (bytes) => {
        expect(isBucketName(bytes.toString('latin1'))).toBe(reference(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
