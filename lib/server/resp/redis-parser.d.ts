// Types for redis-parser 3 (it ships none): only what the RESP listener uses.

declare module 'redis-parser' {
  interface ParserOptions {
    /** A complete reply: for a request, an array of bulk strings. */
    returnReply(reply: unknown): void;
    /** An error reply (`-...`), which no request holds. */
    returnError(error: Error): void;
    /** Bytes that are not RESP; the parser has dropped its buffer. */
    returnFatalError?(error: Error): void;
    /** Bulk strings as Buffers (the exact bytes) rather than UTF-8 text. */
    returnBuffers?: boolean;
    stringNumbers?: boolean;
  }

  class JavascriptRedisParser {
    constructor(options: ParserOptions);
    execute(buffer: Buffer): void;
    reset(): void;
    /** Internals read to bound what a client may make it hold (request-reader.ts). */
    buffer: Buffer | null;
    offset: number;
    bigStrSize: number;
    totalChunkSize: number;
    arrayCache: unknown[][];
  }

  export = JavascriptRedisParser;
}
