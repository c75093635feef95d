// Framing: cuts a client's byte stream into requests, each an array of binary
// strings (one char per byte). A request that starts with `*` is RESP, read by
// redis-parser (the parser ioredis uses); anything else is an inline command
// line. redis-parser trusts its peer (it is a client's parser), so this adapter
// bounds what a client can make it hold, with Redis's limits and wording:
// bulk lengths up to maxBulkBytes, at most 1024 * 1024 arguments, inline lines
// up to maxInlineBytes, and only bulk strings inside a request.

import { RedisParser } from './redis-parser';
import { splitInline } from './inline';

/** Where the reader sends what it finds. */
export interface RequestSink {
  /** A complete request: its arguments as binary strings (never empty). */
  request(args: string[]): void;
}

/** Redis's limit on the arguments of one request. */
const maxArguments = 1024 * 1024;
const LF = 0x0a;
const STAR = 0x2a;

export class RequestReader {
  private readonly parser: RedisParser;
  /** The first protocol error met in the chunk being read. */
  private failure: string | undefined;
  private sink: RequestSink | undefined;
  /** The partial inline line carried from earlier chunks. */
  private inline: Buffer[] = [];
  private inlineBytes = 0;
  /** Bytes of the RESP request under way, counted since the last complete one. */
  private frameBytes = 0;
  private completed = false;
  /** Bytes after a RESP request that start an inline one: taken back from the parser, read next. */
  private rest: Buffer | undefined;

  constructor(
    private readonly maxBulkBytes: number,
    private readonly maxInlineBytes: number,
  ) {
    this.parser = new RedisParser({
      returnBuffers: true,
      returnReply: (reply) => this.onReply(reply),
      returnError: () => this.fail("Protocol error: expected '*', got '-'"),
      returnFatalError: (error) => this.fail(`Protocol error: expected '$', got '${/got "(.*)" as/.exec(error.message)?.[1] ?? '?'}'`),
    });
  }

  /** Bytes held for a request not yet complete. */
  get pending(): number {
    return this.inlineBytes + this.frameBytes;
  }

  /**
   * Feeds one chunk; complete requests go to `sink`, in order. Returns the
   * protocol error that ends the connection (after the requests before it), if any.
   */
  push(chunk: Buffer, sink: RequestSink): string | undefined {
    this.sink = sink;
    let input: Buffer | undefined = chunk;
    while (input !== undefined && this.failure === undefined) {
      this.rest = undefined;
      let start = 0;
      while (start < input.length && this.failure === undefined && this.parserIdle() && (this.inlineBytes > 0 || input[start] !== STAR)) start = this.readInline(input, start);
      if (start < input.length && this.failure === undefined) this.readResp(input.subarray(start));
      input = this.rest;
    }
    return this.failure;
  }

  private parserIdle(): boolean {
    return this.parser.buffer === null && this.frameBytes === 0;
  }

  /** Reads one inline line (or holds its start); returns where the rest of the chunk begins. */
  private readInline(chunk: Buffer, start: number): number {
    const end = chunk.indexOf(LF, start);
    const piece = chunk.subarray(start, end === -1 ? chunk.length : end);
    if (this.inlineBytes + piece.length > this.maxInlineBytes) {
      this.fail('Protocol error: too big inline request');
      return chunk.length;
    }
    if (end === -1) {
      this.inline.push(Buffer.from(piece)); // copied: the chunk may be big
      this.inlineBytes += piece.length;
      return chunk.length;
    }
    const line = this.inlineBytes === 0 ? piece.toString('latin1') : Buffer.concat([...this.inline, piece]).toString('latin1');
    this.inline = [];
    this.inlineBytes = 0;
    const args = splitInline(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (args === undefined) this.fail('Protocol error: unbalanced quotes in request');
    else if (args.length > 0) this.sink!.request(args);
    return end + 1;
  }

  private readResp(bytes: Buffer): void {
    this.frameBytes += bytes.length;
    this.completed = false;
    try {
      this.parser.execute(bytes);
    } catch {
      // `*` with a length past what an array can hold, or arrays nested past the stack.
      return this.fail('Protocol error: invalid multibulk length');
    }
    const parser = this.parser;
    if (parser.buffer === null) this.frameBytes = 0;
    else if (this.completed) this.frameBytes = parser.bigStrSize > 0 ? parser.totalChunkSize - parser.offset : parser.buffer.length - parser.offset;
    if (this.failure !== undefined) return;
    // A bulk string still arriving: its declared length is known now.
    if (parser.bigStrSize > 0 && parser.bigStrSize - 2 - parser.offset > this.maxBulkBytes) return this.fail('Protocol error: invalid bulk length');
    if ((parser.arrayCache[0]?.length ?? 0) > maxArguments) return this.fail('Protocol error: invalid multibulk length');
    if (this.frameBytes > this.maxBulkBytes + maxArguments) this.fail('Protocol error: invalid bulk length');
  }

  private onReply(reply: unknown): void {
    this.completed = true;
    if (this.failure !== undefined) return;
    this.takeBackInline();
    // `*-1` and `*0` are no request: Redis skips them.
    if (reply === null || (Array.isArray(reply) && reply.length === 0)) return;
    if (!Array.isArray(reply) || reply.length > maxArguments) return this.fail('Protocol error: invalid multibulk length');
    const args: string[] = new Array(reply.length);
    for (let index = 0; index < reply.length; index++) {
      const arg: unknown = reply[index];
      if (!Buffer.isBuffer(arg)) return this.fail(arg === null ? 'Protocol error: invalid bulk length' : "Protocol error: expected '$', got something else");
      if (arg.length > this.maxBulkBytes) return this.fail('Protocol error: invalid bulk length');
      args[index] = arg.toString('latin1');
    }
    this.sink!.request(args);
  }

  /**
   * redis-parser reads a chunk to its end, and would take an inline request
   * after this one for a protocol error: when the next byte is not `*`, the
   * rest of the chunk is taken from it (it then ends its loop) and read next.
   */
  private takeBackInline(): void {
    const parser = this.parser;
    if (parser.buffer === null || parser.arrayCache.length > 0 || parser.offset >= parser.buffer.length || parser.buffer[parser.offset] === STAR) return;
    this.rest = parser.buffer.subarray(parser.offset);
    parser.offset = parser.buffer.length;
  }

  private fail(message: string): void {
    this.failure ??= message;
  }
}
