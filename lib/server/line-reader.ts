// Framing: cuts a byte stream into request lines (`\r\n` or a bare `\n`),
// holding at most one partial line of at most `maxLineBytes` per client, and
// decoding each line as UTF-8 without accepting invalid bytes.

import { isUtf8 } from 'node:buffer';

/** Where the reader sends what it finds. */
export interface LineSink {
  /** A complete line, decoded, without its terminator. */
  line(text: string): void;
  /** A complete line whose bytes are not valid UTF-8. */
  invalidLine(): void;
}

const LF = 0x0a;
const CR = 0x0d;
const replacementChar = '\uFFFD';

export class LineReader {
  /** The bytes of the current partial line, carried from earlier chunks. */
  private partial: Buffer | undefined;

  /** `maxLineBytes` counts a line's bytes without its terminator. */
  constructor(private readonly maxLineBytes: number) {}

  /** Bytes held for a line not yet complete. */
  get pending(): number {
    return this.partial?.length ?? 0;
  }

  /**
   * Feeds one chunk: every complete line goes to `sink`, in order. Returns how
   * many lines it completed, or 'too-long' as soon as a line passes the limit
   * (the reader then holds nothing and should not be fed again).
   */
  push(chunk: Buffer, sink: LineSink): number | 'too-long' {
    let start = 0;
    let lines = 0;
    if (this.partial) {
      const end = chunk.indexOf(LF);
      const held = this.partial.length + (end === -1 ? chunk.length : end);
      // One byte of slack: the line's CR may be the last byte held.
      if (held > this.maxLineBytes + 1) return this.spend();
      if (end === -1) {
        this.partial = Buffer.concat([this.partial, chunk]);
        return 0;
      }
      const line = Buffer.concat([this.partial, chunk.subarray(0, end)]);
      this.partial = undefined;
      if (!this.emit(line, 0, line.length, sink)) return this.spend();
      start = end + 1;
      lines++;
    }
    for (let end = chunk.indexOf(LF, start); end !== -1; end = chunk.indexOf(LF, start)) {
      if (!this.emit(chunk, start, end, sink)) return this.spend();
      start = end + 1;
      lines++;
    }
    if (start < chunk.length) {
      if (chunk.length - start > this.maxLineBytes + 1) return this.spend();
      // A copy, so the (up to 64 KiB) chunk it came from can be freed.
      this.partial = Buffer.from(chunk.subarray(start));
    }
    return lines;
  }

  private spend(): 'too-long' {
    this.partial = undefined;
    return 'too-long';
  }

  /** Sends bytes [start, end) as one line; false if it is too long. */
  private emit(bytes: Buffer, start: number, end: number, sink: LineSink): boolean {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end - start > this.maxLineBytes) return false;
    const text = bytes.toString('utf8', start, end);
    // Node replaces invalid bytes with U+FFFD; only then is the exact check needed.
    if (text.includes(replacementChar) && !isUtf8(bytes.subarray(start, end))) sink.invalidLine();
    else sink.line(text);
    return true;
  }
}
