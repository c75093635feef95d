// A slow, obviously right reference for words on bytes, built on the platform's
// strict UTF-8 decoder and Unicode property regex rather than on byte tables:
// tests compare lib/core/bytes.ts and the parser against it.

import fc from 'fast-check';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The valid UTF-8 character that starts at `at`, or undefined if the byte there stands alone. */
export function referenceCharAt(bytes: Uint8Array, at: number): string | undefined {
  for (let length = 1; length <= 4 && at + length <= bytes.length; length++) {
    try {
      const text = strict.decode(bytes.subarray(at, at + length));
      if ([...text].length === 1) return text;
    } catch {
      // incomplete or invalid so far: try one more byte
    }
  }
  return undefined;
}

/** What Elixir's String.split/1 splits on: Unicode White_Space but the non-breaking spaces. */
export function isReferenceWhitespace(char: string): boolean {
  return /^\p{White_Space}$/u.test(char) && !['\u00a0', '\u2007', '\u202f'].includes(char);
}

/** The words of `bytes` (binary strings): valid characters that are whitespace split, every other byte belongs to a word. */
export function referenceWords(bytes: Uint8Array): string[] {
  const words: string[] = [];
  let word: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    const char = referenceCharAt(bytes, at);
    const length = char === undefined ? 1 : Buffer.byteLength(char);
    if (char !== undefined && isReferenceWhitespace(char)) {
      if (word.length > 0) words.push(Buffer.from(word).toString('latin1'));
      word = [];
    } else {
      word.push(...bytes.subarray(at, at + length));
    }
    at += length;
  }
  if (word.length > 0) words.push(Buffer.from(word).toString('latin1'));
  return words;
}

/** Every whitespace character of String.split/1, and characters easily mistaken for one. */
export const whitespaceChars = ['\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u1680', ...'\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a', '\u2028', '\u2029', '\u205f', '\u3000'];
export const notWhitespaceChars = ['\u00a0', '\u2007', '\u202f', '\ufeff', '\u200b', '\u180e', '\u0080', '\u009f', '\u0000', '\u001f', '\u007f', 'é', '€', '😀'];

/**
 * Random bytes that stress a UTF-8 scanner: whitespace and near-whitespace
 * encodings, truncated and overlong sequences, surrogates, stray lead and
 * continuation bytes, and plain random bytes.
 */
export const trickyBytes = fc
  .array(
    fc.oneof(
      { arbitrary: fc.constantFrom(...whitespaceChars, ...notWhitespaceChars, 'a', 'PUT').map((text) => [...Buffer.from(text)]), weight: 4 },
      { arbitrary: fc.constantFrom([0xe2], [0xe2, 0x80], [0xe3, 0x80], [0xc2], [0xe1, 0x9a], [0xc0, 0xa0], [0xe0, 0x80, 0xa0], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0x85], [0x80], [0xff], [0xfe]), weight: 3 },
      { arbitrary: fc.uint8Array({ maxLength: 6 }).map((bytes) => [...bytes]), weight: 3 },
    ),
    { maxLength: 24 },
  )
  .map((pieces) => Buffer.from(pieces.flat()));
