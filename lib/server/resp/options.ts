// Options of the RESP listener (the Redis protocol), with every default in one
// object. Its other limits (clients, output buffers, the client memory budget,
// timeouts, protected mode, TLS, the logger) are the text server's.

import { isBucketName, toBinary } from '../../core/bytes';
import { rejectUnknownKeys, requirePort, requirePositiveInteger, stripUndefined } from '../../core/validate';
import { KvError } from '../../errors';

/** The `resp` option of `startServer()`: a Redis-protocol listener beside the text server. */
export interface RespOptions {
  /**
   * TCP port; 0 picks a free one (read it back from `server.resp.port`).
   * @default 6379
   */
  port?: number;
  /**
   * Address to listen on.
   * @default the text server's `host`
   */
  host?: string;
  /**
   * The password clients give with AUTH; compared in constant time, never logged.
   * @default the text server's `password` (none)
   */
  password?: string;
  /**
   * Longest bulk string a request may hold (Redis's proto-max-bulk-len).
   * @default 512 MiB
   */
  maxBulkBytes?: number;
  /**
   * The bucket that holds the plain string keys (SET, GET, INCR...); created on demand.
   * @default 'strings'
   */
  stringsBucket?: string;
  /**
   * Whether FLUSHDB and FLUSHALL may drop every bucket.
   * @default false
   */
  allowFlush?: boolean;
}

export type ResolvedRespOptions = Required<Omit<RespOptions, 'host' | 'password'>> & Pick<RespOptions, 'host' | 'password'>;

export const defaultRespOptions: ResolvedRespOptions = {
  port: 6379,
  maxBulkBytes: 512 * 1024 * 1024,
  stringsBucket: 'strings',
  allowFlush: false,
};

/** Fills in defaults; throws a BAD_REQUEST KvError naming the option at fault (as `resp.<name>`). */
export function resolveRespOptions(options: RespOptions): ResolvedRespOptions {
  rejectUnknownKeys('resp.', options, Object.fromEntries([...Object.keys(defaultRespOptions), 'host', 'password'].map((key) => [key, true])));
  const resolved = { ...defaultRespOptions, ...stripUndefined(options) };
  requirePort('resp.port', resolved.port);
  requirePositiveInteger('resp.maxBulkBytes', resolved.maxBulkBytes);
  if (resolved.maxBulkBytes > defaultRespOptions.maxBulkBytes) throw new KvError('BAD_REQUEST', `option \`resp.maxBulkBytes\` must be at most ${defaultRespOptions.maxBulkBytes} (512 MiB), got ${resolved.maxBulkBytes}`);
  if (typeof resolved.stringsBucket !== 'string' || !isBucketName(toBinary(resolved.stringsBucket))) {
    throw new KvError('BAD_REQUEST', 'option `resp.stringsBucket` must be a bucket name: non-empty, without whitespace or control characters');
  }
  if (typeof resolved.allowFlush !== 'boolean') throw new KvError('BAD_REQUEST', 'option `resp.allowFlush` must be a boolean');
  if (resolved.host !== undefined && (typeof resolved.host !== 'string' || resolved.host === '')) throw new KvError('BAD_REQUEST', 'option `resp.host` must be a non-empty string');
  if (resolved.password !== undefined && (typeof resolved.password !== 'string' || resolved.password === '')) throw new KvError('BAD_REQUEST', 'option `resp.password` must be a non-empty string');
  return resolved;
}
