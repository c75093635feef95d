// Keys, values and bucket names are bytes. Inside the library they travel as
// "binary strings": JS strings whose every char code is 0-255, one char per
// byte (Node's 'latin1'), which V8 keeps as fast one-byte strings. An ASCII
// string is its own binary form, so most conversions at the edges cost a scan.

/** Whether every char code of `s` is under 0x80 (so `s` is text and binary alike). */
export function isAscii(s: string): boolean {
  for (let at = 0; at < s.length; at++) {
    if (s.charCodeAt(at) >= 0x80) return false;
  }
  return true;
}

/** The binary form of bytes (a Buffer) or of text (a string, encoded as UTF-8). */
export function toBinary(input: string | Buffer): string {
  if (typeof input !== 'string') return input.toString('latin1');
  return isAscii(input) ? input : Buffer.from(input, 'utf8').toString('latin1');
}

/** Decodes a binary string as UTF-8 text (invalid bytes become U+FFFD). */
export function binaryToText(binary: string): string {
  return isAscii(binary) ? binary : Buffer.from(binary, 'latin1').toString('utf8');
}

/** The bytes of a binary string. */
export function binaryToBuffer(binary: string): Buffer {
  return Buffer.from(binary, 'latin1');
}

const isContinuation = (byte: number): boolean => byte >= 0x80 && byte <= 0xbf;

/**
 * The length of the UTF-8 character that starts at `at`: 1 for ASCII, 2 to 4
 * for a complete, valid multi-byte sequence (shortest form, no surrogates, at
 * most U+10FFFF), or 0 when the byte there is invalid (a stray continuation,
 * or a lead byte without its valid sequence): such a byte stands alone.
 */
export function utf8LengthAt(binary: string, at: number): number {
  const lead = binary.charCodeAt(at);
  if (lead < 0x80) return 1;
  const second = binary.charCodeAt(at + 1);
  if (lead >= 0xc2 && lead <= 0xdf) return isContinuation(second) ? 2 : 0;
  // The second byte's range rules out overlong forms (E0, F0), surrogates (ED)
  // and code points past U+10FFFF (F4).
  let length: number;
  let min = 0x80;
  let max = 0xbf;
  if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) min = 0xa0;
    else if (lead === 0xed) max = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) min = 0x90;
    else if (lead === 0xf4) max = 0x8f;
  } else {
    return 0;
  }
  if (!(second >= min && second <= max) || !isContinuation(binary.charCodeAt(at + 2))) return 0;
  return length === 3 || isContinuation(binary.charCodeAt(at + 3)) ? length : 0;
}

/**
 * The length in bytes of the whitespace character that starts at `at`, or 0.
 * Whitespace is what Elixir's String.split/1 splits on: ASCII 0x09-0x0d and
 * the space, and Unicode White_Space except the non-breaking spaces (U+00A0,
 * U+2007, U+202F). Bytes that are not valid UTF-8 are never whitespace.
 *
 * Matching the few multi-byte encodings at `at` is the whole UTF-8 check: each
 * is a complete valid sequence that starts with a lead byte, and no byte inside
 * another valid character is a lead byte, so none can match out of step.
 */
export function whitespaceAt(binary: string, at: number): number {
  const byte = binary.charCodeAt(at);
  if (byte < 0x80) return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) ? 1 : 0;
  switch (byte) {
    case 0xc2: // U+0085
      return binary.charCodeAt(at + 1) === 0x85 ? 2 : 0;
    case 0xe1: // U+1680
      return binary.charCodeAt(at + 1) === 0x9a && binary.charCodeAt(at + 2) === 0x80 ? 3 : 0;
    case 0xe2: {
      const second = binary.charCodeAt(at + 1);
      const third = binary.charCodeAt(at + 2);
      // U+2000-U+200A but U+2007; U+2028, U+2029
      if (second === 0x80) return (third >= 0x80 && third <= 0x8a && third !== 0x87) || third === 0xa8 || third === 0xa9 ? 3 : 0;
      return second === 0x81 && third === 0x9f ? 3 : 0; // U+205F
    }
    case 0xe3: // U+3000
      return binary.charCodeAt(at + 1) === 0x80 && binary.charCodeAt(at + 2) === 0x80 ? 3 : 0;
    default:
      return 0;
  }
}

/**
 * The length in bytes of the control character that starts at `at`, or 0: C0
 * (0x00-0x1f), DEL (0x7f), or C1 (U+0080-U+009F, as its valid UTF-8 sequence).
 */
export function controlAt(binary: string, at: number): number {
  const byte = binary.charCodeAt(at);
  if (byte < 0x20 || byte === 0x7f) return 1;
  if (byte !== 0xc2) return 0;
  const second = binary.charCodeAt(at + 1);
  return second >= 0x80 && second <= 0x9f ? 2 : 0;
}

/**
 * Whether a binary string can name a bucket: non-empty, without whitespace or
 * control characters (so that every bucket can be named from the text
 * protocol, where words split on whitespace); any other bytes, invalid UTF-8
 * included. It runs for every call.
 */
export function isBucketName(binary: string): boolean {
  if (binary.length === 0) return false;
  for (let at = 0; at < binary.length; at++) {
    const code = binary.charCodeAt(at);
    if (code <= 0x20 || code === 0x7f) return false; // C0 controls, the space and DEL
    // A byte inside a character checked here starts nothing, so stepping by one byte is safe.
    if (code >= 0x80 && (whitespaceAt(binary, at) > 0 || controlAt(binary, at) > 0)) return false;
  }
  return true;
}

/**
 * A binary string as one line of readable text, for messages: valid UTF-8 is
 * decoded; control characters, line and paragraph separators and the
 * backslash are escaped (`\u0001`, `\u2028`, `\\`), and invalid bytes shown
 * as `\xff`. The result never holds a line break.
 */
export function printable(binary: string): string {
  let out = '';
  for (let at = 0; at < binary.length; ) {
    const length = utf8LengthAt(binary, at);
    if (length === 0) {
      out += `\\x${hex(binary.charCodeAt(at), 2)}`;
      at++;
      continue;
    }
    const char = length === 1 ? binary[at]! : binaryToText(binary.slice(at, at + length));
    const code = char.codePointAt(0)!;
    if (char === '\\') out += '\\\\';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) out += `\\u${hex(code, 4)}`;
    else out += char;
    at += length;
  }
  return out;
}

const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');
