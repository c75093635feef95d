// Framing: cuts a byte stream into request lines (`\r\n` or a bare `\n`),
// holding at most one partial line of at most `maxLineBytes` per client. A
// line is whatever bytes it holds, UTF-8 or not, as a binary string. A caller
// may take a limited number of lines per call: the rest of the chunk waits as
// a backlog (the chunk itself, not a copy) for the next call.

/** Where the reader sends what it finds. */
export interface LineSink {
  /** A complete line without its terminator, as a binary string (one char per byte). */
  line(binary: string): void;
}

const LF = 0x0a;
const CR = 0x0d;

/** The first room taken for a partial line; it doubles as the line grows, up to the limit. */
const initialRoom = 256;

export class LineReader {
  /**
   * The bytes of the current partial line, carried from earlier chunks: the
   * first `held` bytes of `room`. The room doubles when full (capped at the
   * limit plus one), so a line that arrives a byte at a time costs linear
   * copying, not a copy of the whole partial line per chunk; and one buffer,
   * unlike a list of small chunks, costs no per-chunk object overhead.
   */
  private room: Buffer | undefined;
  private held = 0;
  /** Bytes of chunks read but not yet cut into lines (past a call's line limit). */
  private backlog: Buffer | undefined;

  /** `maxLineBytes` counts a line's bytes without its terminator. */
  constructor(private readonly maxLineBytes: number) {}

  /** Bytes held for a line not yet complete, and read but not yet cut into lines. */
  get pending(): number {
    return this.held + (this.backlog?.length ?? 0);
  }

  /** Whether bytes wait past a line limit (call push with no chunk to go on). */
  get backlogged(): boolean {
    return this.backlog !== undefined;
  }

  /**
   * Feeds one chunk (none: goes on with the backlog): complete lines go to
   * `sink`, in order, at most `maxLines` of them; what is left of the chunk
   * waits for the next call. Returns how many lines it completed, or
   * 'too-long' as soon as a line passes the limit (the reader then holds
   * nothing and should not be fed again).
   */
  push(input: Buffer | undefined, sink: LineSink, maxLines = Infinity): number | 'too-long' {
    const chunk = this.backlog && input ? Buffer.concat([this.backlog, input]) : (this.backlog ?? input);
    this.backlog = undefined;
    if (!chunk) return 0;
    let start = 0;
    let lines = 0;
    if (this.held > 0) {
      const end = chunk.indexOf(LF);
      const piece = end === -1 ? chunk : chunk.subarray(0, end);
      // One byte of slack: the line's CR may be the last byte held.
      if (this.held + piece.length > this.maxLineBytes + 1) return this.spend();
      const room = this.hold(piece);
      if (end === -1) return 0;
      const length = this.held;
      this.release();
      if (!this.emit(room, 0, length, sink)) return this.spend();
      start = end + 1;
      lines++;
    }
    for (let end = chunk.indexOf(LF, start); end !== -1; end = chunk.indexOf(LF, start)) {
      if (lines >= maxLines) {
        this.backlog = chunk.subarray(start);
        return lines;
      }
      if (!this.emit(chunk, start, end, sink)) return this.spend();
      start = end + 1;
      lines++;
    }
    if (start < chunk.length) {
      if (chunk.length - start > this.maxLineBytes + 1) return this.spend();
      // Copied, so the (up to 64 KiB) chunk it came from can be freed.
      this.hold(chunk.subarray(start));
    }
    return lines;
  }

  /** Appends `bytes` to the partial line (the caller checked the limit); returns the room holding it. */
  private hold(bytes: Buffer): Buffer {
    const needed = this.held + bytes.length;
    if (!this.room || needed > this.room.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(needed, initialRoom, 2 * (this.room?.length ?? 0)), this.maxLineBytes + 1));
      this.room?.copy(grown, 0, 0, this.held);
      this.room = grown;
    }
    bytes.copy(this.room, this.held);
    this.held = needed;
    return this.room;
  }

  /** Forgets the partial line, freeing its room (an idle client holds nothing). */
  private release(): void {
    this.room = undefined;
    this.held = 0;
  }

  private spend(): 'too-long' {
    this.release();
    this.backlog = undefined;
    return 'too-long';
  }

  /** Sends bytes [start, end) as one line; false if it is too long. */
  private emit(bytes: Buffer, start: number, end: number, sink: LineSink): boolean {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end - start > this.maxLineBytes) return false;
    sink.line(bytes.toString('latin1', start, end));
    return true;
  }
}
