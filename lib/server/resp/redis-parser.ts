// redis-parser 3 (the RESP parser ioredis uses) with types, which it ships
// none of: only what the RESP listener uses. A typed require rather than an
// ambient declaration, so that every compiler (tsc, ts-node, a user's
// declaration build) sees the same types.

/** What the parser calls with what it finds. */
export interface RedisParserOptions {
  /** A complete reply: for a request, an array of bulk strings. */
  returnReply(reply: unknown): void;
  /** An error reply (`-...`), which no request holds. */
  returnError(error: Error): void;
  /** Bytes that are not RESP; the parser has dropped its buffer. */
  returnFatalError?(error: Error): void;
  /** Bulk strings as Buffers (the exact bytes) rather than UTF-8 text. */
  returnBuffers?: boolean;
}

export interface RedisParser {
  execute(buffer: Buffer): void;
  /** Internals read to bound what a client may make it hold (request-reader.ts). */
  buffer: Buffer | null;
  offset: number;
  bigStrSize: number;
  totalChunkSize: number;
  arrayCache: unknown[][];
}

export const RedisParser = require('redis-parser') as new (options: RedisParserOptions) => RedisParser;
