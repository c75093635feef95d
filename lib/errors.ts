// Errors are data with a stable code (the Elixir original's `{:error, :not_found}`),
// so the wire protocol and the cluster transport can map them in one table each.

/** Every condition the store knows how to report. */
export type KvErrorCode =
  | 'BAD_REQUEST' // an argument is not acceptable (empty bucket name, non-string key, ...)
  | 'NOT_FOUND' // the bucket does not exist
  | 'BUCKET_CRASHED' // the bucket's actor crashed while handling this call; it was not applied
  | 'BUCKET_FAILED' // the bucket crashed past its restart intensity and is stopped until `create`
  | 'TIMEOUT' // no answer within `callTimeoutMs`
  | 'STOPPED' // the store has been stopped
  | 'NO_ROUTE' // no route covers the bucket's name
  | 'NODE_UNAVAILABLE' // the node that owns the bucket cannot be reached
  | 'STORAGE_UNAVAILABLE' // the storage backend could not make the write durable
  | 'STORAGE_CORRUPT' // the stored data is damaged before its end: the node refuses to start
  | 'STORAGE_LOCKED' // another process uses the data directory
  | 'ADDRESS_IN_USE' // a port the node would listen on is taken (the text port or the cluster port)
  | 'NOT_PRIMARY' // replication: this node does not serve the bucket (another node took over)
  | 'NOT_ENOUGH_REPLICAS' // replication: the write could not reach every copy, nor a majority agree to go on without one
  | 'OUT_OF_SYNC' // replication, between nodes: a copy missed writes and needs a full copy
  | 'INTERNAL'; // a bug: please report it

/** The plain-data form of an error: what crosses actor mailboxes and the transport. */
export interface ErrorData {
  code: KvErrorCode;
  message: string;
}

/** The one error class the library throws for a known condition. */
export class KvError extends Error implements ErrorData {
  override readonly name = 'KvError';

  constructor(
    /** Stable, machine-readable reason. */
    readonly code: KvErrorCode,
    message: string,
    /** `cause`: the error behind this one (a system error such as EADDRINUSE), when there is one. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Plain data for a message or a frame. */
  toData(): ErrorData {
    return { code: this.code, message: this.message };
  }

  static fromData(data: ErrorData): KvError {
    return new KvError(data.code, data.message);
  }
}

/** Turns anything thrown into error data; unknown throwables become INTERNAL. */
export function toErrorData(thrown: unknown): ErrorData {
  if (thrown instanceof KvError) return thrown.toData();
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: 'INTERNAL', message };
}

// The messages for conditions raised in several places, written once.
export const errors = {
  notFound: (bucket: string) => new KvError('NOT_FOUND', `bucket ${bucket} does not exist`),
  bucketFailed: (bucket: string) =>
    new KvError(
      'BUCKET_FAILED',
      `bucket ${bucket} failed: it crashed more often than its restart intensity allows (see supervision); create it again to restart it`,
    ),
  bucketCrashed: (bucket: string, reason: string) =>
    new KvError('BUCKET_CRASHED', `bucket ${bucket} crashed (${reason}) before this call was applied`),
  stopped: () => new KvError('STOPPED', 'the store has been stopped'),
  /** A listener could not bind: ADDRESS_IN_USE when the port is taken, BAD_REQUEST otherwise (a bad host). */
  listenFailed: (listener: string, address: string, hint: string, cause: Error) =>
    (cause as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? new KvError('ADDRESS_IN_USE', `${listener} ${address} is already in use (see ${hint})`, { cause })
      : new KvError('BAD_REQUEST', `${listener} cannot listen on ${address} (see ${hint}): ${cause.message}`, { cause }),
  timeout: (what: string, ms: number) => new KvError('TIMEOUT', `${what} did not answer within ${ms} ms (see callTimeoutMs)`),
};
