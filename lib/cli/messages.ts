// What the command prints when it refuses or fails, in the command line's
// words: the one place where a message that names a library option
// (`cluster.listen`, "see option `port`") gets the flag that sets it instead.

import { KvError } from '../errors';

/** The two lines for a usage error (exit 2): what is wrong, naming the flag, then where to look. */
export function usageErrorText(message: string): string {
  return `actor-kv: ${message}\ntry 'actor-kv --help'\n`;
}

/** The one line for a failed start (exit 1): a known condition plainly, a bug with its stack. */
export function startFailureText(error: unknown): string {
  if (error instanceof KvError) return `actor-kv: ${inFlagTerms(error.message)}\n`;
  return `actor-kv: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
}

/** What a failed start's debug log line adds to its plain line: the code and the system error behind it. */
export function startFailureDetails(error: unknown): Record<string, unknown> {
  if (!(error instanceof KvError)) return {};
  const { cause } = error as { cause?: unknown };
  return { code: error.code, ...(cause instanceof Error ? { cause: cause.message } : {}) };
}

/** Each library option a flag sets, and that flag. */
const optionFlags: Readonly<Record<string, string>> = {
  node: '--node',
  host: '--host',
  port: '--port',
  maxLineBytes: '--max-line-bytes',
  maxConnections: '--max-connections',
  maxClientMemoryBytes: '--max-client-memory',
  password: '--password',
  protectedMode: '--protected-mode',
  idleTimeoutMs: '--idle-timeout-ms',
  'observer.host': '--observer-host',
  'observer.port': '--observer-port',
  'resp.port': '--resp-port',
  'resp.host': '--resp-host',
  'resp.password': '--resp-password',
  'resp.maxBulkBytes': '--resp-max-bulk-bytes',
  'resp.stringsBucket': '--resp-strings-bucket',
  'cluster.listen': '--cluster-port',
  'cluster.secret': '--secret',
  'cluster.peers': '--peer',
  'cluster.routes': '--route',
  'cluster.requestTimeoutMs': '--cluster-timeout-ms',
  'cluster.replicas': '--replicas',
  'storage.dir': '--data-dir',
  'storage.fsync': '--fsync',
  'storage.url': '--redis-url',
  'storage.prefix': '--redis-prefix',
  'storage.cluster': '--redis-cluster',
  'storage.password': '--redis-password',
  'storage.waitReplicas': '--redis-wait-replicas',
};

/** The flag that sets library option `option` (`cluster.peers.bar` -> `--peer bar`), or undefined. */
export function flagFor(option: string): string | undefined {
  const peer = /^cluster\.peers\.(.+)$/.exec(option);
  return peer ? `--peer ${peer[1]}` : optionFlags[option];
}

/**
 * `message` with library option names replaced by their flags: "option `x`
 * (--flag)" and "option `x`" by the flag, "(see options `host` and `port`)" by
 * "(--host, --port)". A "(see ...)" hint that names no flag is dropped: it
 * points at a setting the command line does not have.
 */
export function inFlagTerms(message: string): string {
  return message
    .replace(/\s*\(see ([^)]*)\)/g, (_whole, inner: string) => {
      const mapped = [...new Set(namesIn(inner).map(flagFor).filter((flag) => flag !== undefined))];
      return mapped.length === 0 ? '' : ` (${mapped.join(', ')})`;
    })
    .replace(/option `([\w.]+)` \((--[\w-]+)\)/g, (_whole, _option: string, flag: string) => flag)
    .replace(/(?:options? )?`([\w.]+)`/g, (whole, option: string) => flagFor(option) ?? whole);
}

/** The option names in a "(see ...)" hint: the quoted ones, or the whole hint if it is one name. */
function namesIn(hint: string): string[] {
  if (hint.includes('`')) return [...hint.matchAll(/`([\w.]+)`/g)].map((match) => match[1]!);
  const bare = hint.replace(/^options? /, '');
  return /^[\w.]+$/.test(bare) ? [bare] : [];
}
